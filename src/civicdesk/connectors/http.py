"""The one HTTP layer every platform connector talks through.

Choice: plain ``httpx`` (sync client) for all network I/O, and no platform SDKs. Tweepy,
google-api-python-client, facebook-business and the atproto SDK each bring their own client with
their own retry, timeout and rate-limit behaviour; with them, a 429 from X and a 429 from
Bluesky would be handled in two different places and tested twice. Here one class maps every
platform's answers to :class:`~civicdesk.connectors.base.ConnectorError`, so rate limits,
backoff and "reconnect this account" are decided once. Payloads are parsed at the edge with
pydantic models that live next to each connector.

How answers map to errors (a platform can refine this with ``classify_error``):

- 401, or a 400/403 that says the bearer token is invalid (RFC 6750 ``invalid_token``, in the
  ``WWW-Authenticate`` header or the body's ``error``) → ``needs_reconnect``; 403 → permanent.
- 404/410 on a request about one item (``item_id`` given) → :class:`ItemGone`, so the caller
  records a deletion; without ``item_id`` → permanent.
- 429, or a platform's own throttle answer → retryable with ``retry_after`` read from
  ``Retry-After`` or the platform's rate-limit headers. A short wait (≤ ``max_inline_wait``) is
  slept here and the request repeated; a longer one is handed to the scheduler.
- 5xx and timeouts → repeated with exponential backoff and full jitter, at most
  ``max_attempts`` tries, then a retryable error. A POST is never repeated after the platform
  may have acted on it, whatever idempotency key it carries (servers are free to ignore one):
  only when the connection never opened or the platform refused it with 429. After any other
  failure the connector, which knows what the POST creates, looks for it before saying it failed.
- A 2xx body that is not JSON → permanent error naming the platform and the endpoint.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from civicdesk.connectors.base import Connector, ConnectorError, ItemGone, Platform

Sleep = Callable[[float], None]
# Given the response, its parsed JSON body (None when not JSON) and the item id of the request,
# return the error the platform means, or None to fall back to the status-code rules above.
ErrorClassifier = Callable[[httpx.Response, Any, str], ConnectorError | None]

ModelT = TypeVar("ModelT", bound=BaseModel)
_WHOLE_BODY: Any = object()

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# Used when a platform says "slow down" without saying for how long.
DEFAULT_RETRY_AFTER = 60.0
USER_AGENT = "CivicDesk/0.1 (public agency communications)"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """What the platform said about the account's remaining budget on the last answer."""

    limit: int | None = None
    remaining: int | None = None
    reset_after: float | None = None  # seconds from the answer until the budget refills
    usage_percent: float | None = None  # Meta reports usage as a percentage instead of a count


@dataclass(frozen=True, slots=True)
class ApiResponse:
    platform: Platform
    endpoint: str
    status_code: int
    headers: httpx.Headers
    body: Any  # parsed JSON, or None for an empty answer (204)
    rate_limit: RateLimit

    def parse(self, model: type[ModelT], data: Any = _WHOLE_BODY) -> ModelT:
        """Validate the body (or a part of it) into ``model``; a mismatch is a permanent error."""
        return parse_payload(
            model,
            self.body if data is _WHOLE_BODY else data,
            platform=self.platform,
            endpoint=self.endpoint,
        )


def parse_payload(model: type[ModelT], data: Any, *, platform: Platform, endpoint: str) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ConnectorError(
            f"{platform.label} returned an unexpected payload from {endpoint} "
            f"({where}: {first['msg']}); the answer was not stored.",
            permanent=True,
        ) from exc


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


def _seconds_until(value: str | None, now: float) -> float | None:
    """Read a reset header written as delta seconds, epoch seconds or an ISO timestamp."""
    if not value:
        return None
    number = _number(value)
    if number is not None:
        # X and Bluesky send epoch seconds, the IETF draft sends a delta; no delta is 30 years.
        return max(0.0, number - now) if number > 1_000_000_000 else max(0.0, number)
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)


def _meta_usage(headers: httpx.Headers) -> tuple[float | None, float | None]:
    """(highest usage percent, estimated seconds to regain access) from Meta's usage headers."""
    percents: list[float] = []
    regain: list[float] = []
    for name in ("x-app-usage", "x-ad-account-usage"):
        try:
            usage = json.loads(headers.get(name, "") or "null")
        except ValueError:
            continue
        if isinstance(usage, dict):
            percents += [float(v) for v in usage.values() if isinstance(v, int | float)]
    try:
        business = json.loads(headers.get("x-business-use-case-usage", "") or "null")
    except ValueError:
        business = None
    if isinstance(business, dict):
        for entries in business.values():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                for key in ("call_count", "total_cputime", "total_time"):
                    if isinstance(entry.get(key), int | float):
                        percents.append(float(entry[key]))
                minutes = entry.get("estimated_time_to_regain_access")
                if isinstance(minutes, int | float) and minutes > 0:
                    regain.append(float(minutes) * 60)
    return (max(percents) if percents else None, max(regain) if regain else None)


def parse_rate_limit(headers: httpx.Headers, *, now: float) -> RateLimit:
    """Read whichever rate-limit header family the platform uses.

    Mastodon: ``X-RateLimit-*`` (reset is an ISO timestamp); X: ``x-rate-limit-*`` (epoch
    seconds); Bluesky: ``RateLimit-*`` (epoch seconds); Meta: ``X-App-Usage`` and
    ``X-Business-Use-Case-Usage`` (percentages, minutes to regain access).
    """
    limit = remaining = None
    reset_after = None
    for prefix in ("x-ratelimit-", "x-rate-limit-", "ratelimit-"):
        if any(f"{prefix}{part}" in headers for part in ("limit", "remaining", "reset")):
            limit_value = _number(headers.get(f"{prefix}limit"))
            remaining_value = _number(headers.get(f"{prefix}remaining"))
            limit = int(limit_value) if limit_value is not None else None
            remaining = int(remaining_value) if remaining_value is not None else None
            reset_after = _seconds_until(headers.get(f"{prefix}reset"), now)
            break
    usage_percent, regain = _meta_usage(headers)
    return RateLimit(
        limit=limit,
        remaining=remaining,
        reset_after=reset_after if reset_after is not None else regain,
        usage_percent=usage_percent,
    )


def retry_after_seconds(headers: httpx.Headers, *, now: float) -> float | None:
    """Seconds to wait before asking again: ``Retry-After`` first, then the reset headers."""
    value: str | None = headers.get("retry-after")
    if value:
        number = _number(value)
        if number is not None:
            return max(0.0, number)
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            pass
    return parse_rate_limit(headers, now=now).reset_after


def error_text(body: Any) -> str:
    """The human part of a platform's error body, whatever shape it has."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("type") or "")
        for key in ("error_description", "message", "detail", "title"):
            if isinstance(text := body.get(key), str):
                return text
        if isinstance(error, str):
            return error
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("detail") or errors[0].get("message") or "")
    return ""


def _refuses_bearer_token(response: httpx.Response, body: Any) -> bool:
    """Whether the answer says the token itself is bad (RFC 6750 §3.1 ``invalid_token``)."""
    challenge = response.headers.get("www-authenticate", "")
    return 'error="invalid_token"' in challenge or (
        isinstance(body, dict) and body.get("error") == "invalid_token"
    )


class PlatformClient:
    """An httpx client for one platform account, with the error rules in the module docstring.

    ``transport`` replaces the network in tests; ``sleep`` and ``jitter`` replace waiting and
    randomness so tests neither sleep nor flake; ``clock`` is the wall clock in epoch seconds.
    """

    def __init__(
        self,
        *,
        platform: Platform,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
        classify_error: ErrorClassifier | None = None,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_inline_wait: float = 10.0,
        timeout: float = 30.0,
    ) -> None:
        self.platform = platform
        self._client = httpx.Client(
            base_url=base_url,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            params=params,
            transport=transport,
            timeout=timeout,
        )
        # Media is fetched from our own storage or the web: never send the platform token there.
        self._download_client = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            transport=transport,
            timeout=timeout,
            follow_redirects=True,
        )
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        self._classify_error = classify_error
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_inline_wait = max_inline_wait
        self.last_rate_limit = RateLimit()

    def set_header(self, name: str, value: str) -> None:
        self._client.headers[name] = value

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("DELETE", path, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        item_id: str = "",
        expect_json: bool = True,
    ) -> ApiResponse:
        """Send one request, repeating it as the module docstring says; return the parsed body.

        Raises :class:`ConnectorError` (or :class:`ItemGone` when ``item_id`` is gone). With
        ``expect_json=False`` the body is returned as bytes (feeds are XML).
        """
        endpoint = ""
        may_repeat = method in IDEMPOTENT_METHODS
        for attempt in range(1, self.max_attempts + 1):
            last_try = attempt == self.max_attempts
            # Built afresh each time: a multipart body is consumed by sending it.
            request = self._client.build_request(
                method,
                path,
                params=params,
                json=json,
                data=data,
                files=files,
                content=content,
                headers=headers,
            )
            endpoint = endpoint or f"{method} {request.url.path}"
            try:
                response = self._client.send(request)
            except httpx.TransportError as exc:
                # A refused or timed-out connection never reached the platform: safe to repeat.
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if last_try or not (may_repeat or never_sent):
                    raise ConnectorError(
                        f"{self.platform.label} did not answer {endpoint} ({type(exc).__name__})."
                    ) from exc
                self._sleep(self._backoff(attempt))
                continue

            now = self._clock()
            self.last_rate_limit = parse_rate_limit(response.headers, now=now)
            body = self._parse_body(response, endpoint) if expect_json else response.content
            error = self._error_for(response, body, endpoint, item_id, now)
            if error is None:
                return ApiResponse(
                    self.platform,
                    endpoint,
                    response.status_code,
                    response.headers,
                    body,
                    self.last_rate_limit,
                )
            if error.permanent or last_try:
                raise error
            if response.status_code >= 500 and not error.retry_after:
                if not may_repeat:
                    raise error
                self._sleep(self._backoff(attempt))
                continue
            # Rate limited: the platform refused the request, so repeating it is always safe.
            wait = error.retry_after if error.retry_after is not None else DEFAULT_RETRY_AFTER
            if wait > self.max_inline_wait:
                raise error
            self._sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def download(self, url: str) -> tuple[bytes, str]:
        """Fetch a media file to upload; returns (bytes, content type). Errors are permanent."""
        try:
            response = self._download_client.get(url)
        except httpx.TransportError as exc:
            raise ConnectorError(
                f"Could not fetch the media file {url} ({type(exc).__name__})."
            ) from exc
        if response.status_code != 200:
            raise ConnectorError(
                f"Could not fetch the media file {url} (HTTP {response.status_code}).",
                permanent=True,
            )
        content_type = response.headers.get("content-type", "application/octet-stream")
        return response.content, content_type.split(";")[0].strip()

    def close(self) -> None:
        self._client.close()
        self._download_client.close()

    def _backoff(self, attempt: int) -> float:
        # Full jitter (AWS architecture blog): spreads retries of many workers after an outage.
        return self._jitter() * min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1))

    def _parse_body(self, response: httpx.Response, endpoint: str) -> Any:
        if not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError as exc:
            if response.is_success:
                raise ConnectorError(
                    f"{self.platform.label} returned malformed JSON from {endpoint} "
                    f"(HTTP {response.status_code}); the answer was not stored.",
                    permanent=True,
                ) from exc
            return None

    def _error_for(
        self, response: httpx.Response, body: Any, endpoint: str, item_id: str, now: float
    ) -> ConnectorError | None:
        if self._classify_error is not None:
            error = self._classify_error(response, body, item_id)
            if error is not None:
                return error
        status = response.status_code
        if response.is_success or status == 304:  # 304: a conditional GET found nothing new
            return None
        label = self.platform.label
        detail = error_text(body)
        said = f": {detail}" if detail else "."
        if status == 401 or (status in (400, 403) and _refuses_bearer_token(response, body)):
            return ConnectorError(
                f"{label} no longer accepts this account's sign-in "
                f"(HTTP {status} on {endpoint}){said} Reconnect the account.",
                needs_reconnect=True,
            )
        if status == 403:
            return ConnectorError(f"{label} refused {endpoint} (HTTP 403){said}", permanent=True)
        if status in (404, 410):
            if item_id:
                return ItemGone(label, item_id, detail=detail)
            return ConnectorError(
                f"{label} has nothing at {endpoint} (HTTP {status}){said}", permanent=True
            )
        if status == 429:
            wait = retry_after_seconds(response.headers, now=now)
            return ConnectorError(
                f"{label} rate-limited {endpoint} (HTTP 429); try again later.",
                retry_after=wait if wait is not None else DEFAULT_RETRY_AFTER,
            )
        if status >= 500:
            return ConnectorError(f"{label} had a server error on {endpoint} (HTTP {status}){said}")
        return ConnectorError(f"{label} rejected {endpoint} (HTTP {status}){said}", permanent=True)


class HttpConnector(Connector):
    """A connector that talks HTTP; holds the test seams of :class:`PlatformClient`."""

    def __init__(
        self,
        *,
        handle: str,
        credentials: Mapping[str, Any],
        options: Mapping[str, Any],
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(handle=handle, credentials=credentials, options=options)
        self._transport = transport
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock

    def make_client(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        classify_error: ErrorClassifier | None = None,
    ) -> PlatformClient:
        return PlatformClient(
            platform=self.platform,
            base_url=base_url,
            headers=headers,
            params=params,
            transport=self._transport,
            sleep=self._sleep,
            jitter=self._jitter,
            clock=self._clock,
            classify_error=classify_error,
        )

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), tz=UTC)

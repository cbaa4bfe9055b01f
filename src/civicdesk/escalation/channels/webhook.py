"""Alerts posted to a web address: a Slack or Teams incoming webhook, or any JSON receiver.

A JSON receiver can check that an alert came from this Civic Desk: the body is signed with the
contact's secret as ``X-Civic-Desk-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">``
next to ``X-Civic-Desk-Timestamp`` (Unix seconds), and :func:`verify_signature` does the check.
Signing the timestamp with the body lets a receiver refuse a recorded request played back later.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import time
from urllib.parse import urlsplit

import httpx

from civicdesk.connectors.http import USER_AGENT, retry_after_seconds

from .alert import Alert, encode, json_payload, slack_payload, teams_payload
from .outcome import Outcome

TIMEOUT = httpx.Timeout(10.0)
# Enough of an answer to show why it failed; a receiver cannot make a worker read more.
ANSWER_LIMIT = 4096
ANSWER_DEADLINE = 20.0
SIGNATURE_TOLERANCE = 300
# Older Teams connectors answer 200 and put the failure in the body.
_TEAMS_FAILURE = re.compile(r"HTTP error (\d{3})")


class Flavor(enum.StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    JSON = "json"


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes | str,
    signature: str,
    now: float,
    tolerance: float = SIGNATURE_TOLERANCE,
) -> bool:
    """Whether ``signature`` is this body's, signed with ``secret`` within ``tolerance`` seconds.

    ``now`` is the receiver's clock in Unix seconds. A timestamp that is not a whole number, or
    further than ``tolerance`` from ``now`` either way, is refused.
    """
    try:
        sent_at = int(str(timestamp).strip())
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance:
        return False
    raw = body.encode() if isinstance(body, str) else body
    return hmac.compare_digest(sign(secret, sent_at, raw).encode(), signature.strip().encode())


def send_webhook(
    alert: Alert, url: str, flavor: Flavor | str, secret: str | None = None
) -> Outcome:
    """Post ``alert`` to ``url`` in the shape ``flavor`` expects.

    2xx → delivered; 429, 5xx and network errors → retry; any other answer → failed with the
    receiver's own words. Raises ``ValueError`` only for an unknown ``flavor``.
    """
    flavor = Flavor(flavor)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Outcome.failed(f"The webhook address {url!r} is not a web address.")
    payload = {
        Flavor.SLACK: slack_payload,
        Flavor.TEAMS: teams_payload,
        Flavor.JSON: json_payload,
    }[flavor](alert)
    body = encode(payload)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
    if flavor is Flavor.JSON:
        headers["Idempotency-Key"] = alert.idempotency_key
        if secret:
            timestamp = int(time.time())
            headers["X-Civic-Desk-Timestamp"] = str(timestamp)
            headers["X-Civic-Desk-Signature"] = sign(secret, timestamp, body)
    try:
        with httpx.stream("POST", url, content=body, headers=headers, timeout=TIMEOUT) as response:
            said = _read_answer(response)
    except httpx.HTTPError as exc:
        return Outcome.retry(f"{parts.hostname} did not answer ({type(exc).__name__}: {exc}).")
    return _outcome(response, said, flavor)


def _read_answer(response: httpx.Response) -> str:
    """The start of the answer's body, read for at most ``ANSWER_DEADLINE`` seconds."""
    deadline = time.monotonic() + ANSWER_DEADLINE
    head = b""
    for chunk in response.iter_bytes():
        head += chunk
        if len(head) >= ANSWER_LIMIT or time.monotonic() > deadline:
            break
    return head[:ANSWER_LIMIT].decode(response.encoding or "utf-8", errors="replace").strip()


def _outcome(response: httpx.Response, said: str, flavor: Flavor) -> Outcome:
    status = response.status_code
    if response.is_success:
        failure = _TEAMS_FAILURE.search(said) if flavor is Flavor.TEAMS else None
        if failure is None:
            return Outcome.delivered()
        status = int(failure.group(1))
    words = f"HTTP {status}: {said}" if said else f"HTTP {status}"
    if status == 429:
        return Outcome.retry(
            words, retry_after=retry_after_seconds(response.headers, now=time.time())
        )
    if status >= 500:
        return Outcome.retry(words)
    return Outcome.failed(words)

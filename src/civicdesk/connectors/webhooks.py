"""Checks a webhook view makes before trusting a delivery from Facebook or Instagram.

Meta signs every delivery with ``X-Hub-Signature-256: sha256=<hex>``, an HMAC-SHA256 of the raw
request body keyed with the app secret. The signature must be computed over the bytes as
received: re-serialized JSON differs (Meta escapes non-ASCII as ``\\uXXXX``), so a view must pass
``request.body``, never ``json.dumps(request.POST)``.

A valid signature does not stop a captured delivery from being sent again, so
:class:`ReplayGuard` also rejects deliveries that are too old or already seen. Meta sends no
delivery id, so the id is the SHA-256 of the body and the time is the oldest ``entry[].time``;
a delivery whose age cannot be told (an entry without a time, or ``NaN``) is refused, since it
could be any age. These functions are views-free; the views that call them belong to the
webhook receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

SIGNATURE_PREFIX = "sha256="
DEFAULT_WINDOW_SECONDS = 300.0


class WebhookRejected(Exception):
    """A delivery failed a check; ``reason`` is safe to log (it holds no secret).

    ``status`` is the HTTP status to answer: 403 for a delivery that cannot be trusted or is a
    replay, 400 for a signed one that is malformed or undatable, 413 for one far too large.
    """

    def __init__(self, reason: str, *, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class DeliveryRepeated(WebhookRejected):
    """The delivery was received before; it is already kept."""


def verify_meta_signature(*, body: bytes, signature_header: str | None, app_secret: str) -> None:
    """Raise :class:`WebhookRejected` unless ``signature_header`` signs ``body`` with the secret.

    The comparison is constant-time, so the response time reveals nothing about the right value.
    """
    if not app_secret:
        raise WebhookRejected("No app secret is configured, so no delivery can be trusted.")
    if not signature_header or not signature_header.startswith(SIGNATURE_PREFIX):
        raise WebhookRejected("The delivery has no X-Hub-Signature-256 header.")
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    received = signature_header.removeprefix(SIGNATURE_PREFIX).strip().lower()
    if not hmac.compare_digest(expected.encode(), received.encode()):
        raise WebhookRejected("The X-Hub-Signature-256 header does not match the body.")


def answer_meta_subscription(
    *, mode: str, verify_token: str, challenge: str, expected_token: str
) -> str:
    """The ``hub.challenge`` to echo when Meta verifies a subscription with our verify token."""
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError).
    if (
        mode != "subscribe"
        or not expected_token
        or not hmac.compare_digest(verify_token.encode(), expected_token.encode())
    ):
        raise WebhookRejected("The subscription request does not carry our verify token.")
    return challenge


@dataclass(frozen=True, slots=True)
class Delivery:
    delivery_id: str
    sent_at: float  # epoch seconds
    entry_ids: tuple[str, ...] = ()  # the Pages and Instagram accounts the delivery is about


def _entry_time(entry: Any) -> float | None:
    value = entry.get("time") if isinstance(entry, dict) else None
    # bool is an int to Python; NaN and infinity compare false with everything.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    # Instagram sends milliseconds in some fields, Facebook seconds.
    return value / 1000 if value > 100_000_000_000 else float(value)


def meta_delivery(body: bytes) -> Delivery:
    """The id (SHA-256 of the body), send time (oldest ``entry[].time``) and entries of a delivery.

    Raises :class:`WebhookRejected` (status 400) for a body that is not JSON, has no entries, or
    has an entry without a usable time.
    """
    try:
        # Meta writes no NaN; Python's parser would accept one, so it is refused here.
        payload: Any = json.loads(body, parse_constant=_no_constant)
    except ValueError as exc:
        raise WebhookRejected("The delivery body is not JSON.", status=400) from exc
    entries = payload.get("entry") if isinstance(payload, dict) else None
    if not isinstance(entries, list) or not entries:
        raise WebhookRejected("The delivery has no entries.", status=400)
    times = [_entry_time(entry) for entry in entries]
    if any(moment is None for moment in times):
        raise WebhookRejected(
            "The delivery has an entry without a time, so its age cannot be checked.", status=400
        )
    return Delivery(
        delivery_id=hashlib.sha256(body).hexdigest(),
        sent_at=min(moment for moment in times if moment is not None),
        entry_ids=tuple(str(e["id"]) for e in entries if isinstance(e, dict) and "id" in e),
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


class SeenStore(Protocol):
    """Where delivery ids are remembered; Django's cache fits (``cache.add`` is atomic)."""

    def add(self, key: str, value: Any, timeout: float | None = ...) -> bool: ...


class MemorySeenStore:
    """A process-local :class:`SeenStore`, for tests and a single-process server."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._expires: dict[str, float] = {}
        self._clock = clock

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        now = self._clock()
        self._expires = {k: at for k, at in self._expires.items() if at > now}
        if key in self._expires:
            return False
        self._expires[key] = now + (timeout if timeout is not None else DEFAULT_WINDOW_SECONDS)
        return True


class ReplayGuard:
    """Accept each delivery once, and only within ``window_seconds`` of when it was sent."""

    def __init__(
        self,
        *,
        store: SeenStore,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
        key_prefix: str = "civicdesk:webhook:",
    ) -> None:
        self._store = store
        self._window = window_seconds
        self._clock = clock
        self._prefix = key_prefix

    def check(self, delivery: Delivery) -> None:
        """Raise :class:`WebhookRejected` for a stale, future or repeated delivery."""
        now = self._clock()
        if delivery.sent_at < now - self._window:
            raise WebhookRejected("The delivery is older than the replay window.")
        if delivery.sent_at > now + self._window:
            raise WebhookRejected("The delivery claims to come from the future.")
        # Remember it for twice the window: a delivery still inside the window is never forgotten.
        if not self._store.add(self._prefix + delivery.delivery_id, 1, 2 * self._window):
            raise DeliveryRepeated("The delivery was already received once.")

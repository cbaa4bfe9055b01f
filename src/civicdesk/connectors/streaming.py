"""Real-time delivery from Mastodon's streaming API (server-sent events).

A stream is a long-lived ``GET`` whose body is a series of events::

    event: notification
    data: {"id": "68739215", "type": "mention", ...}

separated by blank lines, with comment lines (``:thump``) as heartbeats. Each event is turned
into records by the connector, with the same parsing a poll uses, so a streamed item and a
polled one are the same version in the archive.

The stream is a fast path only: it may drop, and an event can be malformed. Neither loses
anything, because the account's cursor is never moved by the stream and the next poll reads
everything since the last poll. So a dropped connection is opened again with exponential
backoff and full jitter, and an event that cannot be read is reported and skipped.

This module touches no database; ``civicdesk stream`` archives what :meth:`MastodonStream.updates`
yields.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import httpx

from civicdesk.connectors.base import ConnectorError, ItemRecord
from civicdesk.connectors.http import DEFAULT_RETRY_AFTER, error_text, retry_after_seconds
from civicdesk.connectors.mastodon import MastodonConnector

logger = logging.getLogger(__name__)

# Mastodon sends a heartbeat every 15 seconds or so; a minute without one is a dead link.
READ_TIMEOUT = 60.0
BACKOFF_BASE = 1.0
BACKOFF_CAP = 300.0

# Returns True when waiting was cut short because the stream must stop.
Wait = Callable[[float], bool]


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    event: str
    data: str


def parse_sse(lines: Iterable[str]) -> Iterator[ServerSentEvent]:
    """Events from the lines of a ``text/event-stream`` body, per the WHATWG rules.

    Comment lines (heartbeats) and the ``id`` and ``retry`` fields are ignored; several ``data``
    lines join with newlines; an event is complete at a blank line, so one cut off by a dropped
    connection is never yielded.
    """
    event, data = "", list[str]()
    for line in lines:
        if not line:
            if data:
                yield ServerSentEvent(event=event or "message", data="\n".join(data))
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)


@dataclass(frozen=True, slots=True)
class StreamUpdate:
    """What one event means for the archive, or why it was skipped (``problem``)."""

    event: str
    items: tuple[ItemRecord, ...] = ()
    deleted_ids: tuple[str, ...] = ()
    problem: str = ""


class MastodonStream:
    """One Mastodon account's user stream, opened again whenever it drops, until stopped.

    ``stop`` ends the stream (from any thread); ``wait`` replaces the pause between attempts in
    tests and returns True when the stream should stop instead; ``jitter`` returns 0 ≤ x < 1.
    """

    def __init__(
        self,
        connector: MastodonConnector,
        *,
        stop: threading.Event | None = None,
        wait: Wait | None = None,
        jitter: Callable[[], float] = random.random,
        read_timeout: float = READ_TIMEOUT,
        backoff_base: float = BACKOFF_BASE,
        backoff_cap: float = BACKOFF_CAP,
    ) -> None:
        self.connector = connector
        self.stop = stop or threading.Event()
        self._wait = wait or self.stop.wait
        self._jitter = jitter
        self.read_timeout = read_timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._response: httpx.Response | None = None
        self._lock = threading.Lock()
        self._lines_read = 0

    def updates(self) -> Iterator[StreamUpdate]:
        """Every event worth archiving, as it arrives; returns once stopped.

        Raises :class:`ConnectorError` when retrying cannot help: the token was refused
        (``needs_reconnect``) or the instance refuses the stream for good.
        """
        url = ""
        failures = 0
        with self.connector.stream_client(read_timeout=self.read_timeout) as client:
            while not self.stop.is_set():
                self._lines_read = 0
                retry_after: float | None = None
                try:
                    url = url or self.connector.streaming_url()
                    yield from self._read(client, url)
                    reason = "the server closed the stream"
                except ConnectorError as error:
                    if error.permanent:
                        raise
                    reason, retry_after = error.message, error.retry_after
                except (httpx.TransportError, httpx.StreamError) as exc:
                    reason = f"the connection dropped ({type(exc).__name__})"
                if self.stop.is_set():
                    return
                # A stream that delivered anything, heartbeats included, was healthy: start
                # backing off afresh.
                failures = 1 if self._lines_read else failures + 1
                delay = retry_after if retry_after is not None else self._backoff(failures)
                logger.info(
                    "%s stream of %s: %s; reconnecting in %.1f s.",
                    self.connector.platform.label,
                    self.connector.handle,
                    reason,
                    delay,
                )
                if self._wait(delay):
                    return

    def close(self) -> None:
        """Stop, and cut the open connection so that a blocked read returns now."""
        self.stop.set()
        with self._lock:
            response = self._response
        if response is not None:
            try:
                response.close()
            except Exception:  # best effort: the reader also checks the stop flag
                logger.debug(
                    "Closing the stream of %s failed.", self.connector.handle, exc_info=True
                )

    def _read(self, client: httpx.Client, url: str) -> Iterator[StreamUpdate]:
        """The updates one connection delivers, until it ends."""
        with client.stream("GET", url) as response:
            self._raise_for_status(response)
            with self._lock:
                self._response = response
            try:
                lines = self._lines(response)
                for event in parse_sse(lines):
                    update = self._update(event)
                    if update is not None:
                        yield update
            except Exception:
                if self.stop.is_set():
                    return  # the connection was cut by close()
                raise
            finally:
                with self._lock:
                    self._response = None

    def _lines(self, response: httpx.Response) -> Iterator[str]:
        for line in response.iter_lines():
            if self.stop.is_set():
                return
            self._lines_read += 1
            yield line

    def _update(self, event: ServerSentEvent) -> StreamUpdate | None:
        try:
            items, deleted = self.connector.read_stream_event(event.event, event.data)
        except ConnectorError as error:
            return StreamUpdate(
                event=event.event,
                problem=f"{error.message} The next poll reads it again.",
            )
        if not items and not deleted:
            return None
        return StreamUpdate(event=event.event, items=tuple(items), deleted_ids=tuple(deleted))

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status == 200:
            return
        response.read()
        try:
            detail = error_text(response.json())
        except ValueError:
            detail = ""
        said = f": {detail}" if detail else "."
        label = self.connector.platform.label
        where = f"the stream of {self.connector.handle}"
        if status == 401:
            raise ConnectorError(
                f"{label} no longer accepts this account's sign-in (HTTP 401 on {where}){said} "
                "Reconnect the account.",
                needs_reconnect=True,
            )
        if status == 429:
            wait = retry_after_seconds(response.headers, now=self.connector.now().timestamp())
            raise ConnectorError(
                f"{label} rate-limited {where} (HTTP 429).",
                retry_after=wait if wait is not None else DEFAULT_RETRY_AFTER,
            )
        if status >= 500:
            raise ConnectorError(f"{label} had a server error on {where} (HTTP {status}){said}")
        raise ConnectorError(f"{label} refused {where} (HTTP {status}){said}", permanent=True)

    def _backoff(self, failures: int) -> float:
        # Full jitter, as in the HTTP layer: many streams cut by one outage do not return at once.
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** (failures - 1))
        return self._jitter() * ceiling

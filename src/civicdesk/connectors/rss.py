"""RSS 2.0 and Atom feeds, read only: blogs, news searches and Google Alerts feeds.

The feed is fetched through :mod:`civicdesk.connectors.http` (so timeouts, 429 and 5xx are
handled like any platform) and parsed from bytes with feedparser, which also sanitizes the
HTML in summaries. ``ETag`` and ``Last-Modified`` make an unchanged feed a cheap 304.

A feed is a sliding window, not a history: an entry that drops out of it was not deleted, so
this connector never reports deletions. Entries are ordered by (last update, id); the cursor
remembers the last one handed out, so a changed entry (Atom ``updated``) is handed out again as
a new version and nothing is skipped when a page stops at ``limit``. Entries without any date
are remembered by id instead.

Google Alerts entries link through ``https://www.google.com/url?...&url=<article>``; the real
article address is unwrapped into ``url``, and the entries count as mentions.

Options: ``feed_url``; ``kind`` (``post`` for the agency's own blog, ``mention`` for news and
alerts; by default ``mention`` for Google Alerts feeds and ``post`` otherwise).
"""

from __future__ import annotations

import calendar
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import feedparser

from civicdesk.connectors.base import (
    Capability,
    ConnectorError,
    FetchPage,
    ItemKind,
    ItemRecord,
    LookupResult,
    MediaRef,
    Platform,
)
from civicdesk.connectors.cursors import CURSOR_VERSION, position_of
from civicdesk.connectors.http import HttpConnector, PlatformClient
from civicdesk.connectors.plaintext import html_to_text

# Undated entries are remembered by id; a feed window is far smaller than this.
MAX_REMEMBERED_UNDATED = 500


@dataclass(frozen=True, slots=True)
class FeedCursor:
    etag: str = ""
    modified: str = ""
    after: str = ""  # "position id" of the last entry handed out
    partial: bool = False  # the last read stopped at ``limit``: read the same feed again
    undated: tuple[str, ...] = field(default_factory=tuple)

    def encode(self) -> str:
        return json.dumps(
            {
                "v": CURSOR_VERSION,
                "etag": self.etag,
                "modified": self.modified,
                "after": self.after,
                "partial": self.partial,
                "undated": list(self.undated),
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, cursor: str) -> FeedCursor:
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
            if data.get("v") != CURSOR_VERSION:
                raise ValueError("unknown cursor version")
            return cls(
                str(data["etag"]),
                str(data["modified"]),
                str(data["after"]),
                bool(data["partial"]),
                tuple(str(i) for i in data["undated"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConnectorError(
                f"The saved feed cursor is unreadable ({exc}); reset the account's cursor.",
                permanent=True,
            ) from exc


def unwrap_google_link(link: str) -> str:
    """The article behind a Google redirect link; any other link unchanged."""
    parts = urlsplit(link)
    if parts.netloc.endswith("google.com") and parts.path == "/url":
        target = parse_qs(parts.query).get("url") or parse_qs(parts.query).get("q")
        if target:
            return target[0]
    return link


def _moment(parsed: time.struct_time | None) -> datetime | None:
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC) if parsed else None


def _json_safe(value: Any) -> Any:
    """feedparser's entry as plain JSON (its dates are struct_time), for ``ItemRecord.raw``."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple) and not isinstance(value, time.struct_time):
        return [_json_safe(v) for v in value]
    if isinstance(value, time.struct_time):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class RssConnector(HttpConnector):
    platform: ClassVar[Platform] = Platform.RSS
    capabilities = frozenset({Capability.READ_POSTS, Capability.READ_MENTIONS, Capability.LOOKUP})
    # One read of the feed answers for every entry in it.
    lookup_batch_size = 1000

    @property
    def http(self) -> PlatformClient:
        if not hasattr(self, "_http"):
            self._http = self.make_client(base_url="")
        return self._http

    @property
    def feed_url(self) -> str:
        return str(self.options["feed_url"])

    @property
    def is_google_alert(self) -> bool:
        return "google.com/alerts/feeds" in self.feed_url

    def fetch_new(self, *, cursor: str, limit: int) -> FetchPage:
        state = FeedCursor.decode(cursor)
        headers = {
            "Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.8"
        }
        if not state.partial:
            # Mid-page the feed must be read in full again, not answered "unchanged".
            if state.etag:
                headers["If-None-Match"] = state.etag
            if state.modified:
                headers["If-Modified-Since"] = state.modified
        response = self.http.get(self.feed_url, headers=headers, expect_json=False)
        if response.status_code == 304:
            return FetchPage(items=(), next_cursor=state.encode())
        parsed = feedparser.parse(
            response.body,
            response_headers={
                "content-location": self.feed_url,
                "content-type": response.headers.get("content-type", "application/xml"),
            },
        )
        if parsed.bozo and not parsed.entries:
            raise ConnectorError(
                f"The feed at {self.feed_url} is not a readable RSS or Atom feed "
                f"({type(parsed.bozo_exception).__name__}); the answer was not stored.",
                permanent=True,
            )
        dated: list[tuple[str, ItemRecord]] = []
        undated: list[ItemRecord] = []
        for entry in parsed.entries:
            record, position = self._record(entry)
            if position:
                dated.append((f"{position} {record.platform_id}", record))
            elif record.platform_id not in state.undated:
                undated.append(record)
        fresh = sorted((pair for pair in dated if pair[0] > state.after), key=lambda pair: pair[0])
        page = fresh[:limit]
        room = max(0, limit - len(page))
        items = [record for _, record in page] + undated[:room]
        partial = len(fresh) > len(page) or len(undated) > room
        remembered = (*state.undated, *(r.platform_id for r in undated[:room]))[
            -MAX_REMEMBERED_UNDATED:
        ]
        next_state = FeedCursor(
            etag=response.headers.get("etag", state.etag),
            modified=response.headers.get("last-modified", state.modified),
            after=page[-1][0] if page else state.after,
            partial=partial,
            undated=remembered,
        )
        return FetchPage(items=items, next_cursor=next_state.encode(), has_more=partial)

    def lookup(self, *, platform_ids: Sequence[str]) -> LookupResult:
        """The feed read again, in full: the asked-for entries still in it, as they are now.

        An entry no longer in the feed has only slid out of its window, so none is ever gone.
        """
        response = self.http.get(self.feed_url, expect_json=False)
        parsed = feedparser.parse(
            response.body,
            response_headers={
                "content-location": self.feed_url,
                "content-type": response.headers.get("content-type", "application/xml"),
            },
        )
        wanted = set(platform_ids)
        # An undated entry gets the time it was read as its date: re-reading it would look
        # like a change every time.
        found = [
            record
            for record, position in map(self._record, parsed.entries)
            if position and record.platform_id in wanted
        ]
        return LookupResult(found=found, gone=())

    def _record(self, entry: Any) -> tuple[ItemRecord, str]:
        published = _moment(entry.get("published_parsed"))
        # dict.get: feedparser maps a missing "updated_parsed" to "published_parsed", and warns.
        updated = _moment(dict.get(entry, "updated_parsed"))
        link = unwrap_google_link(str(entry.get("link", "")))
        title = html_to_text(str(entry.get("title", "")))
        contents = entry.get("content") or []
        body_html = str(contents[0].get("value", "")) if contents else str(entry.get("summary", ""))
        body = html_to_text(body_html)
        text = "\n\n".join(part for part in (title, body) if part)
        platform_id = str(entry.get("id") or link) or hashlib.sha256(text.encode()).hexdigest()
        kind = self.options.get("kind") or ("mention" if self.is_google_alert else "post")
        media = tuple(
            MediaRef(
                url=str(enclosure.get("href", "")),
                kind=str(enclosure.get("type", "image")).split("/")[0],
            )
            for enclosure in entry.get("enclosures") or []
            if enclosure.get("href")
        )
        latest = updated or published
        record = ItemRecord(
            platform_id=platform_id,
            kind=ItemKind(kind),
            text=text,
            created_at=published or updated or self.now(),
            author_name=str(entry.get("author", "")),
            url=link,
            language=str((entry.get("title_detail") or {}).get("language") or ""),
            media=media,
            edited_at=updated if published and updated and updated > published else None,
            raw=_json_safe(dict(entry)),
        )
        return record, position_of(latest) if latest else ""

"""Cursors: where an account's reading stopped, as one opaque string per account.

Most platforms list newest first and page backwards in time, while the caller wants everything
new since last time. So an account is read in *sweeps*: a sweep starts at the newest item, pages
back until it reaches what the previous sweep already read (the watermark), and only then moves
the watermark forward. The cursor is saved after every page, so a crash mid-sweep resumes at the
page it stopped on, and an item is never skipped because the watermark moved too early.

An account may be read from several listings (its mentions and its own posts, say); each is a
*stream* with its own sweep, and one call reads one page of one stream. ``has_more`` stays true
until every stream has finished its sweep.

Positions are strings that sort in time order: platform ids that the platform compares (X
``since_id``, Mastodon ``min_id``) or UTC timestamps written by :func:`position_of`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from civicdesk.connectors.base import ConnectorError, FetchPage, ItemRecord, Platform

CURSOR_VERSION = 1


def position_of(moment: datetime) -> str:
    """A UTC timestamp that sorts as a string, so positions compare without parsing."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def position_before(position: str, window: timedelta) -> str:
    """The position ``window`` earlier than a timestamp position ("" stays "")."""
    if not position:
        return ""
    moment = datetime.strptime(position, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return position_of(moment - window)


@dataclass(frozen=True, slots=True)
class Sweep:
    watermark: str = ""  # newest position read by the last finished sweep
    page: str = ""  # page token inside the sweep in progress ("" between sweeps)
    top: str = ""  # newest position seen by the sweep in progress

    def advance(self, *, seen: Sequence[str], next_page: str, reached_watermark: bool) -> Sweep:
        """The sweep after reading one page that held the positions ``seen``."""
        top = max([self.top, *seen])
        if next_page and not reached_watermark:
            return Sweep(watermark=self.watermark, page=next_page, top=top)
        return Sweep(watermark=max(top, self.watermark))


@dataclass(frozen=True, slots=True)
class StreamPage:
    items: Sequence[ItemRecord]
    sweep: Sweep
    has_more: bool
    deleted_ids: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class StreamCursor:
    stream: str = ""
    sweeps: Mapping[str, Sweep] = field(default_factory=dict)

    def encode(self) -> str:
        return json.dumps(
            {
                "v": CURSOR_VERSION,
                "stream": self.stream,
                "sweeps": {
                    name: {"watermark": s.watermark, "page": s.page, "top": s.top}
                    for name, s in sorted(self.sweeps.items())
                },
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, cursor: str, *, platform: Platform) -> StreamCursor:
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
            if data.get("v") != CURSOR_VERSION:
                raise ValueError("unknown cursor version")
            sweeps = {
                str(name): Sweep(str(s["watermark"]), str(s["page"]), str(s["top"]))
                for name, s in data["sweeps"].items()
            }
            return cls(stream=str(data["stream"]), sweeps=sweeps)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConnectorError(
                f"The saved {platform.label} cursor is unreadable ({exc}); "
                "reset the account's cursor.",
                permanent=True,
            ) from exc


StreamReader = Callable[[Sweep, int], StreamPage]


def read_streams(
    *, platform: Platform, cursor: str, limit: int, readers: Mapping[str, StreamReader]
) -> FetchPage:
    """Read one page of the current stream and say where to continue. ``readers`` is ordered."""
    state = StreamCursor.decode(cursor, platform=platform)
    names = list(readers)
    current = state.stream if state.stream in readers else names[0]
    page = readers[current](state.sweeps.get(current, Sweep()), limit)
    sweeps = {**state.sweeps, current: page.sweep}
    if page.has_more:
        following, has_more = current, True
    else:
        position = names.index(current) + 1
        following = names[position % len(names)]
        has_more = position < len(names)
    return FetchPage(
        items=page.items,
        next_cursor=StreamCursor(stream=following, sweeps=sweeps).encode(),
        has_more=has_more,
        deleted_ids=page.deleted_ids,
    )

"""The replay connector: a JSON Lines file played as if it were a live account.

Used for the demo, for drills and for benchmarks. Each line is one event:

    {"id": "c-1", "kind": "comment", "text": "…", "offset_s": -3600,
     "author": {"handle": "…", "name": "…", "id": "…"}, "parent_id": "p-1",
     "url": "…", "lang": "en", "media": [{"url": "…", "kind": "image", "alt_text": "…"}]}
    {"op": "edit", "id": "c-1", "kind": "comment", "text": "…", "offset_s": 120, "created_offset_s": -3600, …}
    {"op": "delete", "id": "c-1", "offset_s": 300}

An edit or deletion marked ``"unlisted": true`` is one the platform does not list: polling
never reads it, only a ``lookup`` (which answers with the file's state at the current replay
time) sees it, as re-checking sees a quiet edit on a real platform.

``offset_s`` is seconds from the moment the replay started (negative for history, delivered at
once). An edit carries the item's whole new state, as a platform returns it when re-read,
with ``created_offset_s`` for when the item was first posted. The account's options give the file (``replay_path``), the speed (``replay_speed``: 1 is
real time, 60 plays an hour a minute, 0 plays everything at once) and the start time
(``replay_started_at``, ISO 8601, fixed when the account is set up). The cursor is
``<byte offset>:<line number>`` of the next unread line, so a restarted worker resumes exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .base import (
    Capability,
    Connector,
    ConnectorError,
    FetchPage,
    ItemKind,
    ItemRecord,
    LookupResult,
    MediaRef,
    UnsupportedOperation,
)

_KINDS = frozenset(ItemKind.values)
# The last replay file read for lookups, by (path, modification time, size).
_HISTORIES: dict[tuple[str, int, int], dict[str, list[tuple[int, dict[str, Any]]]]] = {}


class ReplayFileError(ConnectorError):
    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path.name}, line {line}: {reason}", permanent=True)
        self.path, self.line, self.reason = path, line, reason


class ReplayConnector(Connector):
    capabilities = frozenset(
        {
            Capability.READ_POSTS,
            Capability.READ_COMMENTS,
            Capability.READ_MENTIONS,
            Capability.READ_MESSAGES,
            Capability.LOOKUP,
        }
    )
    lookup_batch_size = 100

    def __init__(
        self, *, handle: str, credentials: Mapping[str, Any], options: Mapping[str, Any]
    ) -> None:
        super().__init__(handle=handle, credentials=credentials, options=options)
        try:
            self.path = Path(options["replay_path"])
        except KeyError as exc:
            raise ConnectorError(
                "This replay account has no replay file set.", permanent=True
            ) from exc
        self.speed = float(options.get("replay_speed", 1.0))
        started = options.get("replay_started_at")
        parsed = parse_datetime(started) if isinstance(started, str) else None
        if parsed is None:
            raise ConnectorError(
                "This replay account has no valid replay start time.", permanent=True
            )
        self.started_at = parsed
        self.now = timezone.now

    def unsupported(self, capability: Capability) -> UnsupportedOperation:
        return UnsupportedOperation("A replayed account", capability)

    def _due(self, offset_s: float) -> bool:
        if self.speed <= 0 or offset_s <= 0:
            return True
        return self.now() >= self.started_at + timedelta(seconds=offset_s / self.speed)

    def _when(self, offset_s: float) -> datetime:
        # History keeps its real spacing; what is still to come arrives on the replay's clock,
        # so the traffic looks current at any speed.
        if self.speed <= 0 or offset_s <= 0:
            return self.started_at + timedelta(seconds=offset_s)
        return self.started_at + timedelta(seconds=offset_s / self.speed)

    def fetch_new(self, *, cursor: str, limit: int) -> FetchPage:
        offset, line_no = (int(part) for part in cursor.split(":")) if cursor else (0, 0)
        items: list[ItemRecord] = []
        deleted: list[str] = []
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise ConnectorError(
                f"Cannot open replay file {self.path}: {exc.strerror}.", permanent=True
            ) from exc
        with handle:
            handle.seek(offset)
            while len(items) + len(deleted) < limit:
                raw_line = handle.readline()
                if not raw_line:
                    return FetchPage(
                        items, f"{offset}:{line_no}", has_more=False, deleted_ids=deleted
                    )
                if not raw_line.endswith(b"\n"):
                    # A line still being written; read it next time, whole.
                    return FetchPage(
                        items, f"{offset}:{line_no}", has_more=False, deleted_ids=deleted
                    )
                event = self._parse(raw_line, line_no + 1)
                if event is not None and not event.get("unlisted"):
                    if not self._due(float(event.get("offset_s", 0))):
                        return FetchPage(
                            items, f"{offset}:{line_no}", has_more=False, deleted_ids=deleted
                        )
                    self._apply(event, line_no + 1, items, deleted)
                offset += len(raw_line)
                line_no += 1
        return FetchPage(items, f"{offset}:{line_no}", has_more=True, deleted_ids=deleted)

    def lookup(self, *, platform_ids: Sequence[str]) -> LookupResult:
        """Each item's state now: its unlisted changes that are due, and its listed lines up to
        the account's cursor. A listed line the polls have not read yet is still to come, as on
        a platform whose listing and lookups agree: a lookup never sees a state that polling
        would then deliver an older one after."""
        history = self._history()
        cursor = str(self.options.get("replay_cursor") or "")
        read_up_to = int(cursor.split(":")[1]) if ":" in cursor else 0
        found: list[ItemRecord] = []
        gone: list[str] = []
        for platform_id in platform_ids:
            seen = [
                (line, event)
                for line, event in history.get(platform_id, [])
                if self._due(float(event.get("offset_s", 0)))
                and (event.get("unlisted") or line <= read_up_to)
            ]
            if not seen or seen[-1][1].get("op") == "delete":
                gone.append(platform_id)
                continue
            line, event = seen[-1]
            edited = (
                self._when(float(event.get("offset_s", 0))) if event.get("op") == "edit" else None
            )
            found.append(self._record(event, line, edited_at=edited))
        return LookupResult(found=found, gone=gone)

    def _history(self) -> dict[str, list[tuple[int, dict[str, Any]]]]:
        """Every event of the file per item id, in file order; cached while the file is unchanged."""
        try:
            stat = self.path.stat()
        except OSError as exc:
            raise ConnectorError(
                f"Cannot open replay file {self.path}: {exc.strerror}.", permanent=True
            ) from exc
        key = (str(self.path), stat.st_mtime_ns, stat.st_size)
        if key not in _HISTORIES:
            history: dict[str, list[tuple[int, dict[str, Any]]]] = {}
            with self.path.open("rb") as handle:
                for line_no, raw_line in enumerate(handle, start=1):
                    if not raw_line.endswith(b"\n"):
                        break
                    event = self._parse(raw_line, line_no)
                    if event is not None:
                        history.setdefault(str(event["id"]), []).append((line_no, event))
            _HISTORIES.clear()
            _HISTORIES[key] = history
        return _HISTORIES[key]

    def _parse(self, raw_line: bytes, line: int) -> dict[str, Any] | None:
        if not raw_line.strip():
            return None
        try:
            event = json.loads(raw_line)
        except UnicodeDecodeError as exc:
            raise ReplayFileError(self.path, line, f"not UTF-8 text ({exc.reason})") from exc
        except json.JSONDecodeError as exc:
            raise ReplayFileError(
                self.path, line, f"not valid JSON ({exc.msg} at column {exc.colno})"
            ) from exc
        if not isinstance(event, dict):
            raise ReplayFileError(self.path, line, "each line must be a JSON object")
        if not isinstance(event.get("id"), str | int) or str(event.get("id")) == "":
            raise ReplayFileError(self.path, line, 'missing the item\'s "id"')
        try:
            float(event.get("offset_s", 0))
        except (TypeError, ValueError) as exc:
            raise ReplayFileError(
                self.path, line, '"offset_s" must be a number of seconds'
            ) from exc
        return event

    def _apply(
        self, event: dict[str, Any], line: int, items: list[ItemRecord], deleted: list[str]
    ) -> None:
        op = event.get("op", "create")
        if op == "delete":
            deleted.append(str(event["id"]))
        elif op == "edit":
            items.append(
                self._record(event, line, edited_at=self._when(float(event.get("offset_s", 0))))
            )
        elif op == "create":
            items.append(self._record(event, line))
        else:
            raise ReplayFileError(
                self.path, line, f'unknown "op" {op!r} (use create, edit or delete)'
            )

    def _record(
        self, event: dict[str, Any], line: int, edited_at: datetime | None = None
    ) -> ItemRecord:
        kind = event.get("kind", "comment")
        if kind not in _KINDS:
            raise ReplayFileError(self.path, line, f'unknown "kind" {kind!r}')
        author = event.get("author") or {}
        if not isinstance(author, dict):
            raise ReplayFileError(self.path, line, '"author" must be an object')
        media_in = event.get("media") or []
        if not isinstance(media_in, list) or not all(
            isinstance(m, dict) and "url" in m for m in media_in
        ):
            raise ReplayFileError(self.path, line, '"media" must be a list of objects with a "url"')
        return ItemRecord(
            platform_id=str(event["id"]),
            kind=ItemKind(kind),
            text=str(event.get("text") or ""),
            created_at=self._when(float(event.get("created_offset_s", event.get("offset_s", 0)))),
            author_handle=str(author.get("handle") or ""),
            author_name=str(author.get("name") or ""),
            author_platform_id=str(author.get("id") or ""),
            url=str(event.get("url") or ""),
            parent_platform_id=str(event.get("parent_id") or ""),
            language=str(event.get("lang") or ""),
            media=tuple(
                MediaRef(
                    url=str(m["url"]),
                    kind=str(m.get("kind", "image")),
                    alt_text=str(m.get("alt_text", "")),
                )
                for m in media_in
            ),
            edited_at=edited_at,
            raw=event,
        )

"""Mastodon account export: ``outbox.json``, an ActivityStreams ``OrderedCollection``.

Accepts the export's tar.gz or zip, its extracted folder, or ``outbox.json`` itself. Each
``Create`` activity of a ``Note`` is one of the account's posts (a message when addressed to
neither the public nor its followers, else a reply when it has ``inReplyTo``); ``Announce``
activities are boosts of other people's posts and are counted as skipped.

Ids follow the Mastodon connector: a status on the account's own server is keyed by its
numeric id (the last part of ``…/statuses/109…``), so an imported post and the same post read
through the API are one item. Text is the ``content`` HTML read the way the connector reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from civicdesk.connectors.base import ItemKind, ItemRecord, MediaRef
from civicdesk.connectors.plaintext import html_to_text

from .base import EntryError, Importer, Member, Meter, media_kind, string
from .json_stream import read_entries

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
_STATUS = re.compile(r"^(https?://[^/]+)/(?:users/[^/]+/statuses|@[^/]+)/(\d+)$")


def parse_time(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise EntryError(f"{field} {value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise EntryError(f"{field} {value!r} has no time zone")
    return parsed.astimezone(UTC)


def _addresses(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class MastodonExport(Importer):
    label = "a Mastodon account export"

    def sources(self) -> list[Member]:
        members = self.archive.members()
        if len(members) == 1 and not self.archive.is_folder:
            if members[0].name.endswith(".json"):
                return members
        outbox = [m for m in members if m.basename == "outbox.json"]
        if not outbox:
            raise self.missing("outbox.json")
        # The export's own outbox sits at the top; a nested copy would be something else.
        return [min(outbox, key=lambda m: m.name.count("/"))]

    def read(self, meter: Meter) -> Iterator[ItemRecord | None]:
        for member in self.sources():
            yield from read_entries(
                member, meter, self._record, list_keys=("orderedItems",), top_level_list=False
            )

    def _record(self, activity: Any) -> ItemRecord | None:
        if not isinstance(activity, dict):
            raise EntryError("an activity is not an object")
        kind = string(activity, "type", default=None)
        if kind == "Announce":
            return None
        if kind != "Create":
            raise EntryError(f"unexpected activity type {kind!r} (expected Create or Announce)")
        note = activity.get("object")
        if not isinstance(note, dict):
            raise EntryError("the Create activity has no object")
        object_id = string(note, "id", default=None)
        own = _STATUS.match(object_id)
        server = own[1] if own else ""
        parent = string(note, "inReplyTo")
        parent_match = _STATUS.match(parent)
        if parent_match and parent_match[1] == server:
            parent = parent_match[2]
        audience = _addresses(note.get("to")) + _addresses(note.get("cc"))
        if PUBLIC not in audience and not any(a.endswith("/followers") for a in audience):
            item_kind = ItemKind.MESSAGE
        elif parent:
            item_kind = ItemKind.REPLY
        else:
            item_kind = ItemKind.POST
        content_map = note.get("contentMap")
        language = next(iter(content_map), "") if isinstance(content_map, dict) else ""
        updated = string(note, "updated")
        return ItemRecord(
            platform_id=own[2] if own else object_id,
            kind=item_kind,
            text=html_to_text(string(note, "content")),
            created_at=parse_time(
                string(note, "published") or string(activity, "published", default=None),
                "published",
            ),
            author_handle=self.account_handle,
            author_name=self.account_name,
            url=string(note, "url") or object_id,
            parent_platform_id=parent,
            language=language,
            media=self._media(note),
            edited_at=parse_time(updated, "updated") if updated else None,
            raw=activity,
        )

    @staticmethod
    def _media(note: dict[str, Any]) -> tuple[MediaRef, ...]:
        attachments = note.get("attachment") or []
        if not isinstance(attachments, list):
            raise EntryError("'attachment' is not a list")
        refs = []
        for attachment in attachments:
            if not isinstance(attachment, dict):
                raise EntryError("an attachment is not an object")
            url = string(attachment, "url")
            media_type = string(attachment, "mediaType")
            if media_type.startswith("video/") or media_type.startswith("audio/"):
                kind = "video"
            elif media_type == "image/gif":
                kind = "gif"
            else:
                kind = media_kind(url) if not media_type else "image"
            refs.append(MediaRef(url=url, kind=kind, alt_text=string(attachment, "name")))
        return tuple(refs)

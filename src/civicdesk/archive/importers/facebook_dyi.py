"""Facebook "Download your information" (JSON): the account's posts and comments.

Reads ``your_posts_1.json`` (``your_posts__check_ins__photos_and_videos_1.json`` in newer
exports; ``_2``, ``_3``… when split) and ``comments.json`` (under ``comments/`` or
``comments_and_reactions/``), from the export's zip, its folder, or one of those files (a file
whose name contains "comment" is read as comments). Paths vary by export year; only the file
names are matched.

Post text is the ``post`` of its ``data``; photos and videos are ``attachments[].data[].media``
(their ``description`` is a caption, not alt text, so alt text stays empty), shared links are
media of kind "link". Comments keep their ``author``; the export does not say which post a
comment answered, so comments have no parent. See ``meta_dyi`` for text repair and ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from civicdesk.connectors.base import ItemKind, ItemRecord, MediaRef

from .base import EntryError, Importer, Member, Meter, from_timestamp, media_kind, string
from .json_stream import read_entries
from .meta_dyi import entry_id, repair_text

_POSTS = re.compile(r"your_posts(?:__check_ins__photos_and_videos)?(?:_\d+)?\.json")
_COMMENTS = re.compile(r"comments(?:_\d+)?\.json")


def _number(name: str) -> int:
    found = re.search(r"_(\d+)\.json$", name)
    return int(found[1]) if found else 0


def _objects(value: Any, what: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise EntryError(f"{what!r} is not a list of objects")
    return value


def attachment_media(entry: dict[str, Any]) -> tuple[MediaRef, ...]:
    refs = []
    for attachment in _objects(entry.get("attachments"), "attachments"):
        for data in _objects(attachment.get("data"), "attachments.data"):
            media = data.get("media")
            if isinstance(media, dict):
                uri = string(media, "uri")
                refs.append(MediaRef(url=uri, kind=media_kind(uri)))
            context = data.get("external_context")
            if isinstance(context, dict) and string(context, "url"):
                refs.append(MediaRef(url=string(context, "url"), kind="link"))
    return tuple(refs)


class FacebookExport(Importer):
    label = "a Facebook “Download your information” export"

    def sources(self) -> list[Member]:
        members = self.archive.members()
        if len(members) == 1 and not self.archive.is_folder:
            return members
        posts = sorted(
            (m for m in members if _POSTS.fullmatch(m.basename)), key=lambda m: _number(m.name)
        )
        comments = sorted(
            (m for m in members if _COMMENTS.fullmatch(m.basename)), key=lambda m: _number(m.name)
        )
        if not posts and not comments:
            raise self.missing("posts/your_posts_1.json")
        return posts + comments

    def read(self, meter: Meter) -> Iterator[ItemRecord | None]:
        for member in self.sources():
            if "comment" in member.basename:
                yield from read_entries(
                    member, meter, self._comment, list_keys=("comments_v2", "comments")
                )
            else:
                yield from read_entries(member, meter, self._post)

    def _post(self, entry: Any) -> ItemRecord:
        if not isinstance(entry, dict):
            raise EntryError("a post is not an object")
        timestamp = entry.get("timestamp")
        created_at = from_timestamp(timestamp, "timestamp")
        data = _objects(entry.get("data"), "data")
        text = "\n\n".join(repair_text(string(d, "post")) for d in data if "post" in d)
        updated = next((d["update_timestamp"] for d in data if "update_timestamp" in d), None)
        media = attachment_media(entry)
        assert isinstance(timestamp, int | float)
        return ItemRecord(
            platform_id=entry_id("fb-post", timestamp, [text, *(m.url for m in media)]),
            kind=ItemKind.POST,
            text=text,
            created_at=created_at,
            author_handle=self.account_handle,
            author_name=self.account_name,
            media=media,
            edited_at=(
                from_timestamp(updated, "update_timestamp")
                if updated and updated != timestamp
                else None
            ),
            raw=entry,
        )

    def _comment(self, entry: Any) -> ItemRecord:
        if not isinstance(entry, dict):
            raise EntryError("a comment is not an object")
        timestamp = entry.get("timestamp")
        created_at = from_timestamp(timestamp, "timestamp")
        comments = [
            d["comment"]
            for d in _objects(entry.get("data"), "data")
            if isinstance(d.get("comment"), dict)
        ]
        if not comments:
            raise EntryError("the entry has no data[].comment")
        comment = comments[0]
        text = repair_text(string(comment, "comment"))
        author = repair_text(string(comment, "author"))
        media = attachment_media(entry)
        assert isinstance(timestamp, int | float)
        return ItemRecord(
            platform_id=entry_id("fb-comment", timestamp, [text, author, *(m.url for m in media)]),
            kind=ItemKind.COMMENT,
            text=text,
            created_at=created_at,
            author_handle=self.account_handle,
            author_name=author or self.account_name,
            media=media,
            raw=entry,
        )

"""Instagram "Download your information" (JSON): the account's posts and comments.

Reads ``posts_1.json`` (``_2``… when split; under ``content/`` or ``media/`` depending on the
export year), and ``post_comments_1.json`` / ``post_comments.json`` / ``reels_comments.json``,
from the export's zip, its folder, or one of those files (a file whose name contains "comment"
is read as comments).

A post's caption is its ``title`` (on the post, or on its first media when it has only one);
its photos and videos are ``media[].uri``. The export carries no alt text. A comment is a
``string_map_data`` with ``Comment``, ``Media Owner`` and ``Time``; the export does not say
which post it answered, so comments have no parent. See ``meta_dyi`` for text repair and ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from civicdesk.connectors.base import ItemKind, ItemRecord, MediaRef

from .base import EntryError, Importer, Member, Meter, from_timestamp, media_kind, string
from .json_stream import read_entries
from .meta_dyi import entry_id, repair_text

_POSTS = re.compile(r"posts(?:_\d+)?\.json")
_COMMENTS = re.compile(r"(?:post_comments(?:_\d+)?|reels_comments)\.json")
_COMMENT_LISTS = ("comments_media_comments", "comments_reels_comments")


def _number(name: str) -> int:
    found = re.search(r"_(\d+)\.json$", name)
    return int(found[1]) if found else 0


class InstagramExport(Importer):
    label = "an Instagram “Download your information” export"

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
            raise self.missing("content/posts_1.json")
        return posts + comments

    def read(self, meter: Meter) -> Iterator[ItemRecord | None]:
        for member in self.sources():
            if "comment" in member.basename:
                yield from read_entries(member, meter, self._comment, list_keys=_COMMENT_LISTS)
            else:
                yield from read_entries(member, meter, self._post)

    def _post(self, entry: Any) -> ItemRecord:
        if not isinstance(entry, dict):
            raise EntryError("a post is not an object")
        media = entry.get("media") or []
        if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
            raise EntryError("'media' is not a list of objects")
        first = media[0] if media else {}
        timestamp = entry.get("creation_timestamp", first.get("creation_timestamp"))
        created_at = from_timestamp(timestamp, "creation_timestamp")
        caption = repair_text(string(entry, "title") or string(first, "title"))
        refs = tuple(
            MediaRef(url=string(m, "uri"), kind=media_kind(string(m, "uri"))) for m in media
        )
        assert isinstance(timestamp, int | float)
        return ItemRecord(
            platform_id=entry_id("ig-post", timestamp, [caption, *(m.url for m in refs)]),
            kind=ItemKind.POST,
            text=caption,
            created_at=created_at,
            author_handle=self.account_handle,
            author_name=self.account_name,
            media=refs,
            raw=entry,
        )

    def _comment(self, entry: Any) -> ItemRecord:
        fields = entry.get("string_map_data") if isinstance(entry, dict) else None
        if not isinstance(fields, dict):
            raise EntryError('expected an entry like {"string_map_data": {…}}')

        def field(name: str, key: str) -> Any:
            value = fields.get(name)
            return value.get(key) if isinstance(value, dict) else None

        timestamp = field("Time", "timestamp")
        created_at = from_timestamp(timestamp, "Time")
        text = field("Comment", "value")
        if not isinstance(text, str):
            raise EntryError("the comment has no 'Comment' text")
        text = repair_text(text)
        owner = field("Media Owner", "value")
        owner = repair_text(owner) if isinstance(owner, str) else ""
        assert isinstance(timestamp, int | float)
        return ItemRecord(
            platform_id=entry_id("ig-comment", timestamp, [text, owner]),
            kind=ItemKind.COMMENT,
            text=text,
            created_at=created_at,
            author_handle=self.account_handle,
            author_name=self.account_name,
            raw=entry,
        )

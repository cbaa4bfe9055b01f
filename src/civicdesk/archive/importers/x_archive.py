"""X / Twitter archive: ``data/tweets.js`` (and ``tweets-partN.js``), ``data/deleted-tweets.js``.

Each file is JavaScript: ``window.YTD.tweets.part0 = [ {"tweet": {…}}, … ]``. Accepts the
archive's zip, its extracted folder (or its ``data`` folder), or one ``.js`` file.

- ``full_text`` is HTML-escaped by X (``&amp;``, ``&lt;``, ``&gt;`` only); the archive keeps the
  words as they read on X, and the verbatim entry in ``raw``.
- Deleted tweets become items whose only version is a deletion that keeps the words; a tweet in
  both files is read once, from the deleted file, so importing twice writes nothing twice.
- An edited tweet appears in the archive once per edit, each with its own id; each is archived as
  its own item under that id (the entry's ``edit_info`` in ``raw`` links them).
- Media alt text is read from ``ext_alt_text`` where the archive has it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from civicdesk.connectors.base import ItemKind, ItemRecord, MediaRef

from .base import ArchiveFormatError, EntryError, Importer, Member, Meter, string
from .json_stream import JsonStream, read_entries

_TWEETS = re.compile(r"tweets(?:-part(\d+))?\.js")
_DELETED = re.compile(r"deleted-tweets(?:-part(\d+))?\.js")
_PREFIX = re.compile(r"\s*window\.YTD\.(?P<name>\w+)\.part(?P<part>\d+)\s*=\s*")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_MEDIA_KINDS = {"photo": "image", "video": "video", "animated_gif": "gif"}


def parse_created_at(value: str) -> datetime:
    """``Sat Aug 12 16:10:37 +0000 2023`` as a UTC time (strptime is ten times slower)."""
    try:
        _, month, day, clock, offset, year = value.split(" ")
        hour, minute, second = clock.split(":")
        sign = -1 if offset[0] == "-" else 1
        if len(offset) != 5 or offset[0] not in "+-":
            raise ValueError(offset)
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        local = datetime(
            int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=zone
        )
    except (ValueError, KeyError):
        raise EntryError(
            f"created_at {value!r} is not a time like 'Sat Aug 12 16:10:37 +0000 2023'"
        ) from None
    return local.astimezone(UTC)


def unescape(text: str) -> str:
    # X escapes exactly these three; html.unescape would also decode "&eacute;" typed by a person.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class XArchive(Importer):
    label = "an X / Twitter archive"

    def sources(self) -> list[Member]:
        members = self.archive.members()
        if len(members) == 1 and not self.archive.is_folder and members[0].name.endswith(".js"):
            return members
        deleted = self._matching(members, _DELETED)
        tweets = self._matching(members, _TWEETS)
        if not tweets and not deleted:
            raise self.missing("data/tweets.js")
        return deleted + tweets

    @staticmethod
    def _matching(members: list[Member], pattern: re.Pattern[str]) -> list[Member]:
        found = [(m, match) for m in members if (match := pattern.fullmatch(m.basename))]
        return [m for m, _ in sorted(found, key=lambda f: int(f[1][1] or 0))]

    def read(self, meter: Meter) -> Iterator[ItemRecord | None]:
        # Deleted files come first: their ids (usually few) are skipped in tweets.js.
        deleted_ids: set[str] = set()
        for member in self.sources():
            for record in self._read_member(member, meter):
                if record.is_deleted:
                    deleted_ids.add(record.platform_id)
                elif record.platform_id in deleted_ids:
                    continue
                yield record

    def _read_member(self, member: Member, meter: Meter) -> Iterator[ItemRecord]:
        # The file's own prefix says what it holds, whatever the file is called.
        holds: list[str] = []

        def prefix(stream: JsonStream) -> None:
            holds.append(self._prefix(stream, member))

        def record(entry: Any) -> ItemRecord:
            return self._record(entry, deleted=holds[0] == "deleted_tweets")

        for item in read_entries(member, meter, record, prefix=prefix, trailing=";"):
            assert item is not None
            yield item

    @staticmethod
    def _prefix(stream: JsonStream, member: Member) -> str:
        match = stream.skip_prefix(_PREFIX, "'window.YTD.tweets.part0 = '")
        name = match["name"]
        if name not in ("tweets", "deleted_tweets"):
            raise ArchiveFormatError(
                member.name, f"holds window.YTD.{name}, not tweets or deleted_tweets", byte=0
            )
        return name

    def _record(self, entry: Any, *, deleted: bool) -> ItemRecord:
        tweet = entry.get("tweet") if isinstance(entry, dict) else None
        if not isinstance(tweet, dict):
            raise EntryError('expected an entry like {"tweet": {…}}')
        tweet_id = string(tweet, "id_str") or string(tweet, "id", default=None)
        parent = string(tweet, "in_reply_to_status_id_str")
        language = string(tweet, "lang")
        return ItemRecord(
            platform_id=tweet_id,
            kind=ItemKind.REPLY if parent else ItemKind.POST,
            text=unescape(string(tweet, "full_text") or string(tweet, "text")),
            created_at=parse_created_at(string(tweet, "created_at", default=None)),
            author_handle=self.account_handle,
            author_name=self.account_name,
            url=f"https://x.com/{self.account_handle or 'i'}/status/{tweet_id}",
            parent_platform_id=parent,
            language=language if language not in ("und", "zxx") else "",
            media=self._media(tweet),
            is_deleted=deleted,
            raw=entry,
        )

    @staticmethod
    def _media(tweet: dict[str, Any]) -> tuple[MediaRef, ...]:
        entities = tweet.get("extended_entities") or tweet.get("entities") or {}
        media = entities.get("media") if isinstance(entities, dict) else None
        if not isinstance(media, list):
            return ()
        refs = []
        for item in media:
            if not isinstance(item, dict):
                raise EntryError("a media entry is not an object")
            refs.append(
                MediaRef(
                    url=string(item, "media_url_https") or string(item, "media_url"),
                    kind=_MEDIA_KINDS.get(string(item, "type"), "image"),
                    alt_text=string(item, "ext_alt_text"),
                )
            )
        return tuple(refs)

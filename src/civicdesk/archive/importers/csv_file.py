"""A CSV file of items, for archives kept in spreadsheets or exported by other tools.

UTF-8 (a byte-order mark is allowed), comma-separated, fields quoted with ``"`` when they hold
a comma, a quote or a line break (what spreadsheet programs and Python's ``csv`` module write).
The first line is this header, exactly, in this order:

    platform_id,kind,created_at,author_handle,author_name,text,url,parent_platform_id,language,media_urls,media_alt_texts,is_deleted

============== ======== ==============================================================
column         required meaning
============== ======== ==============================================================
platform_id    yes      the item's id on its platform (unique within the file)
kind           yes      post, comment, reply, mention or message
created_at     yes      ISO 8601 time with a zone: 2024-03-01T07:30:00Z, …-05:00
author_handle           the author's handle, without @ (the account's own: its handle)
author_name             the author's display name
text                    the words, exactly (line breaks allowed inside quotes)
url                     the item's address on the platform
parent_platform_id      the id of the post or comment it answers
language                language code (en, es …)
media_urls              addresses of photos/videos, separated by spaces
media_alt_texts         their alt texts, one line each, in the same order
is_deleted     yes      true or false: the item was deleted (its words are kept)
============== ======== ==============================================================

``is_deleted`` is last and must be ``true`` or ``false``, so that a file cut short in its last
row cannot pass for a complete one. A row may hold 64 MiB of text at most; a longer one, or a file
without line breaks, is refused as soon as it is that long, before more of it is read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TextIO

from civicdesk.connectors.base import ItemKind, ItemRecord, MediaRef

from .base import (
    MAX_ENTRY_CHARS,
    ArchiveFormatError,
    EntryError,
    Importer,
    Member,
    Meter,
    check_record,
    entry_too_large,
    locate_invalid_utf8,
    media_kind,
)

COLUMNS = (
    "platform_id",
    "kind",
    "created_at",
    "author_handle",
    "author_name",
    "text",
    "url",
    "parent_platform_id",
    "language",
    "media_urls",
    "media_alt_texts",
    "is_deleted",
)
# Long posts and transcripts run past csv's default 128 KiB per field.
FIELD_LIMIT = 16 << 20


class _RowTooLong(Exception):
    """A row runs past :data:`MAX_ENTRY_CHARS`; the reader raises it before holding more."""


class _Lines:
    """The physical lines of a CSV text, for ``csv.reader``, never longer than one row may be.

    ``csv.reader`` asks its source for whole lines, and a text stream reads a line to its end
    however long it is: a file with gigabytes and no line break would be held in memory whole
    before any field limit applies. Each line is read with ``readline(limit)`` instead, the
    limit being what is left of the row's allowance, so a row is refused after at most
    :data:`MAX_ENTRY_CHARS` characters. Counts where the current row starts, in bytes and lines.
    """

    def __init__(self, text: TextIO) -> None:
        self._text = text
        self._bytes = 0
        self._lines = 0
        self._row_chars = 0
        self.row_byte = 0
        self.row_line = 1

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._text.readline(MAX_ENTRY_CHARS + 1 - self._row_chars)
        if not line:
            raise StopIteration
        self._row_chars += len(line)
        if self._row_chars > MAX_ENTRY_CHARS:
            raise _RowTooLong
        self._bytes += len(line) if line.isascii() else len(line.encode("utf-8"))
        self._lines += 1
        if self._lines == 1:
            # The byte-order mark some spreadsheet programs write is not part of the header.
            line = line.removeprefix("\ufeff")
        return line

    def start_row(self) -> None:
        """Mark where the next row starts: after everything read so far."""
        self.row_byte = self._bytes
        self.row_line = self._lines + 1
        self._row_chars = 0


class CsvFile(Importer):
    label = "a CSV file of items"

    def sources(self) -> list[Member]:
        members = self.archive.members()
        if len(members) == 1 and not self.archive.is_folder:
            return members
        found = [m for m in members if m.basename.lower().endswith(".csv")]
        if not found:
            raise self.missing("a .csv file")
        return found

    def read(self, meter: Meter) -> Iterator[ItemRecord | None]:
        previous_limit = csv.field_size_limit(FIELD_LIMIT)
        try:
            for member in self.sources():
                yield from self._read_member(member, meter)
        finally:
            csv.field_size_limit(previous_limit)

    def _read_member(self, member: Member, meter: Meter) -> Iterator[ItemRecord]:
        with member.open(meter) as raw:
            lines = _Lines(io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8", newline=""))
            reader = csv.reader(lines, strict=True)
            try:
                header = next(reader, None)
                if header is None:
                    raise ArchiveFormatError(member.name, "the file is empty", line=1)
                if tuple(header) != COLUMNS:
                    raise ArchiveFormatError(
                        member.name,
                        f"expected the header {','.join(COLUMNS)}; found {','.join(header)}",
                        line=1,
                    )
                lines.start_row()
                for row in reader:
                    try:
                        record = self._record(row)
                        check_record(record)
                    except EntryError as error:
                        raise ArchiveFormatError(
                            member.name, str(error), line=lines.row_line
                        ) from None
                    meter.items += 1
                    yield record
                    lines.start_row()
            except _RowTooLong:
                raise entry_too_large(
                    member.name, byte=lines.row_byte, line=lines.row_line
                ) from None
            except csv.Error as error:
                raise ArchiveFormatError(
                    member.name,
                    f"the row starting here cannot be read: {error}",
                    line=lines.row_line,
                ) from None
            except UnicodeDecodeError as error:
                byte, bad_line = locate_invalid_utf8(member)
                raise ArchiveFormatError(
                    member.name, f"not valid UTF-8 ({error.reason})", byte=byte, line=bad_line
                ) from None

    def _record(self, row: list[str]) -> ItemRecord:
        if len(row) != len(COLUMNS):
            raise EntryError(f"expected {len(COLUMNS)} columns, found {len(row)}")
        values = dict(zip(COLUMNS, row, strict=True))
        if not values["platform_id"]:
            raise EntryError("platform_id is empty")
        try:
            kind = ItemKind(values["kind"])
        except ValueError:
            choices = ", ".join(ItemKind.values)
            raise EntryError(f"kind {values['kind']!r} is not one of {choices}") from None
        is_deleted = values["is_deleted"].lower()
        if is_deleted not in ("true", "false"):
            raise EntryError(f"is_deleted {values['is_deleted']!r} is not true or false")
        urls = values["media_urls"].split()
        alt_texts = values["media_alt_texts"].splitlines() if values["media_alt_texts"] else []
        if len(alt_texts) > len(urls):
            raise EntryError(f"{len(alt_texts)} media alt texts for {len(urls)} media URLs")
        alt_texts += [""] * (len(urls) - len(alt_texts))
        return ItemRecord(
            platform_id=values["platform_id"],
            kind=kind,
            text=values["text"],
            created_at=parse_created_at(values["created_at"]),
            author_handle=values["author_handle"].lstrip("@"),
            author_name=values["author_name"],
            url=values["url"],
            parent_platform_id=values["parent_platform_id"],
            language=values["language"],
            media=tuple(
                MediaRef(url=url, kind=media_kind(url), alt_text=alt)
                for url, alt in zip(urls, alt_texts, strict=True)
            ),
            is_deleted=is_deleted == "true",
            raw=values,
        )


def parse_created_at(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise EntryError(f"created_at {value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise EntryError(
            f"created_at {value!r} has no time zone; add Z for UTC or an offset like -05:00"
        )
    return parsed.astimezone(UTC)

"""Reading the entries of a very large JSON list one at a time, with exact error positions.

The standard library's C decoder parses each entry (``raw_decode``); this module only walks the
outer structure (``[ … , … ]``, or the one list inside a top-level object) and keeps a buffer of
about one read's worth of text plus the entry being parsed, so memory stays flat however long
the list is. Every error names the byte offset and line in the file where it was found.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Collection, Iterator
from typing import Any

from civicdesk.connectors.base import ItemRecord

from .base import (
    MAX_ENTRY_CHARS,
    ArchiveFormatError,
    EntryError,
    Member,
    Meter,
    Readable,
    check_record,
    entry_too_large,
)

CHUNK_BYTES = 1 << 20
# A value that ends this close to the end of the buffer may continue in the next read (a number,
# ``true`` cut after ``tr``, a ``\uXXXX`` escape cut in half): read more and parse it again.
LOOKAHEAD = 16

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _describe(char: str) -> str:
    return repr(char) if char else "the end of the file"


class JsonStream:
    """A cursor over the text of one JSON file, read from a binary stream in chunks."""

    def __init__(self, raw: Readable, *, name: str, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.name = name
        self._raw = raw
        self._chunk_bytes = chunk_bytes
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._bytes_read = 0
        # What was dropped from the front of the buffer, to turn positions into file offsets.
        self._dropped_bytes = 0
        self._dropped_lines = 0
        self._mark = 0  # the buffer keeps everything from here (the current entry's start)

    # Positions and errors

    def error(self, reason: str, *, at: int | None = None) -> ArchiveFormatError:
        """An error located at buffer position ``at`` (the current position by default)."""
        byte, line = self._locate(self._pos if at is None else at)
        return ArchiveFormatError(self.name, reason, byte=byte, line=line)

    def _locate(self, index: int) -> tuple[int, int]:
        """Byte offset and line in the file of buffer position ``index``."""
        prefix = self._buf[:index]
        return (
            self._dropped_bytes + len(prefix.encode("utf-8", "surrogatepass")),
            self._dropped_lines + prefix.count("\n") + 1,
        )

    def entry_error(self, reason: str) -> ArchiveFormatError:
        """An error about the entry that ``entries`` yielded last, located at its start."""
        return self.error(reason, at=self._mark)

    # Reading

    def _fill(self) -> bool:
        """Read one more chunk into the buffer; False at the end of the file.

        May drop text before the mark, so buffer positions taken before the call are stale
        when it returns True (and unchanged when it returns False).
        """
        if self._eof:
            return False
        data = self._raw.read(self._chunk_bytes)
        final = not data
        pending = len(self._decoder.getstate()[0])
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as error:
            raise ArchiveFormatError(
                self.name,
                f"not valid UTF-8 ({error.reason})",
                byte=self._bytes_read - pending + error.start,
            ) from None
        self._bytes_read += len(data)
        self._eof = final
        if not text:
            return not final
        if self._mark > self._chunk_bytes:
            dropped = self._buf[: self._mark]
            self._dropped_bytes += len(dropped.encode("utf-8", "surrogatepass"))
            self._dropped_lines += dropped.count("\n")
            self._buf = self._buf[self._mark :]
            self._pos -= self._mark
            self._mark = 0
        self._buf += text
        return True

    def peek(self) -> str:
        """The next character that is not whitespace, without consuming it; "" at the end."""
        while True:
            match = _WHITESPACE.match(self._buf, self._pos)
            assert match is not None
            self._pos = match.end()
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            # Everything up to here has been read: let the buffer drop it, so that a long run
            # of blanks between entries is read in bounded memory.
            self._mark = self._pos
            if not self._fill():
                return ""

    def expect(self, char: str, context: str) -> None:
        found = self.peek()
        if found != char:
            raise self.error(f"expected {char!r} {context}, found {_describe(found)}")
        self._pos += 1

    def skip_prefix(self, pattern: re.Pattern[str], description: str) -> re.Match[str]:
        """Consume text matching ``pattern`` at the start of the file (``window.YTD… =``)."""
        while len(self._buf) < 4096 and self._fill():
            pass
        match = pattern.match(self._buf, self._pos)
        if match is None:
            raise self.error(f"expected {description} at the start of the file")
        self._pos = match.end()
        return match

    def value(self) -> Any:
        """Decode the JSON value at the current position."""
        self.peek()
        self._mark = self._pos
        while True:
            # Reading more may drop text before the mark; positions are taken from it anew.
            start = self._mark
            try:
                value, end = _DECODER.raw_decode(self._buf, start)
            except json.JSONDecodeError as error:
                into = error.pos - start
                may_continue = error.pos >= len(self._buf) - LOOKAHEAD or error.msg.startswith(
                    "Unterminated string"
                )
                if may_continue and self._grow():
                    continue
                reason = error.msg[:1].lower() + error.msg[1:]
                reason = reason.removesuffix(" starting at").removesuffix(" at")
                if self._eof and may_continue:
                    reason += " (the file ends in the middle of an entry: was it cut short?)"
                raise self.error(reason, at=self._mark + into) from None
            if end >= len(self._buf) - LOOKAHEAD and self._grow():
                continue
            self._pos = end
            return value

    def _grow(self) -> bool:
        if len(self._buf) - self._mark > MAX_ENTRY_CHARS:
            byte, line = self._locate(self._mark)
            raise entry_too_large(self.name, byte=byte, line=line)
        return self._fill()

    def end(self, *, allow: str = "") -> None:
        """Require the end of the file, after optional characters in ``allow`` (a ``;``)."""
        found = self.peek()
        while found and found in allow:
            self._pos += 1
            found = self.peek()
        if found:
            raise self.error(f"unexpected {found!r} after the end of the list")

    # Structure

    def array(self, context: str) -> Iterator[Any]:
        """Yield each element of the list that starts at the current position."""
        self.expect("[", context)
        if self.peek() == "]":
            self._pos += 1
            return
        count = 0
        while True:
            yield self.value()
            count += 1
            found = self.peek()
            if found == ",":
                self._pos += 1
            elif found == "]":
                self._pos += 1
                self._mark = self._pos
                return
            elif not found:
                raise self.error(
                    f"the file ends after entry {count:,} without closing the list: "
                    "was it cut short?"
                )
            else:
                raise self.error(f"expected ',' or ']' after entry {count:,}, found {found!r}")

    def entries(
        self, *, list_keys: Collection[str] = (), top_level_list: bool = True, trailing: str = ""
    ) -> Iterator[Any]:
        """Yield the entries of the file's list of entries, then check the file ends there.

        The list is either the whole document (when ``top_level_list``) or the value of the
        first of ``list_keys`` found in a top-level object; other keys are read and dropped.
        """
        first = self.peek()
        if first == "[" and top_level_list:
            yield from self.array("at the start of the list")
            self.end(allow=trailing)
            return
        names = ", ".join(repr(k) for k in list_keys)
        if not list_keys:
            raise self.error(f"expected '[' at the start of the file, found {_describe(first)}")
        if first != "{":
            wanted = "'[' or '{'" if top_level_list else "'{'"
            raise self.error(
                f"expected {wanted} at the start of the file, found {_describe(first)}"
            )
        self._pos += 1
        found_list = False
        if self.peek() == "}":
            self._pos += 1
        else:
            while True:
                if self.peek() != '"':
                    raise self.error(f"expected a property name, found {_describe(self.peek())}")
                key = self.value()
                self.expect(":", f"after the property name {key!r}")
                if key in list_keys and not found_list:
                    found_list = True
                    yield from self.array(f"as the value of {key!r}")
                else:
                    self.value()
                found = self.peek()
                if found == ",":
                    self._pos += 1
                elif found == "}":
                    self._pos += 1
                    break
                else:
                    raise self.error(
                        f"expected ',' or '}}' in the top-level object, found {_describe(found)}"
                    )
        if not found_list:
            raise self.error(f"the file has no list of entries (looked for {names})")
        self.end(allow=trailing)


def read_entries(
    member: Member,
    meter: Meter,
    map_entry: Callable[[Any], ItemRecord | None],
    *,
    prefix: Callable[[JsonStream], None] | None = None,
    list_keys: Collection[str] = (),
    top_level_list: bool = True,
    trailing: str = "",
) -> Iterator[ItemRecord | None]:
    """Stream one JSON file of ``member`` and map each entry, locating any error in the file."""
    with member.open(meter) as raw:
        stream = JsonStream(raw, name=member.name)
        if prefix is not None:
            prefix(stream)
        entries = stream.entries(
            list_keys=list_keys, top_level_list=top_level_list, trailing=trailing
        )
        for number, entry in enumerate(entries, 1):
            try:
                record = map_entry(entry)
                if record is not None:
                    check_record(record)
            except EntryError as error:
                raise stream.entry_error(f"entry {number:,}: {error}") from None
            meter.items += 1
            yield record

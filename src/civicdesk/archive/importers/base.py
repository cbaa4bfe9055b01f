"""What every archive importer shares: the error it raises, the archive it reads, its progress.

An importer turns the files of one export format into :class:`ItemRecord` objects, reading
them as streams: nothing holds a whole file in memory. It never touches the database;
``importing.import_archive`` runs it twice (check, then store) and persists what it yields.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import stat
import tarfile
import time
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, ClassVar, Protocol

from civicdesk.connectors.base import ItemRecord

# Errors that a damaged zip or tar.gz raises while its members are read.
DAMAGED = (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError)
# One entry (a post with its metadata, one row) is a few kilobytes; anything this large is not an
# entry. Readers hold at most one entry in memory, so this also bounds what a zip bomb can cost.
MAX_ENTRY_CHARS = 64 << 20


class ArchiveFormatError(Exception):
    """The archive cannot be imported as it is: names the file, where in it, and why."""

    def __init__(
        self, file: str, reason: str, *, byte: int | None = None, line: int | None = None
    ) -> None:
        self.file = file
        self.reason = reason
        self.byte = byte
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.byte is not None and self.line is not None:
            where = f", byte {self.byte:,} (line {self.line:,})"
        elif self.byte is not None:
            where = f", byte {self.byte:,}"
        elif self.line is not None:
            where = f", line {self.line:,}"
        else:
            where = ""
        return f"{self.file}{where}: {self.reason}"


def entry_too_large(file: str, *, byte: int, line: int) -> ArchiveFormatError:
    """The error for an entry starting at ``byte`` (on ``line``) that runs past the limit."""
    return ArchiveFormatError(
        file,
        f"one entry is larger than {MAX_ENTRY_CHARS >> 20} MiB; this is not an export file",
        byte=byte,
        line=line,
    )


class EntryError(Exception):
    """One entry of an otherwise well-formed file cannot be read; the reader adds where."""


@dataclass(frozen=True)
class Progress:
    phase: str  # "hashing", "checking" or "storing"
    bytes_done: int
    bytes_total: int
    items: int
    elapsed: float
    finished: bool = False

    @property
    def items_per_second(self) -> float:
        return self.items / self.elapsed if self.elapsed > 0 else 0.0


ProgressCallback = Callable[[Progress], None]


class Meter:
    """Counts bytes and items of one phase and reports them at most a few times a second."""

    def __init__(
        self, phase: str, *, bytes_total: int, callback: ProgressCallback | None, every: float
    ) -> None:
        self.phase = phase
        self.bytes_total = bytes_total
        self.bytes_done = 0
        self.items = 0
        self._callback = callback
        self._every = every
        self._started = time.monotonic()
        self._last = self._started

    def add_bytes(self, count: int) -> None:
        self.bytes_done += count
        if self._callback is not None:
            now = time.monotonic()
            if now - self._last >= self._every:
                self._last = now
                self._callback(self.snapshot(now))

    def snapshot(self, now: float | None = None, *, finished: bool = False) -> Progress:
        return Progress(
            phase=self.phase,
            bytes_done=self.bytes_done,
            bytes_total=self.bytes_total,
            items=self.items,
            elapsed=(now or time.monotonic()) - self._started,
            finished=finished,
        )

    def finish(self) -> None:
        if self._callback is not None:
            self._callback(self.snapshot(finished=True))


class Readable(Protocol):
    """What an importer needs of a file: a member of a zip or tar, or a file on disk."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class CountingReader(io.RawIOBase):
    """A binary stream that tells a meter how many bytes went through it."""

    def __init__(self, inner: Readable, *, name: str, meter: Meter | None) -> None:
        self._inner = inner
        self._name = name
        self._meter = meter
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._inner.read(size)
        except DAMAGED as error:
            raise ArchiveFormatError(
                self._name, f"is damaged inside the archive ({error})", byte=self._offset
            ) from None
        self._offset += len(data)
        if self._meter is not None:
            self._meter.add_bytes(len(data))
        return data

    def close(self) -> None:
        self._inner.close()
        super().close()


@dataclass(frozen=True)
class Member:
    """One file inside an archive (or the archive itself, when it is a single file)."""

    name: str
    size: int
    _open: Callable[[], Readable]

    @property
    def basename(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    def open(self, meter: Meter | None = None) -> CountingReader:
        try:
            inner = self._open()
        except DAMAGED as error:
            raise ArchiveFormatError(self.name, f"cannot be read: {error}") from None
        return CountingReader(inner, name=self.name, meter=meter)


class Archive:
    """A zip, a tar.gz, an extracted folder or a single file, listed as members.

    Remembers the size and modification time of what it opened, so that an import can refuse
    to commit if the files changed between the check and the store.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            info = path.stat()
        except OSError as error:
            raise ArchiveFormatError(path.name, f"cannot be opened: {error.strerror}") from None
        self.is_folder = stat.S_ISDIR(info.st_mode)
        self._members: list[Member] | None = None
        self._stamps = self._stamp()

    def _stamp(self) -> list[tuple[str, int, int]]:
        paths = [self.path]
        if self.is_folder:
            paths = sorted(p for p in self.path.rglob("*") if p.is_file())
        return [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths]

    def is_unchanged(self) -> bool:
        return self._stamp() == self._stamps

    @property
    def size(self) -> int:
        return sum(size for _, size, _ in self._stamps)

    def members(self) -> list[Member]:
        if self._members is None:
            self._members = self._list()
        return self._members

    def _list(self) -> list[Member]:
        path = self.path
        if self.is_folder:
            return [
                Member(p.relative_to(path).as_posix(), p.stat().st_size, _file_opener(p))
                for p in sorted(p for p in path.rglob("*") if p.is_file())
            ]
        if zipfile.is_zipfile(path):
            try:
                with zipfile.ZipFile(path) as zipped:
                    infos = [i for i in zipped.infolist() if not i.is_dir()]
            except zipfile.BadZipFile as error:
                raise ArchiveFormatError(path.name, f"is a damaged zip file: {error}") from None
            return [Member(i.filename, i.file_size, _zip_opener(path, i.filename)) for i in infos]
        if path.name.endswith((".tar.gz", ".tgz", ".tar")):
            try:
                with tarfile.open(path) as tar:
                    files = [m for m in tar if m.isfile()]
            except DAMAGED as error:
                raise ArchiveFormatError(path.name, f"is a damaged tar file: {error}") from None
            return [Member(m.name, m.size, _tar_opener(path, m.name)) for m in files]
        if path.suffix.lower() == ".zip":
            raise ArchiveFormatError(
                path.name, "is not a complete zip file (was the download cut short?)"
            )
        return [Member(path.name, self._stamps[0][1], _file_opener(path))]

    def fingerprint(self, meter: Meter) -> str:
        """SHA-256 of the file, or of a folder's files in name order, streamed."""
        digest = hashlib.sha256()
        for name, _, _ in self._stamps:
            with open(name, "rb") as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
                    meter.add_bytes(len(chunk))
        return digest.hexdigest()


def _file_opener(path: Path) -> Callable[[], Readable]:
    return lambda: path.open("rb")


def _zip_opener(path: Path, name: str) -> Callable[[], Readable]:
    def open_member() -> Readable:
        zipped = zipfile.ZipFile(path)
        stream = zipped.open(name)
        # Closing the member stream must close the zip file it came from.
        return _Closing(stream, zipped)

    return open_member


def _tar_opener(path: Path, name: str) -> Callable[[], Readable]:
    def open_member() -> Readable:
        tar = tarfile.open(path)
        stream = tar.extractfile(name)
        if stream is None:
            tar.close()
            raise ArchiveFormatError(name, "is not a regular file")
        return _Closing(stream, tar)

    return open_member


class _Closing(io.RawIOBase):
    def __init__(self, stream: IO[bytes], owner: zipfile.ZipFile | tarfile.TarFile) -> None:
        self._stream = stream
        self._owner = owner

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        self._owner.close()
        super().close()


class Importer(ABC):
    """One export format: which files of an archive it reads, and how entries become records.

    ``read`` yields one :class:`ItemRecord` per item, or ``None`` for an entry that is read but
    deliberately not archived (a boost, say). It raises :class:`ArchiveFormatError` for anything
    it cannot read, and it must yield the same records every time it reads the same archive:
    nothing may depend on the clock or on the database.
    """

    label: ClassVar[str]

    def __init__(self, archive: Archive, *, account_handle: str, account_name: str) -> None:
        self.archive = archive
        self.account_handle = account_handle.lstrip("@")
        self.account_name = account_name

    @abstractmethod
    def sources(self) -> list[Member]:
        """The archive's files this format reads, in reading order; raises if there are none."""

    @abstractmethod
    def read(self, meter: Meter) -> Iterator[ItemRecord | None]: ...

    def missing(self, what: str) -> ArchiveFormatError:
        return ArchiveFormatError(
            self.archive.path.name, f"does not look like {self.label}: {what} not found"
        )


# Fields copied into the database's listing columns, which must be encodable text.
_COLUMN_FIELDS = ("platform_id", "parent_platform_id", "author_handle", "author_name", "url")


def check_record(record: ItemRecord) -> None:
    """Refuse what the archive could not store faithfully; raises :class:`EntryError`."""
    if not record.platform_id:
        raise EntryError("the entry has no id")
    if len(record.platform_id) > 255:
        raise EntryError(f"the id {record.platform_id[:40]!r}… is longer than 255 characters")
    if record.created_at.tzinfo is None:
        raise EntryError("the time has no time zone")
    for name in _COLUMN_FIELDS:
        value = getattr(record, name)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise EntryError(f"{name} contains an unpaired surrogate character") from None


def locate_invalid_utf8(member: Member) -> tuple[int, int]:
    """Byte offset and line of the first byte of ``member`` that is not UTF-8 (error path only)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines = 0, 1
    with member.open() as stream:
        while True:
            chunk = stream.read(1 << 20)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                at = error.start - pending
                return offset + at, lines + chunk.count(b"\n", 0, max(at, 0))
            if not chunk:
                return offset, lines
            offset += len(chunk)
            lines += chunk.count(b"\n")


def from_timestamp(value: Any, field: str) -> datetime:
    """A UTC time from epoch seconds, as Meta's exports write them."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EntryError(f"{field} {value!r} is not a time in seconds since 1970")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise EntryError(f"{field} {value!r} is not a time in seconds since 1970") from None


def string(entry: dict[str, Any], key: str, *, default: str | None = "") -> str:
    """``entry[key]`` as a string; ``default`` when absent or null (None makes it required)."""
    value = entry.get(key)
    if value is None:
        if default is None:
            raise EntryError(f"the entry has no {key!r}")
        return default
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise EntryError(f"{key!r} should be text, not {type(value).__name__}")
    return str(value)


def media_kind(url: str) -> str:
    """MediaRef kind from a file name, for exports that do not say."""
    lowered = url.lower().rsplit("?", 1)[0]
    if lowered.endswith((".mp4", ".mov", ".m4v", ".webm", ".avi")):
        return "video"
    if lowered.endswith(".gif"):
        return "gif"
    return "image"

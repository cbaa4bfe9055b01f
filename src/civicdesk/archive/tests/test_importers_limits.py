"""Archives built to exhaust memory are refused after at most one entry's worth of reading.

The files here expand to gigabytes but are made in a moment: a zip whose one entry repeats a
small compressed block, and a sparse file. Each test measures the peak of Python's allocations
while the import runs; reading any of these files whole would take gigabytes.
"""

from __future__ import annotations

import struct
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from civicdesk.archive.importers import ArchiveFormatError, base, csv_file, import_archive
from civicdesk.archive.importers.base import Archive, Meter
from civicdesk.archive.importers.csv_file import COLUMNS, CsvFile
from civicdesk.archive.models import ArchiveImport, Item

HEADER = (",".join(COLUMNS) + "\r\n").encode()
ROW_START = b'p-1,post,2024-02-12T12:30:00Z,a,A,"'
GIB = 1 << 30
# One entry may take 64 MiB; the reader holds it and a copy while it decodes and joins it.
MEMORY_BOUND = 256 << 20


def peak_memory(action: Callable[[], Any]) -> tuple[int, BaseException | None]:
    """Peak bytes allocated while ``action`` runs, and the error it raised."""
    tracemalloc.start()
    try:
        action()
        raised = None
    except BaseException as error:  # noqa: BLE001 - handed back to the test
        raised = error
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, raised


def zip_bomb(target: Path, *, name: str, head: bytes, fill: bytes, size: int) -> Path:
    """A zip whose one entry is ``head`` followed by ``fill`` repeated to ``size`` bytes.

    A fully flushed deflate block does not refer to what came before it, so one compressed
    block of ``fill`` repeated decodes to ``fill`` repeated. The CRC is only checked at the end
    of the entry, which an import refusing the entry never reaches, so it is left at zero.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(fill) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeats = (size - len(head)) // len(fill)
    body += block * repeats + compressor.flush(zlib.Z_FINISH)
    expanded = len(head) + repeats * len(fill)
    encoded = name.encode()
    sizes = struct.pack("<III", 0, len(body), expanded)
    local = struct.pack("<IHHHHH", 0x04034B50, 20, 0, 8, 0, 0x21) + sizes
    local += struct.pack("<HH", len(encoded), 0) + encoded
    central = struct.pack("<IHHHHHH", 0x02014B50, 20, 20, 0, 8, 0, 0x21) + sizes
    central += struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, 0) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local + body), 0)
    target.write_bytes(local + body + central + end)
    return target


def read_csv(path: Path) -> None:
    importer = CsvFile(Archive(path), account_handle="a", account_name="A")
    for _ in importer.read(Meter("checking", bytes_total=0, callback=None, every=1.0)):
        pass


@pytest.mark.django_db
def test_a_csv_in_a_zip_that_expands_to_gigabytes_is_refused_and_nothing_is_stored(
    agency, tmp_path
):
    bomb = zip_bomb(
        tmp_path / "export.zip",
        name="items.csv",
        head=HEADER + ROW_START,
        fill=b"x" * (1 << 20),
        size=3 * GIB,
    )
    assert bomb.stat().st_size < 8 << 20

    peak, raised = peak_memory(
        lambda: import_archive(account=agency.district_account, archive_format="csv", path=bomb)
    )

    assert isinstance(raised, ArchiveFormatError)
    assert str(raised) == (
        f"items.csv, byte {len(HEADER):,} (line 2): "
        "one entry is larger than 64 MiB; this is not an export file"
    )
    assert peak < MEMORY_BOUND
    assert Item.objects.exists() is False
    assert ArchiveImport.objects.get().status == ArchiveImport.Status.FAILED


def test_a_plain_csv_with_a_line_of_gigabytes_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "items.csv"
    with path.open("wb") as file:
        file.write(HEADER + ROW_START)
        file.truncate(2 * GIB)  # the rest reads as NUL bytes, without a line break

    peak, raised = peak_memory(lambda: read_csv(path))

    assert isinstance(raised, ArchiveFormatError)
    assert str(raised) == (
        f"items.csv, byte {len(HEADER):,} (line 2): "
        "one entry is larger than 64 MiB; this is not an export file"
    )
    assert peak < MEMORY_BOUND


def test_a_header_without_a_line_break_is_refused_at_the_start(tmp_path):
    bomb = zip_bomb(
        tmp_path / "export.zip", name="items.csv", head=b"", fill=b"," * (1 << 20), size=GIB
    )
    peak, raised = peak_memory(lambda: read_csv(bomb))
    assert str(raised) == (
        "items.csv, byte 0 (line 1): one entry is larger than 64 MiB; this is not an export file"
    )
    assert peak < MEMORY_BOUND


def test_a_row_of_many_short_lines_counts_them_all_against_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_ENTRY_CHARS", 1000)
    monkeypatch.setattr(csv_file, "MAX_ENTRY_CHARS", 1000)
    good = b"p-1,post,2024-02-12T12:30:00Z,a,A,short,,,en,,,false\r\n"
    text = b"a line of a long quoted text\r\n" * 40
    path = tmp_path / "items.csv"
    path.write_bytes(b"\xef\xbb\xbf" + HEADER + good + ROW_START + text + b'",,,en,,,false\r\n')
    with pytest.raises(ArchiveFormatError) as raised:
        read_csv(path)
    assert (raised.value.byte, raised.value.line) == (3 + len(HEADER + good), 3)
    assert raised.value.reason.startswith("one entry is larger than") is True


def test_rows_under_the_limit_are_read_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_file, "MAX_ENTRY_CHARS", 1000)
    text = "a line of a long quoted text\r\n" * 20
    path = tmp_path / "items.csv"
    path.write_bytes(HEADER + ROW_START + text.encode() + b'",,,en,,,false\r\n')
    importer = CsvFile(Archive(path), account_handle="a", account_name="A")
    meter = Meter("checking", bytes_total=0, callback=None, every=1.0)
    assert [record.text for record in importer.read(meter) if record is not None] == [text]

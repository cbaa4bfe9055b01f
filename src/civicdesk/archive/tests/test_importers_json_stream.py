"""The streaming JSON reader gives the same entries and the same error positions whatever
the size of its reads: entries and characters cut by a read boundary are read whole."""

from __future__ import annotations

import io
import json
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicdesk.archive.importers.base import ArchiveFormatError
from civicdesk.archive.importers.json_stream import JsonStream

EXAMPLES = settings(max_examples=50, deadline=None)

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"]), max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)
entries = st.lists(values, max_size=12)
layout = st.fixed_dictionaries(
    {"indent": st.none() | st.integers(0, 3), "ensure_ascii": st.booleans()}
)


def read_all(body: bytes, chunk: int, **how: Any) -> list[Any]:
    stream = JsonStream(io.BytesIO(body), name="posts.json", chunk_bytes=chunk)
    return list(stream.entries(**how))


def failure(body: bytes, chunk: int, **how: Any) -> str:
    with pytest.raises(ArchiveFormatError) as raised:
        read_all(body, chunk, **how)
    return str(raised.value)


@EXAMPLES
@given(items=entries, how=layout, chunk=st.integers(1, 64))
def test_a_list_reads_the_same_in_reads_of_any_size(items, how, chunk):
    body = json.dumps(items, **how).encode()
    assert read_all(body, chunk) == json.loads(body)


@EXAMPLES
@given(items=entries, how=layout, chunk=st.integers(1, 64))
def test_the_list_inside_an_object_reads_the_same_in_reads_of_any_size(items, how, chunk):
    document = {"@context": {"a": [1, {"b": "c"}]}, "orderedItems": items, "totalItems": 3}
    body = json.dumps(document, **how).encode()
    got = read_all(body, chunk, list_keys=("orderedItems",), top_level_list=False)
    assert got == items


@EXAMPLES
@given(items=entries, how=layout, chunk=st.integers(1, 64), data=st.data())
def test_an_error_is_found_at_the_same_place_in_reads_of_any_size(items, how, chunk, data):
    body = bytearray(json.dumps(items, **how).encode())
    at = data.draw(st.integers(0, len(body) - 1))
    body[at] = data.draw(st.sampled_from([0x01, 0xFF, ord("}"), ord(",")]))
    try:
        expected = failure(bytes(body), 1 << 20)
    except pytest.fail.Exception:
        return  # the change left valid JSON (a comma inside a string, say)
    assert failure(bytes(body), chunk) == expected


def test_a_large_entry_spanning_many_reads_is_read_whole():
    entry = {"full_text": "é" * 5000, "n": 12345678901234567890}
    body = json.dumps([entry, entry], ensure_ascii=False).encode()
    assert read_all(body, 3) == [entry, entry]


def test_a_number_cut_by_a_read_is_read_whole():
    assert read_all(b"[1234567890123, 5]", 4) == [1234567890123, 5]


class Blanks(io.RawIOBase):
    """``[1,``, then ``count`` spaces, then ``2]``, produced as they are read."""

    def __init__(self, count: int) -> None:
        self._parts = [b"[1,", *([b" " * (1 << 20)] * (count >> 20)), b"2]"]

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._parts.pop(0) if self._parts else b""


def test_a_long_run_of_blanks_between_entries_is_read_in_bounded_memory():
    stream = JsonStream(Blanks(64 << 20), name="posts.json")
    tracemalloc.start()
    try:
        assert list(stream.entries()) == [1, 2]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20

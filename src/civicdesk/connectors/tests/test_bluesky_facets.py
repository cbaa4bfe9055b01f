"""Links and hashtags in a Bluesky post, found as the Bluesky app finds them."""

from __future__ import annotations

from typing import Any

import pytest

from civicdesk.connectors.bluesky import facets_for
from civicdesk.connectors.tests.contract_cases import payload

DETECTED_BY_APP = payload("bluesky", "facets_detected_by_app")["cases"]


def tagged(text: str) -> list[tuple[str, bytes]]:
    encoded = text.encode()
    return [
        (feature["tag"], encoded[facet["index"]["byteStart"] : facet["index"]["byteEnd"]])
        for facet in facets_for(text)
        for feature in facet["features"]
        if feature["$type"] == "app.bsky.richtext.facet#tag"
    ]


def test_a_hashtag_ends_before_trailing_punctuation() -> None:
    assert tagged("Tonight: #CityCouncil. Then #Parks, #Roads!? and #budget2026…") == [
        ("CityCouncil", b"#CityCouncil"),
        ("Parks", b"#Parks"),
        ("Roads", b"#Roads"),
        ("budget2026", b"#budget2026"),
    ]


def test_numbers_punctuation_and_words_with_a_hash_inside_are_not_hashtags() -> None:
    assert tagged("#1 #2026 #!!! a#b email@x.com#c &#39;") == []


def test_a_hashtag_is_at_most_64_graphemes() -> None:
    flags = "🇺🇸" * 64  # 64 graphemes, 256 UTF-16 code units
    accents = "e\u0301" * 64
    assert tagged(f"#{flags} #{accents}") == [
        (flags, f"#{flags}".encode()),
        (accents, f"#{accents}".encode()),
    ]
    assert tagged(f"#{'a' * 65} #{flags}🇺🇸") == []


def test_offsets_count_utf8_bytes_in_text_with_emoji_rtl_and_combining_marks() -> None:
    text = "Café ☕ \u202eمجلس\u202c #cafe\u0301s. #مجلس_المدينة، https://elm.example/a_(b)."
    encoded = text.encode()
    spans = [
        encoded[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode()
        for facet in facets_for(text)
    ]
    assert spans == ["#cafe\u0301s", "#مجلس_المدينة", "https://elm.example/a_(b)"]


@pytest.mark.parametrize("case", DETECTED_BY_APP, ids=[c["text"][:24] for c in DETECTED_BY_APP])
def test_facets_are_those_the_bluesky_app_detects(case: dict[str, Any]) -> None:
    assert facets_for(case["text"]) == case["facets"]

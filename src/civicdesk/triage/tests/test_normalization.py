from __future__ import annotations

from civicdesk.triage.normalization import MAX_CHARS, clean_text, model_text


def test_removes_invisible_and_bidi_characters() -> None:
    assert clean_text("k\u200bi\u200dl\u2060l \u202eyou\u202c") == "kill you"


def test_strips_markup_and_entities() -> None:
    assert clean_text("<b>shoot</b> &amp; run") == "shoot & run"


def test_bounds_length() -> None:
    assert len(clean_text("x " * 200_000)) <= MAX_CHARS


def test_model_text_folds_links_handles_and_elongation() -> None:
    assert model_text("@Mayor SOOOO bad https://t.co/abc") == "@user soo bad httpurl"

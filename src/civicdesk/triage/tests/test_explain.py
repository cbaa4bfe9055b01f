"""Reasons quote the words that matter, never grammar or punctuation."""

from __future__ import annotations

import pytest

from civicdesk.triage import explain
from civicdesk.triage.scoring import load_triage


@pytest.fixture(scope="module")
def triage():
    return load_triage()


@pytest.mark.parametrize(
    ("term", "shown"),
    [
        ("your", ""),
        ("know", ""),
        ("nothing", ""),
        ("weed", "weed"),
        ("tomorrow and", "tomorrow"),
        ("at school", "school"),
        ("bring a", "bring"),
        ('. "', ""),
        ("! !", ""),
        ("@user @user", ""),
        (", i", ""),
        ("if the", ""),
        ("#homecoming", "#homecoming"),
        ("🔫", "🔫"),
        ("shoot up", "shoot"),
        ("por la", ""),
        ("la escuela", "escuela"),
    ],
)
def test_only_content_words_are_quoted(term: str, shown: str) -> None:
    assert explain.meaningful_part(term) == shown


def test_a_reason_with_no_telling_word_says_so() -> None:
    assert explain.model_reason([]) == "the message as a whole (no single word stands out)"
    assert explain.model_reason(["gun", "friday"]) == "wording: \u201cgun\u201d, \u201cfriday\u201d"


def test_flagged_items_are_never_explained_by_function_words(triage) -> None:
    texts = [
        "I know nothing about your plans, but I will be there",
        "If only they had found his stash of weed.",
        "when I think about #BeautyAndTheBeast",
    ]
    for result in triage.score_many(texts):
        for name, signal in result.signals.items():
            if signal.is_positive and "wording:" in signal.reason:
                quoted = signal.reason.split("wording:")[1]
                for word in (
                    "\u201cyour\u201d",
                    "\u201cnothing\u201d",
                    "\u201cthe\u201d",
                    "\u201cif\u201d",
                ):
                    assert word not in quoted, (name, signal.reason)

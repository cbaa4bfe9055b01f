from __future__ import annotations

from civicdesk.inbox.models import Entry
from civicdesk.triage.priority import ACT_NOW, POSSIBLE_THREAT


def test_a_threat_below_the_likely_level_is_shown_as_possible() -> None:
    entry = Entry(priority=POSSIBLE_THREAT.rank, signal_badges=["threat", "question"])
    assert entry.badges == [("possible-threat", "Possible threat"), ("question", "Question")]


def test_a_likely_threat_keeps_its_badge() -> None:
    entry = Entry(priority=ACT_NOW.rank, signal_badges=["threat", "self_harm"])
    assert entry.badges == [("threat", "Threat"), ("self_harm", "Self-harm")]


def test_the_item_page_says_possible_for_a_threat_short_of_act_now() -> None:
    from civicdesk.inbox.models import flagged_badge

    sure_and_explicit = {"score": 0.93, "positive": True, "rule_score": 0.9}
    unsure = {"score": 0.4, "positive": True, "rule_score": 0.9}
    no_explicit_words = {"score": 0.95, "positive": True}
    assert flagged_badge("threat", sure_and_explicit) == ("threat", "Threat")
    assert flagged_badge("threat", unsure) == ("possible-threat", "Possible threat")
    assert flagged_badge("threat", no_explicit_words) == ("possible-threat", "Possible threat")
    assert flagged_badge("self_harm", {"score": 0.8, "rule_score": 0.5}) == (
        "possible-threat",
        "Possible self-harm",
    )
    assert flagged_badge("question", {"score": 0.8}) == ("question", "Question")

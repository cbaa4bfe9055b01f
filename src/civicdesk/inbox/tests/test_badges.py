from __future__ import annotations

from civicdesk.inbox.models import Entry
from civicdesk.triage.priority import ACT_NOW, POSSIBLE_THREAT


def test_a_threat_below_the_likely_level_is_shown_as_possible() -> None:
    entry = Entry(priority=POSSIBLE_THREAT.rank, signal_badges=["threat", "question"])
    assert entry.badges == [("possible-threat", "Possible threat"), ("question", "Question")]


def test_a_likely_threat_keeps_its_badge() -> None:
    entry = Entry(priority=ACT_NOW.rank, signal_badges=["threat", "self_harm"])
    assert entry.badges == [("threat", "Threat"), ("self_harm", "Self-harm")]

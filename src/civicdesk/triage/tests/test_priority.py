from __future__ import annotations

from dataclasses import dataclass

from civicdesk.triage.priority import prioritize


@dataclass
class Flag:
    is_positive: bool
    score: float = 0.0


def flags(*positive: str, threat_score: float = 0.9) -> dict[str, Flag]:
    names = ["threat", "self_harm", "harassment", "hate", "question", "complaint", "pii", "spam"]
    return {
        n: Flag(n in positive, threat_score if n == "threat" else 0.9 if n in positive else 0.0)
        for n in names
    }


def test_a_likely_threat_outranks_everything() -> None:
    assert prioritize(flags("threat", "question", "spam")).rank == 1


def test_self_harm_is_urgent() -> None:
    assert prioritize(flags("self_harm")).label == "Threat or self-harm: act now"


def test_a_possible_threat_comes_after_likely_ones_and_before_abuse() -> None:
    possible = prioritize(flags("threat", "hate", threat_score=0.2))
    assert possible.label == "Possible threat: review"
    assert prioritize(flags("self_harm")).rank < possible.rank < prioritize(flags("hate")).rank


def test_abuse_before_questions_before_routine_before_spam() -> None:
    ranks = [prioritize(flags(s)).rank for s in ("hate", "complaint", "", "spam")]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == 4

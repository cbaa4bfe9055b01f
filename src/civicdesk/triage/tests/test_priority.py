from __future__ import annotations

from dataclasses import dataclass

from civicdesk.triage.priority import prioritize


@dataclass
class Flag:
    is_positive: bool
    score: float = 0.0


def flags(*positive: str) -> dict[str, Flag]:
    names = ["threat", "self_harm", "harassment", "hate", "question", "complaint", "pii", "spam"]
    return {n: Flag(n in positive) for n in names}


def test_threat_outranks_everything() -> None:
    assert prioritize(flags("threat", "question", "spam")).rank == 1


def test_self_harm_is_urgent() -> None:
    assert prioritize(flags("self_harm")).label == "Threat or self-harm: act now"


def test_abuse_before_questions_before_routine_before_spam() -> None:
    ranks = [prioritize(flags(s)).rank for s in ("hate", "complaint", "", "spam")]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == 4

from __future__ import annotations

from dataclasses import dataclass

from civicdesk.triage.priority import prioritize


@dataclass
class Flag:
    is_positive: bool
    score: float = 0.0
    rule_score: float = 0.0


def flags(*positive: str, threat_score: float = 0.9, evidence: float = 0.9) -> dict[str, Flag]:
    """Signals as triage reports them; ``evidence`` is the word lists' strength for both."""
    names = ["threat", "self_harm", "harassment", "hate", "question", "complaint", "pii", "spam"]
    return {
        n: Flag(
            n in positive,
            threat_score if n == "threat" else 0.9 if n in positive else 0.0,
            evidence if n == "threat" else 1.0 if n == "self_harm" else 0.0,
        )
        for n in names
    }


def test_a_likely_threat_outranks_everything() -> None:
    assert prioritize(flags("threat", "question", "spam")).rank == 1


def test_self_harm_is_urgent() -> None:
    assert prioritize(flags("self_harm")).label == "Threat or self-harm: act now"


def test_a_possible_threat_comes_after_likely_ones_and_before_abuse() -> None:
    possible = prioritize(flags("threat", "hate", threat_score=0.2))
    assert possible.label == "Possible threat or self-harm: review"
    assert prioritize(flags("self_harm")).rank < possible.rank < prioritize(flags("hate")).rank


def test_act_now_needs_a_sure_model_and_explicit_words() -> None:
    # The model alone, however sure, is not enough to page someone: "bring a helmet Friday".
    assert prioritize(flags("threat", threat_score=0.99, evidence=0.0)).rank == 2
    # A violent word about a target, but a model that is unsure: reviewed.
    assert prioritize(flags("threat", threat_score=0.6, evidence=0.9)).rank == 2
    assert prioritize(flags("threat", threat_score=0.8, evidence=0.5)).rank == 1


def test_self_harm_without_an_explicit_phrase_is_reviewed_not_paged() -> None:
    signals = flags("self_harm")
    signals["self_harm"].rule_score = 0.45  # "want to die lol": may be hyperbole
    assert prioritize(signals).rank == 2
    signals["self_harm"].rule_score = 0.0  # "I'm not going to sleep tonight"
    assert prioritize(signals).rank == 2


def test_abuse_before_questions_before_routine_before_spam() -> None:
    ranks = [prioritize(flags(s)).rank for s in ("hate", "complaint", "", "spam")]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == 4

"""Order the inbox: danger to people first, then abuse, then people waiting for an answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class Decided(Protocol):
    is_positive: bool
    score: float
    rule_score: float


@dataclass(frozen=True)
class Priority:
    rank: int  # 1 is most urgent
    label: str


# The threat threshold is set to find 95 % of threats, so most flagged posts are not threats:
# they are reviewed. "Act now" pages people at night, so it asks for two things: the model is
# sure (ACT_NOW_THREAT) and the words are explicit, the way a reader would point at them: a
# direct or veiled threat, a stated intent, a weapon or a violent word about a target (threat
# rule evidence >= EXPLICIT_THREAT), or a self-harm phrase that is neither hyperbole nor help
# information (self-harm rule evidence >= EXPLICIT_SELF_HARM). Chosen on 7,000 general English
# tweets never trained on (umass_global_english): no act-now item among them, against 17 per
# 1,000 with the model's score alone (docs/models.md). Veiled threats without such words
# ("bring a helmet Friday") still come second, before everything else.
ACT_NOW_THREAT = 0.75
EXPLICIT_THREAT = 0.5
EXPLICIT_SELF_HARM = 1.0

ACT_NOW = Priority(1, "Threat or self-harm: act now")
POSSIBLE_THREAT = Priority(2, "Possible threat or self-harm: review")
# (priority, signals any of which puts an item there), after the two threat levels.
LEVELS: tuple[tuple[Priority, tuple[str, ...]], ...] = (
    (Priority(3, "Harassment or hate"), ("harassment", "hate")),
    (Priority(4, "Awaiting an answer"), ("question", "complaint")),
    (Priority(5, "Personal data shared"), ("pii",)),
)
ROUTINE = Priority(6, "Routine")
# Spam sorts below routine items: nobody is waiting on it.
SPAM = Priority(7, "Likely spam")
ALL = (ACT_NOW, POSSIBLE_THREAT, *(p for p, _ in LEVELS), ROUTINE, SPAM)


def is_explicit(name: str, *, positive: bool, score: float, rule_score: float) -> bool:
    """A positive threat or self-harm signal that belongs in "act now", not only in review."""
    if not positive:
        return False
    if name == "threat":
        return score >= ACT_NOW_THREAT and rule_score >= EXPLICIT_THREAT
    return name == "self_harm" and rule_score >= EXPLICIT_SELF_HARM


def prioritize(signals: Mapping[str, Decided]) -> Priority:
    """The most urgent level any positive signal reaches; spam and then routine when none is."""
    urgent = [(name, signals[name]) for name in ("threat", "self_harm") if name in signals]
    if any(
        is_explicit(name, positive=s.is_positive, score=s.score, rule_score=s.rule_score)
        for name, s in urgent
    ):
        return ACT_NOW
    if any(s.is_positive for _, s in urgent):
        return POSSIBLE_THREAT
    for level, names in LEVELS:
        if any(signals[name].is_positive for name in names if name in signals):
            return level
    if "spam" in signals and signals["spam"].is_positive:
        return SPAM
    return ROUTINE

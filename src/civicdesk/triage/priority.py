"""Order the inbox: danger to people first, then abuse, then people waiting for an answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class Decided(Protocol):
    is_positive: bool
    score: float


@dataclass(frozen=True)
class Priority:
    rank: int  # 1 is most urgent
    label: str


# The threat threshold is set to find 95 % of threats, so most flagged posts are not threats.
# Those the model is sure of come first; the rest still come before everything else but threats.
LIKELY_THREAT = 0.5

ACT_NOW = Priority(1, "Threat or self-harm: act now")
POSSIBLE_THREAT = Priority(2, "Possible threat: review")
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


def prioritize(signals: Mapping[str, Decided]) -> Priority:
    """The most urgent level any positive signal reaches; spam and then routine when none is."""
    threat, self_harm = signals.get("threat"), signals.get("self_harm")
    if (self_harm and self_harm.is_positive) or (
        threat and threat.is_positive and threat.score >= LIKELY_THREAT
    ):
        return ACT_NOW
    if threat and threat.is_positive:
        return POSSIBLE_THREAT
    for level, names in LEVELS:
        if any(signals[name].is_positive for name in names if name in signals):
            return level
    if "spam" in signals and signals["spam"].is_positive:
        return SPAM
    return ROUTINE

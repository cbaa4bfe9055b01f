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


# (rank, label, signals any of which puts an item there), most urgent first.
LEVELS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "Threat or self-harm: act now", ("threat", "self_harm")),
    (2, "Harassment or hate", ("harassment", "hate")),
    (3, "Awaiting an answer", ("question", "complaint")),
    (4, "Personal data shared", ("pii",)),
)
ROUTINE = Priority(5, "Routine")
# Spam sorts below routine items: nobody is waiting on it.
SPAM = Priority(6, "Likely spam")


def prioritize(signals: Mapping[str, Decided]) -> Priority:
    """The most urgent level any positive signal reaches; spam and then routine when none is."""
    for rank, label, names in LEVELS:
        if any(signals[name].is_positive for name in names if name in signals):
            return Priority(rank, label)
    if "spam" in signals and signals["spam"].is_positive:
        return SPAM
    return ROUTINE

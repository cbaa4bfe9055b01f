"""The registry of triage signals: what each one means, its kind, and how model and rules combine."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    RULES = "rules"  # no learned head (pii)
    LABEL = "label"  # a value, not a score (language)


@dataclass(frozen=True)
class Signal:
    name: str
    kind: Kind
    meaning: str
    classes: tuple[str, ...] = ()
    has_rules: bool = False


SIGNALS: dict[str, Signal] = {
    s.name: s
    for s in [
        Signal(
            "threat",
            Kind.BINARY,
            "threat of violence against a person, school, building or event",
            has_rules=True,
        ),
        Signal("self_harm", Kind.BINARY, "self-harm or suicidal intent", has_rules=True),
        Signal("harassment", Kind.BINARY, "insult or abuse aimed at a person"),
        Signal("hate", Kind.BINARY, "attack on a protected group"),
        Signal("offensive", Kind.BINARY, "offensive or profane language (OLID definition)"),
        Signal("profanity", Kind.BINARY, "vulgar words", has_rules=True),
        Signal("spam", Kind.BINARY, "ads, scams, link farms, repeated text", has_rules=True),
        Signal(
            "pii",
            Kind.RULES,
            "phone numbers, e-mail, street addresses, birth dates with names, student ids",
        ),
        Signal("question", Kind.BINARY, "asks the agency something", has_rules=True),
        Signal("complaint", Kind.BINARY, "reports a problem or dissatisfaction"),
        Signal(
            "sentiment",
            Kind.MULTICLASS,
            "negative, neutral or positive",
            classes=("negative", "neutral", "positive"),
        ),
        Signal(
            "emotion",
            Kind.MULTICLASS,
            "anger, joy, optimism or sadness",
            classes=("anger", "joy", "optimism", "sadness"),
        ),
        Signal("language", Kind.LABEL, "ISO 639-1 language code"),
    ]
}

LEARNED = [name for name, s in SIGNALS.items() if s.kind in (Kind.BINARY, Kind.MULTICLASS)]
BINARY = [name for name, s in SIGNALS.items() if s.kind in (Kind.BINARY, Kind.RULES)]


# Signals whose rules explain a decision without moving the score. On threat and self-harm sets
# written independently of the word lists, the rules were right about half the time they fired
# and lowered ROC-AUC (docs/models.md); the learned heads, trained on written agency-style rows,
# rank better on their own.
EXPLAIN_ONLY_RULES = frozenset({"threat", "self_harm"})


def combine(signal: str, model_score: float, rule_score: float) -> float:
    """Merge the learned score with the rule score for one signal.

    For profanity, question and spam the stronger one decides: their word lists are precise and
    catch what the model has not seen. For threat and self-harm the model decides and the rule
    only supplies the reason ("mentions a weapon and a school").
    """
    if signal in EXPLAIN_ONLY_RULES:
        return model_score
    return max(model_score, rule_score)

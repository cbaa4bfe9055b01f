"""Score items on every triage signal: the public entry point of the triage app.

    triage = load_triage()
    result = triage.score("text")            # TriageResult
    results = triage.score_many(["a", "b"])  # one featurisation pass for the batch

Scoring is CPU-only and offline: artifacts are numpy arrays and JSON read once per process.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from civicdesk.triage import artifacts, explain, language, rules
from civicdesk.triage.artifacts import ARTIFACT_DIR, Head
from civicdesk.triage.features import NgramFeaturizer
from civicdesk.triage.normalization import clean_text, model_text
from civicdesk.triage.pii import PII_VERSION, PiiSpan, find_pii
from civicdesk.triage.priority import prioritize
from civicdesk.triage.signals import EXPLAIN_ONLY_RULES, LEARNED, SIGNALS, Kind, combine

PII_THRESHOLD = 0.5
# A rule hit this strong is named as the reason for a flagged threat or self-harm item.
RULE_EVIDENCE = 0.5


@dataclass
class SignalResult:
    score: float
    is_positive: bool
    threshold: float
    reason: str
    label: str = ""  # the winning class, for sentiment and emotion
    scores: dict[str, float] = field(
        default_factory=dict
    )  # per-class scores, for sentiment and emotion
    model_score: float | None = None  # the learned part alone, before rules
    rule_score: float = 0.0  # the word lists' evidence, even where it does not move the score


@dataclass
class TriageResult:
    signals: dict[str, SignalResult]
    language: str
    priority: int
    priority_label: str
    model_version: str
    pii_spans: list[PiiSpan] = field(default_factory=list)


class Triage:
    """Loaded artifacts plus the rules; safe to share between threads."""

    def __init__(
        self, featurizer: NgramFeaturizer, featurizer_version: str, heads: Mapping[str, Head]
    ):
        self.featurizer = featurizer
        self.heads = dict(heads)
        self._columns: dict[str, slice] = {}
        blocks, biases, start = [], [], 0
        for name in LEARNED:
            head = self.heads[name]
            if head.meta.get("featurizer_version") != featurizer_version:
                raise ValueError(
                    f"The {name} model was trained on another vocabulary; retrain with `civicdesk train`."
                )
            width = head.weights.shape[1]
            self._columns[name] = slice(start, start + width)
            blocks.append(head.weights)
            biases.append(head.bias)
            start += width
        # One matrix for all heads: each item's features are gathered once for every signal.
        self._weights = np.ascontiguousarray(np.hstack(blocks), dtype=np.float32)
        self._bias = np.concatenate(biases).astype(np.float32)
        self.versions = {name: head.version for name, head in self.heads.items()}
        self.versions.update(
            pii=PII_VERSION, language=language.LANGUAGE_VERSION, rules=rules.RULES_VERSION
        )
        self.model_version = (
            "triage/"
            + featurizer_version
            + "/"
            + "+".join(self.versions[n].rsplit("-", 1)[-1] for n in LEARNED)
        )
        self._lock = threading.Lock()

    def default_threshold(self, signal: str) -> float:
        if signal == "pii":
            return PII_THRESHOLD
        return float(self.heads[signal].meta["threshold"])

    def threshold_curve(self, signal: str) -> list[dict[str, float]]:
        """Precision and recall at candidate thresholds, measured on the validation data."""
        if signal not in self.heads or SIGNALS[signal].kind != Kind.BINARY:
            raise ValueError(
                f"{signal!r} has no threshold curve; binary signals: {', '.join(self.binary_heads)}."
            )
        return list(self.heads[signal].meta["threshold_curve"])

    @property
    def binary_heads(self) -> list[str]:
        return [n for n in LEARNED if SIGNALS[n].kind == Kind.BINARY]

    def score(self, text: str, thresholds: Mapping[str, float] | None = None) -> TriageResult:
        return self.score_many([text], thresholds=thresholds)[0]

    def score_many(
        self, texts: Sequence[str], thresholds: Mapping[str, float] | None = None
    ) -> list[TriageResult]:
        """Score a batch. thresholds overrides per-signal decision thresholds for this call.

        Raises ValueError for a threshold on an unknown signal or outside [0, 1].
        """
        limits = self._thresholds(thresholds or {})
        cleaned = [clean_text(t) for t in texts]
        with self._lock:
            # The featurizer's word cache is shared; one batch at a time keeps it consistent.
            rows = self.featurizer.transform([model_text(c) for c in cleaned])
        logits = rows.dot(self._weights) + self._bias
        # One sigmoid over the whole batch: per-item numpy scalar calls cost more than the model.
        odds = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -30.0, 30.0)))
        languages = language.detect_languages(cleaned)
        return [
            self._result(i, cleaned[i], rows, logits[i], odds[i].tolist(), languages[i], limits)
            for i in range(len(texts))
        ]

    def _thresholds(self, overrides: Mapping[str, float]) -> dict[str, float]:
        limits = {name: self.default_threshold(name) for name in [*self.binary_heads, "pii"]}
        for name, value in overrides.items():
            if name not in limits:
                raise ValueError(
                    f"No threshold for {name!r}; signals with thresholds: {', '.join(limits)}."
                )
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"The threshold for {name} must be between 0 and 1, not {value}.")
            limits[name] = float(value)
        return limits

    def _result(
        self,
        i: int,
        text: str,
        rows: Any,
        logit: np.ndarray,
        odds: list[float],
        lang: str,
        limits: dict[str, float],
    ) -> TriageResult:
        signals: dict[str, SignalResult] = {}
        for name in LEARNED:
            columns = self._columns[name]
            if SIGNALS[name].kind == Kind.MULTICLASS:
                signals[name] = self._multiclass(name, logit[columns])
            else:
                model_score = odds[columns.start]
                signals[name] = self._binary(name, model_score, text, rows, i, limits[name])
        pii = find_pii(text)
        signals["pii"] = SignalResult(
            pii.score,
            pii.score >= limits["pii"],
            limits["pii"],
            pii.reason or "no personal data found",
        )
        level = prioritize(signals)
        return TriageResult(
            signals=signals,
            language=lang,
            priority=level.rank,
            priority_label=level.label,
            model_version=self.model_version,
            pii_spans=pii.spans,
        )

    def _binary(
        self, name: str, model_score: float, text: str, rows: Any, i: int, threshold: float
    ) -> SignalResult:
        rule = rules.RULES.get(name)
        hit = rule(text) if rule else rules.NO_HIT
        score = combine(name, model_score, hit.score)
        positive = score >= threshold
        # A matched rule names the weapon, target or phrase; that reads better than n-grams.
        if name in EXPLAIN_ONLY_RULES:
            rule_explains = positive and hit.score >= RULE_EVIDENCE
        else:
            rule_explains = hit.score >= model_score or hit.score >= threshold
        if hit.reason and rule_explains:
            reason = hit.reason
        elif positive:
            reason = explain.model_reason(
                explain.driving_phrases(
                    self.featurizer, rows, i, self._weights[:, self._columns[name].start]
                )
            )
            # A weaker rule cue (a violent word, a weapon) still tells the reader where to look.
            if hit.reason:
                reason = f"{hit.reason}; {reason}"
        else:
            reason = hit.reason or "below threshold"
        return SignalResult(
            round(score, 4),
            positive,
            threshold,
            reason,
            model_score=round(model_score, 4),
            rule_score=round(hit.score, 4),
        )

    def _multiclass(self, name: str, z: np.ndarray) -> SignalResult:
        classes = self.heads[name].meta["classes"]
        e = np.exp(z - z.max())
        p = e / e.sum()
        best = int(p.argmax())
        return SignalResult(
            score=round(float(p[best]), 4),
            is_positive=True,
            threshold=0.0,
            reason=f"most likely {classes[best]}",
            label=classes[best],
            scores={c: round(float(v), 4) for c, v in zip(classes, p, strict=True)},
        )


def load_from(directory: Path) -> Triage:
    featurizer, info = artifacts.load_featurizer(directory)
    heads = {name: artifacts.load_head(name, directory) for name in LEARNED}
    return Triage(featurizer, info["version"], heads)


@lru_cache(maxsize=1)
def load_triage() -> Triage:
    """The shipped models, loaded once per process."""
    return load_from(ARTIFACT_DIR)


def threshold_curve(signal: str) -> list[dict[str, float]]:
    return load_triage().threshold_curve(signal)

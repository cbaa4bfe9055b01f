"""Classification metrics in plain numpy, so evaluation runs without the training extra."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def roc_auc(labels: npt.ArrayLike, scores: npt.ArrayLike) -> float | None:
    """Area under the ROC curve (Mann-Whitney U with tied ranks averaged); None if one class."""
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_scores = s[order]
    i = 0
    while i < len(sorted_scores):
        j = i
        while j + 1 < len(sorted_scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def binary_metrics(
    labels: npt.ArrayLike, scores: npt.ArrayLike, threshold: float
) -> dict[str, float | None]:
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    pred = s >= threshold
    tp = int((pred & y).sum())
    fp = int((pred & ~y).sum())
    fn = int((~pred & y).sum())
    tn = int((~pred & ~y).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    neg_precision = tn / (tn + fn) if tn + fn else 0.0
    neg_recall = tn / (tn + fp) if tn + fp else 0.0
    return {
        "n": len(y),
        "macro_f1": round((_f1(precision, recall) + _f1(neg_precision, neg_recall)) / 2, 4),
        "macro_recall": round((recall + neg_recall) / 2, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "roc_auc": None if (auc := roc_auc(y, s)) is None else round(auc, 4),
        "threshold": round(float(threshold), 4),
    }


def multiclass_metrics(
    labels: npt.ArrayLike, predicted: Sequence[str], classes: Sequence[str]
) -> dict[str, float | None]:
    y = np.asarray(labels)
    p = np.asarray(predicted)
    f1s, recalls = [], []
    for c in classes:
        tp = int(((p == c) & (y == c)).sum())
        precision = tp / int((p == c).sum()) if (p == c).any() else 0.0
        recall = tp / int((y == c).sum()) if (y == c).any() else 0.0
        f1s.append(_f1(precision, recall))
        recalls.append(recall)
    return {
        "n": len(y),
        "macro_f1": round(float(np.mean(f1s)), 4),
        "macro_recall": round(float(np.mean(recalls)), 4),
        "precision": None,
        "recall": None,
        "roc_auc": None,
        "threshold": None,
    }


def threshold_curve(
    labels: npt.ArrayLike, scores: npt.ArrayLike, points: int = 19
) -> list[dict[str, float | None]]:
    """Precision and recall at evenly spaced thresholds, for a settings page."""
    out = []
    for t in np.linspace(0.05, 0.95, points):
        m = binary_metrics(labels, scores, float(t))
        out.append(
            {"threshold": round(float(t), 3), "precision": m["precision"], "recall": m["recall"]}
        )
    return out

"""Say which words drove a learned score, in terms a comms officer can check against the text."""

from __future__ import annotations

import numpy as np

from civicdesk.triage.features import NgramFeaturizer, SparseRows

# Character n-grams are fragments ("ill", " ki") that mean nothing to a reader; reasons quote
# whole words and word pairs only.
MAX_PHRASES = 3


def driving_phrases(
    featurizer: NgramFeaturizer,
    rows: SparseRows,
    row: int,
    weights: np.ndarray,
    *,
    top: int = MAX_PHRASES,
) -> list[str]:
    """Word n-grams of one row with the largest positive contribution to a weight column."""
    indices, values = rows.row(row)
    is_word = indices < len(featurizer.word_terms)
    indices, values = indices[is_word], values[is_word]
    if len(indices) == 0:
        return []
    contributions = values * weights[indices]
    order = np.argsort(-contributions, kind="stable")[: top * 2]
    phrases: list[str] = []
    for j in order:
        if contributions[j] <= 0:
            break
        term = featurizer.term(int(indices[j]))
        if term.isalnum() or " " in term or term.startswith("#"):
            if not any(term in p or p in term for p in phrases):
                phrases.append(term)
        if len(phrases) == top:
            break
    return phrases


def model_reason(phrases: list[str]) -> str:
    if not phrases:
        return "overall wording"
    return "wording: " + ", ".join(f"\u201c{p}\u201d" for p in phrases)

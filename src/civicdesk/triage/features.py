"""Word and character n-gram features shared by every learned signal.

One vocabulary and one IDF table serve all signals, so an item is featurised once and every
linear signal is a column of one weight matrix. Character n-grams (2-5, inside word
boundaries) carry misspellings, leetspeak, emoji and Spanish inflections that whole words miss.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)
_WORD_CACHE_SIZE = 200_000
_TOKEN = re.compile(r"[#@]?\w[\w'’]*|[^\w\s]")


def word_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_grams(tokens: Sequence[str]) -> list[str]:
    grams = list(tokens)
    if WORD_NGRAMS[1] >= 2:
        grams.extend(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
    return grams


def char_grams(text: str) -> list[str]:
    grams: list[str] = []
    low, high = CHAR_NGRAMS
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, min(high, size) + 1):
            grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


@dataclass(frozen=True)
class SparseRows:
    """A CSR matrix in plain numpy arrays, so scoring needs no scipy."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_cols: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """Return self @ weights for a dense (n_cols, k) matrix."""
        out = np.zeros((self.n_rows, weights.shape[1]), dtype=np.float32)
        if len(self.indices) == 0:
            return out
        contributions = weights[self.indices] * self.data[:, None]
        starts = self.indptr[:-1]
        non_empty = self.indptr[1:] > starts
        # reduceat misreads empty rows (it returns the next row's first element), so only
        # non-empty rows are summed.
        out[non_empty] = np.add.reduceat(contributions, starts[non_empty], axis=0)
        return out

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.indptr[i], self.indptr[i + 1]
        return self.indices[lo:hi], self.data[lo:hi]


class NgramFeaturizer:
    """Maps model text to sublinear TF-IDF vectors, each block (words, chars) L2-normalised."""

    def __init__(self, word_vocab: Sequence[str], char_vocab: Sequence[str], idf: np.ndarray):
        self.word_terms = list(word_vocab)
        self.char_terms = list(char_vocab)
        self.word_index = {t: i for i, t in enumerate(self.word_terms)}
        offset = len(self.word_terms)
        self.char_index = {t: offset + i for i, t in enumerate(self.char_terms)}
        self.idf = np.asarray(idf, dtype=np.float32)
        # A plain list: indexing a numpy array one element at a time is several times slower.
        self._idf = self.idf.tolist()
        self._word_cache: dict[str, list[int]] = {}
        self.n_features = offset + len(self.char_terms)
        if len(self.idf) != self.n_features:
            raise ValueError("idf length does not match the vocabulary")

    def term(self, index: int) -> str:
        if index < len(self.word_terms):
            return self.word_terms[index]
        return self.char_terms[index - len(self.word_terms)]

    def _weights(self, columns: list[int]) -> tuple[list[int], list[float]]:
        cols: list[int] = []
        values: list[float] = []
        idf = self._idf
        for j, count in Counter(columns).items():
            cols.append(j)
            values.append((1.0 + math.log(count)) * idf[j] if count > 1 else idf[j])
        if not cols:
            return cols, values
        norm = math.sqrt(math.fsum(v * v for v in values)) or 1.0
        return cols, [v / norm for v in values]

    def _char_columns(self, text: str) -> list[int]:
        # A word's character n-grams depend on the word alone, and words repeat (Zipf), so
        # each word's in-vocabulary columns are computed once and reused.
        out: list[int] = []
        cache = self._word_cache
        index = self.char_index
        for word in text.split():
            columns = cache.get(word)
            if columns is None:
                columns = [j for g in char_grams(word) if (j := index.get(g)) is not None]
                if len(cache) >= _WORD_CACHE_SIZE:
                    cache.clear()
                cache[word] = columns
            out.extend(columns)
        return out

    def transform(self, texts: Sequence[str]) -> SparseRows:
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        word_index = self.word_index
        for text in texts:
            word_columns = [
                j for g in word_grams(word_tokens(text)) if (j := word_index.get(g)) is not None
            ]
            for cols, values in (
                self._weights(word_columns),
                self._weights(self._char_columns(text)),
            ):
                indices.extend(cols)
                data.extend(values)
            indptr.append(len(indices))
        return SparseRows(
            indptr=np.asarray(indptr, dtype=np.int64),
            indices=np.asarray(indices, dtype=np.int64),
            data=np.asarray(data, dtype=np.float32),
            n_cols=self.n_features,
        )


def fit_featurizer(
    texts: Sequence[str], *, min_df: int, max_words: int, max_chars: int
) -> NgramFeaturizer:
    """Choose the most frequent n-grams (by document frequency) and their smoothed IDF.

    Ties are broken alphabetically so the vocabulary is the same on every run.
    """
    word_df: Counter[str] = Counter()
    char_df: Counter[str] = Counter()
    for text in texts:
        word_df.update(set(word_grams(word_tokens(text))))
        char_df.update(set(char_grams(text)))

    def top(df: Counter[str], limit: int) -> list[str]:
        kept = [(t, c) for t, c in df.items() if c >= min_df]
        kept.sort(key=lambda tc: (-tc[1], tc[0]))
        return sorted(t for t, _ in kept[:limit])

    words = top(word_df, max_words)
    chars = top(char_df, max_chars)
    n_docs = len(texts)
    idf = [math.log((1 + n_docs) / (1 + word_df[t])) + 1.0 for t in words]
    idf += [math.log((1 + n_docs) / (1 + char_df[t])) + 1.0 for t in chars]
    return NgramFeaturizer(words, chars, np.asarray(idf, dtype=np.float32))

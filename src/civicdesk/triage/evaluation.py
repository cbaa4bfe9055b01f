"""Score a labelled CSV with the shipped models and report metrics (backs `civicdesk eval`).

The file is only scored, never trained on. Metrics use each signal's shipped threshold.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from civicdesk.triage import metrics
from civicdesk.triage.scoring import Triage, load_triage
from civicdesk.triage.signals import SIGNALS, Kind

BATCH = 256
RESULT_KEYS = (
    "signal",
    "n",
    "macro_f1",
    "macro_recall",
    "precision",
    "recall",
    "roc_auc",
    "threshold",
    "items_per_s",
)


class EvaluationError(Exception):
    """The file or signal cannot be evaluated; the message says what to fix."""


def read_labelled(path: Path, signal: str) -> tuple[list[str], list[str]]:
    if signal not in SIGNALS:
        raise EvaluationError(f"Unknown signal {signal!r}. Choose one of: {', '.join(SIGNALS)}.")
    if not path.is_file():
        raise EvaluationError(f"File not found: {path}.")
    kind = SIGNALS[signal].kind
    allowed = (
        set(SIGNALS[signal].classes)
        if kind == Kind.MULTICLASS
        else {"0", "1"}
        if kind != Kind.LABEL
        else None
    )
    texts, labels = [], []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"text", "label"} <= {
                f.strip() for f in reader.fieldnames
            }:
                raise EvaluationError(
                    f"{path} must be a CSV file with the header `text,label`; found {reader.fieldnames}."
                )
            for line, row in enumerate(reader, start=2):
                row = {(k or "").strip(): v for k, v in row.items()}
                label = (row.get("label") or "").strip()
                if allowed is not None and label not in allowed:
                    raise EvaluationError(
                        f"{path}, line {line}: label {label!r} is not valid for {signal}; use one of {', '.join(sorted(allowed))}."
                    )
                if not label:
                    raise EvaluationError(f"{path}, line {line}: the label is empty.")
                texts.append(row.get("text") or "")
                labels.append(label)
    except UnicodeDecodeError as error:
        raise EvaluationError(f"{path} is not UTF-8 text ({error}).") from error
    except csv.Error as error:
        raise EvaluationError(f"{path} is not a readable CSV file ({error}).") from error
    if not texts:
        raise EvaluationError(f"{path} has no rows to evaluate.")
    return texts, labels


def _stderr_progress(done: int, total: int) -> None:
    print(f"scored {done}/{total}", file=sys.stderr, flush=True)


def evaluate_file(
    signal: str,
    path: Path | str,
    *,
    triage: Triage | None = None,
    progress: Callable[[int, int], None] = _stderr_progress,
) -> dict[str, Any]:
    """Return {signal, n, macro_f1, macro_recall, precision, recall, roc_auc, threshold, items_per_s}.

    items_per_s is the throughput of full triage (all signals), as the product runs it.
    Raises EvaluationError for an unknown signal or a malformed file.
    """
    texts, labels = read_labelled(Path(path), signal)
    triage = triage or load_triage()
    # Language models load lazily on the first call; keep that out of the throughput figure.
    triage.score("warm up")
    results = []
    started = time.perf_counter()
    for start in range(0, len(texts), BATCH):
        results.extend(triage.score_many(texts[start : start + BATCH]))
        progress(min(start + BATCH, len(texts)), len(texts))
    elapsed = time.perf_counter() - started
    kind = SIGNALS[signal].kind
    if kind in (Kind.BINARY, Kind.RULES):
        scores = [r.signals[signal].score for r in results]
        threshold = results[0].signals[signal].threshold
        found = metrics.binary_metrics([int(label) for label in labels], scores, threshold)
    elif kind == Kind.MULTICLASS:
        found = metrics.multiclass_metrics(
            labels, [r.signals[signal].label for r in results], SIGNALS[signal].classes
        )
    else:
        predicted = [r.language for r in results]
        found = metrics.multiclass_metrics(labels, predicted, sorted(set(labels)))
    summary: dict[str, object] = {
        **found,
        "signal": signal,
        "n": len(texts),
        "items_per_s": round(len(texts) / elapsed, 1) if elapsed else None,
    }
    return {key: summary[key] for key in RESULT_KEYS}

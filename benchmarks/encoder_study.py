"""What frozen sentence embeddings add to the TF-IDF heads, on TweetEval validation splits.

Run: python benchmarks/encoder_study.py --dir var/encoder [--sentiment-limit 15000]
Needs the triage-train extra (scikit-learn, scipy). Writes nothing but the embedding cache
(--cache, default var/encoder-cache/<task>-<split>.npz), reused when the texts match.

Per task, on the same training rows, with C (and, for binary tasks, the threshold) chosen on
the validation split, as the shipped heads' are:
  tfidf   logistic regression over the shipped featurizer's TF-IDF features
  emb     logistic regression over the int8 MiniLM sentence vectors
  concat  logistic regression over [vectors, TF-IDF features]
and the shipped head itself as it scores in production. No test split is read.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicdesk.training.corpora import DEFAULT_DATA_DIR  # noqa: E402
from civicdesk.triage.normalization import clean_text, model_text  # noqa: E402

TASKS = {
    # task: (metric, shipped signal, binary)
    "sentiment": ("macro_recall", "sentiment", False),
    "offensive": ("macro_f1", "offensive", True),
    "hate": ("macro_f1", "hate", True),
    "emotion": ("macro_f1", "emotion", False),
}
C_GRID = {"tfidf": [0.25, 1.0, 4.0], "emb": [0.25, 1.0, 4.0, 16.0], "concat": [0.25, 1.0, 4.0]}


def read_split(task: str, split: str) -> tuple[list[str], np.ndarray, list[str]]:
    folder = DEFAULT_DATA_DIR / f"tweeteval_{task}"
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = np.array(
        [int(x) for x in (folder / f"{split}_labels.txt").read_text().split()], dtype=np.int64
    )
    names = [
        line.split("\t")[1] for line in (folder / "mapping.txt").read_text().splitlines() if line
    ]
    assert len(texts) == len(labels)
    return texts, labels, names


def embed(encoder: Any, texts: list[str], cache: Path) -> np.ndarray:
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    if cache.exists():
        stored = np.load(cache, allow_pickle=False)
        if str(stored["sha256"]) == digest:
            return np.asarray(stored["embeddings"])
    started = time.perf_counter()
    vectors = encoder.encode([clean_text(t) for t in texts])
    print(f"  embedded {len(texts)} in {time.perf_counter() - started:.0f} s -> {cache}")
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, embeddings=vectors, sha256=np.array(digest))
    return vectors


def tfidf(texts: list[str]) -> Any:
    from scipy.sparse import csr_matrix

    from civicdesk.triage.scoring import load_triage

    rows = load_triage().featurizer.transform([model_text(clean_text(t)) for t in texts])
    return csr_matrix((rows.data, rows.indices, rows.indptr), shape=(rows.n_rows, rows.n_cols))


def metric(name: str, y: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score, recall_score

    if name == "macro_recall":
        return float(recall_score(y, pred, average="macro"))
    return float(f1_score(y, pred, average="macro"))


def best_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    best = (0.5, -1.0)
    for t in np.arange(0.05, 0.951, 0.01):
        score = metric("macro_f1", y, (p >= t).astype(np.int64))
        if score > best[1]:
            best = (float(t), score)
    return best


def fit_and_pick(
    kind: str, x_train: Any, y_train: np.ndarray, x_val: Any, y_val: np.ndarray, task: str
) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    metric_name, _, binary = TASKS[task]
    best: dict[str, Any] = {"score": -1.0}
    for c in C_GRID[kind]:
        model = LogisticRegression(
            C=c,
            class_weight="balanced",
            max_iter=2000,
            solver="liblinear" if binary else "lbfgs",
            random_state=0,
        )
        model.fit(x_train, y_train)
        proba = model.predict_proba(x_val)
        if binary:
            threshold, _ = best_threshold(y_val, proba[:, 1])
            pred = (proba[:, 1] >= threshold).astype(np.int64)
        else:
            threshold, pred = float("nan"), model.classes_[proba.argmax(axis=1)]
        result = {
            "C": c,
            "threshold": threshold,
            "score": metric(metric_name, y_val, pred),
            "macro_f1": metric("macro_f1", y_val, pred),
            "macro_recall": metric("macro_recall", y_val, pred),
            "auc": float(roc_auc_score(y_val, proba[:, 1])) if binary else float("nan"),
        }
        if result["score"] > best["score"]:
            best = result
    return best


def shipped(task: str, texts: list[str], y: np.ndarray, names: list[str]) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score

    from civicdesk.triage.scoring import load_triage

    metric_name, signal, binary = TASKS[task]
    results = [r.signals[signal] for r in load_triage().score_many(texts)]
    if binary:
        pred = np.array([int(r.is_positive) for r in results])
        auc = float(roc_auc_score(y, [r.score for r in results]))
    else:
        pred = np.array([names.index(r.label) for r in results])
        auc = float("nan")
    return {
        "C": float("nan"),
        "threshold": results[0].threshold if binary else float("nan"),
        "score": metric(metric_name, y, pred),
        "macro_f1": metric("macro_f1", y, pred),
        "macro_recall": metric("macro_recall", y, pred),
        "auc": auc,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "encoder")
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "encoder-cache")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sentiment-limit", type=int, default=None)
    parser.add_argument("--tasks", nargs="*", default=list(TASKS))
    parser.add_argument("--skip", nargs="*", default=[], help="systems to leave out")
    args = parser.parse_args()

    from scipy.sparse import csr_matrix, hstack

    from civicdesk.training.encoder import SentenceEncoder

    encoder = SentenceEncoder(args.dir, threads=args.threads)
    tag = args.dir.name
    rows = []
    for task in args.tasks:
        print(f"{task}:", flush=True)
        train_texts, y_train, names = read_split(task, "train")
        val_texts, y_val, _ = read_split(task, "val")
        if task == "sentiment" and args.sentiment_limit:
            keep = np.random.default_rng(0).permutation(len(train_texts))
            keep = np.sort(keep[: args.sentiment_limit])
            train_texts, y_train = [train_texts[i] for i in keep], y_train[keep]
        e_train = embed(encoder, train_texts, args.cache / f"{tag}-{task}-train.npz")
        e_val = embed(encoder, val_texts, args.cache / f"{tag}-{task}-val.npz")
        systems: dict[str, dict[str, Any]] = {}
        if "shipped" not in args.skip:
            systems["shipped"] = shipped(task, val_texts, y_val, names)
        if "emb" not in args.skip:
            systems["emb"] = fit_and_pick("emb", e_train, y_train, e_val, y_val, task)
        if "tfidf" not in args.skip or "concat" not in args.skip:
            t_train, t_val = tfidf(train_texts), tfidf(val_texts)
            if "tfidf" not in args.skip:
                systems["tfidf"] = fit_and_pick("tfidf", t_train, y_train, t_val, y_val, task)
            if "concat" not in args.skip:
                c_train = hstack([csr_matrix(e_train), t_train]).tocsr()
                c_val = hstack([csr_matrix(e_val), t_val]).tocsr()
                systems["concat"] = fit_and_pick("concat", c_train, y_train, c_val, y_val, task)
        for system, r in systems.items():
            row = (
                f"| {task} | {len(train_texts)} | {system} | {r['score']:.3f} | "
                f"{r['macro_f1']:.3f} | {r['macro_recall']:.3f} | {r['auc']:.3f} | "
                f"{r['C']} | {r['threshold']:.2f} |"
            )
            print(row, flush=True)
            rows.append(row)
    print(
        "| task | train rows | system | task metric | macro-F1 | macro-recall | ROC-AUC | C | threshold |"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()

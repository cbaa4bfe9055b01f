"""Does a fine-tuned all-MiniLM-L6-v2 tell threats from ordinary posts better than the linear head?

Run: python benchmarks/threat_finetune_study.py [--layers 6]   (needs the triage-train and
encoder extras; about 13 minutes on 2 cores). One epoch over the written threats and the Jigsaw
threats (each 3 times) against 13,000 sampled negatives (Jigsaw, the agency traffic's training
half, ordinary tweets). The cut is chosen on threat_dev2 for 95 % recall, as the shipped
threshold is; threat_holdout3, the TweetEval sentiment validation tweets, the agency traffic's
measuring half and agency_posts_dev are never trained or tuned on. Results: docs/encoder-study.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from civicdesk.training import corpora, trainsets  # noqa: E402
from civicdesk.triage import metrics  # noqa: E402
from civicdesk.triage.scoring import load_triage  # noqa: E402

BATCH = 32
NEGATIVES = {"jigsaw": 3000, "agency traffic": 4000, "ordinary tweets": 6000}


def training_rows(seed: int) -> list[tuple[str, int]]:
    data = trainsets.signal_data("threat", corpora.DEFAULT_DATA_DIR, seed)
    rng = random.Random(seed)
    positives = [t for t, y in zip(data.written.texts, data.written.labels, strict=True) if y == 1]
    positives += [t for t, y in zip(data.train.texts, data.train.labels, strict=True) if y == 1]
    negatives = [t for t, y in zip(data.written.texts, data.written.labels, strict=True) if y == 0]
    jigsaw = [t for t, y in zip(data.train.texts, data.train.labels, strict=True) if y == 0]
    negatives += rng.sample(jigsaw, NEGATIVES["jigsaw"])
    negatives += rng.sample(data.negatives.texts, NEGATIVES["agency traffic"])
    negatives += rng.sample(data.ordinary.texts, NEGATIVES["ordinary tweets"])
    rows = [(t, 1) for t in positives] * 3 + [(t, 0) for t in negatives]
    rng.shuffle(rows)
    return rows


def fine_tune(
    rows: list[tuple[str, int]], layers: int, seed: int
) -> Callable[[list[str]], np.ndarray]:
    import torch
    from transformers import AutoModel, AutoTokenizer

    from civicdesk.training.encoder_export import source_dir

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    model_dir = source_dir()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    encoder = AutoModel.from_pretrained(model_dir)
    encoder.encoder.layer = encoder.encoder.layer[:layers]
    head = torch.nn.Linear(384, 1)
    optimizer = torch.optim.AdamW(
        [*encoder.parameters(), *head.parameters()], lr=4e-5, weight_decay=0.01
    )
    steps = len(rows) // BATCH
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / 50) * max(0.0, 1 - s / steps)
    )

    def embed(texts: list[str]) -> torch.Tensor:
        batch = tokenizer(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
        hidden = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)

    encoder.train()
    started = time.perf_counter()
    for step in range(steps):
        batch_rows = rows[step * BATCH : (step + 1) * BATCH]
        logits = head(embed([t for t, _ in batch_rows])).squeeze(-1)
        labels = torch.tensor([float(y) for _, y in batch_rows])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % 50 == 0:
            elapsed = time.perf_counter() - started
            print(f"step {step}/{steps} loss {loss.item():.3f} {elapsed:.0f} s", flush=True)
    encoder.eval()

    @torch.no_grad()
    def score(texts: list[str]) -> np.ndarray:
        parts = [
            torch.sigmoid(head(embed(texts[i : i + 128])).squeeze(-1)).numpy()
            for i in range(0, len(texts), 128)
        ]
        return np.concatenate(parts)

    return score


def recall_cut(scores: np.ndarray, labels: np.ndarray, recall: float = 0.95) -> float:
    """The highest cut that still finds this share of the threats."""
    grid = np.arange(0.001, 0.99, 0.001)
    return float(max(c for c in grid if (scores[labels == 1] >= c).mean() >= recall))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = training_rows(args.seed)
    print(f"{len(rows)} training rows, {sum(y for _, y in rows)} of them threats", flush=True)
    encoder_score = fine_tune(rows, args.layers, args.seed)

    linear = load_triage()
    linear_cut = linear.default_threshold("threat")
    d = corpora.DEFAULT_DATA_DIR
    dev2 = trainsets.devset("threat_dev2.csv")
    holdout3 = trainsets.devset("threat_holdout3.csv")
    sets = {
        "dev2": dev2.texts,
        "holdout3": holdout3.texts,
        "general tweets": corpora.tweeteval(d, "sentiment", "val").texts,
        "agency traffic": corpora.agency_traffic(d)[1].texts,
        "agency_posts_dev": trainsets.devset("agency_posts_dev.csv").texts,
    }
    scores = {
        name: (
            encoder_score(texts),
            np.array([r.signals["threat"].score for r in linear.score_many(texts)]),
        )
        for name, texts in sets.items()
    }
    y2, y3 = np.asarray(dev2.labels), np.asarray(holdout3.labels)
    for name, y in (("dev2", y2), ("holdout3", y3)):
        enc, lin = scores[name]
        print(
            f"ROC-AUC on {name}: encoder {metrics.roc_auc(y, enc):.3f}, linear {metrics.roc_auc(y, lin):.3f}"
        )
    deciders: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
        "encoder alone": lambda enc, lin: enc,
        "cascade (linear flags, encoder decides)": lambda enc, lin: np.where(
            lin >= linear_cut, enc, 0.0
        ),
        "linear alone": lambda enc, lin: lin,
    }
    for name, decide in deciders.items():
        cut = recall_cut(decide(*scores["dev2"]), y2)
        found = decide(*scores["holdout3"]) >= cut
        rates = ", ".join(
            f"{s} {1000 * (decide(*scores[s]) >= cut).mean():.1f}"
            for s in ("general tweets", "agency traffic", "agency_posts_dev")
        )
        print(
            f"{name}: cut {cut:.3f}; holdout3 recall {found[y3 == 1].mean():.3f}, precision "
            f"{found[y3 == 1].sum() / max(1, found.sum()):.3f}; flagged per 1,000: {rates}"
        )


if __name__ == "__main__":
    main()

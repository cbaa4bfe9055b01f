"""Triage speed and footprint: model load time, items/s for all signals, p99 single-item latency, peak memory.

Run: python benchmarks/triage.py [--items 5000]
Items are real public-agency traffic (replies to an elected official, TweetEval tweets), so
lengths and emoji are realistic.
"""

from __future__ import annotations

import argparse
import csv
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicdesk.training.corpora import DEFAULT_DATA_DIR  # noqa: E402
from civicdesk.triage import language  # noqa: E402
from civicdesk.triage.artifacts import ARTIFACT_DIR  # noqa: E402
from civicdesk.triage.scoring import load_from  # noqa: E402


def sample_items(limit: int) -> list[str]:
    texts: list[str] = []
    with (DEFAULT_DATA_DIR / "aoc_replies" / "replies.csv").open(
        encoding="utf-8", newline=""
    ) as handle:
        texts.extend(row["text"] for row in csv.DictReader(handle))
    for task in ("offensive", "hate", "sentiment"):
        texts.extend(
            (DEFAULT_DATA_DIR / f"tweeteval_{task}" / "val_text.txt")
            .read_text(encoding="utf-8")
            .splitlines()
        )
    while len(texts) < limit:
        texts = texts + texts
    return texts[:limit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()

    started = time.perf_counter()
    triage = load_from(ARTIFACT_DIR)
    language.detector()
    load_s = time.perf_counter() - started

    items = sample_items(args.items)
    triage.score_many(items[:200])  # warm caches, as a running worker would be
    started = time.perf_counter()
    for i in range(0, len(items), args.batch):
        triage.score_many(items[i : i + args.batch])
    batch_s = time.perf_counter() - started

    latencies = []
    for text in items[:1000]:
        t0 = time.perf_counter()
        triage.score(text)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()

    hostile = [
        "A" * 100_000,
        "\u202e" * 50_000 + "kill",
        "\u200b".join("shoot up the school") * 2000,
        "<b>" * 30_000,
        "😀" * 60_000,
    ]
    t0 = time.perf_counter()
    for text in hostile:
        triage.score(text)
    hostile_ms = (time.perf_counter() - t0) * 1000 / len(hostile)

    size_mb = sum(p.stat().st_size for p in ARTIFACT_DIR.rglob("*") if p.is_file()) / 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model load (artifacts + language models): {load_s:.2f} s")
    print(
        f"throughput, all signals, batches of {args.batch}: {len(items) / batch_s:,.0f} items/s ({len(items)} items)"
    )
    print(
        f"single item latency: p50 {statistics.median(latencies):.2f} ms, p99 {latencies[int(len(latencies) * 0.99) - 1]:.2f} ms"
    )
    print(
        f"hostile input (100 KB strings, bidi, zero-width, HTML, emoji): {hostile_ms:.1f} ms per item"
    )
    print(f"peak resident memory: {peak_mb:.0f} MB")
    print(f"artifacts on disk: {size_mb:.1f} MB")
    print(f"model version: {triage.model_version}")


if __name__ == "__main__":
    main()

"""Sentence encoder speed and footprint: load time, items/s, single-item latency, peak memory.

Run: python benchmarks/encoder.py --dir var/encoder [--items 5000] [--threads 2]
The directory is what `python -m civicdesk.training.encoder_export DIR [--layers N]` writes.
Items are real tweets: TweetEval sentiment validation and replies to an elected official.
Run it in a fresh process per model: peak memory is the process's.
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


def sample_items(limit: int) -> list[str]:
    texts = (
        (DEFAULT_DATA_DIR / "tweeteval_sentiment" / "val_text.txt")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    with (DEFAULT_DATA_DIR / "aoc_replies" / "replies.csv").open(
        encoding="utf-8", newline=""
    ) as handle:
        for row in csv.DictReader(handle):
            if len(texts) >= limit:
                break
            texts.append(row["text"])
    return texts[:limit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "encoder")
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--single", type=int, default=1000, help="items timed one at a time")
    args = parser.parse_args()

    items = sample_items(args.items)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    started = time.perf_counter()
    from civicdesk.training.encoder import MODEL_FILE, SentenceEncoder

    encoder = SentenceEncoder(args.dir, threads=args.threads)
    load_s = time.perf_counter() - started

    encoder.encode(items[:200])  # warm up, as a running worker would be
    started = time.perf_counter()
    batched = encoder.encode(items)
    batch_s = time.perf_counter() - started
    tokens = [len(e.ids) for e in encoder.tokenizer.encode_batch(items)]

    latencies = []
    singles = []
    for text in items[: args.single]:
        t0 = time.perf_counter()
        singles.append(encoder.encode([text])[0])
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    # Dynamic int8 quantisation scales activations per batch, so an item's vector depends a
    # little on its batch-mates; this measures how much.
    agreement = (batched[: len(singles)] * singles).sum(axis=1)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mb = (args.dir / MODEL_FILE).stat().st_size / 1e6
    print(f"model: {args.dir / MODEL_FILE} ({size_mb:.1f} MB), {args.threads} threads")
    print(f"load (imports + tokenizer + ONNX session): {load_s:.2f} s")
    print(
        f"throughput, encode() of {len(items)} items (batches of {encoder.batch_size} by length): "
        f"{len(items) / batch_s:,.0f} items/s"
    )
    print(
        f"tokens per item: mean {statistics.mean(tokens):.1f}, max {max(tokens)} "
        f"(truncated at {encoder.max_tokens})"
    )
    print(
        f"single item latency ({len(latencies)} items): p50 {statistics.median(latencies):.2f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.2f} ms"
    )
    print(
        f"single vs batched vector, cosine: mean {agreement.mean():.5f}, min {agreement.min():.5f}"
    )
    print(f"peak resident memory: {peak_mb:.0f} MB (before loading: {rss_before:.0f} MB)")


if __name__ == "__main__":
    main()

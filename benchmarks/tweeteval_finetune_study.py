"""How close does a fine-tuned all-MiniLM-L6-v2 come to the published TweetEval figures?

Run: python benchmarks/tweeteval_finetune_study.py --task emotion [--layers 6] [--epochs 3]
(needs the triage-train and encoder extras; torch on CPU, 2 threads).

Everything is fixed before the run: learning rate 5e-5 with 10 % warm-up and linear decay,
batches of 32, 64 tokens, mean pooling, one linear layer per class, cross-entropy. The model
trains on the task's TweetEval train split less a tenth, which is held out to show how training
goes (printed each epoch, never used to pick an epoch); the validation split is scored once, at
the end, with the model as the last epoch left it, and compared with the shipped linear head
and with the published figure. Results: docs/encoder-study.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from civicdesk.training import corpora  # noqa: E402
from civicdesk.triage import metrics  # noqa: E402
from civicdesk.triage.scoring import load_triage  # noqa: E402

BATCH = 32
PUBLISHED = {"emotion": 0.79, "offensive": 0.80, "sentiment": 0.73, "hate": 0.55}
MEASURE = {"sentiment": "macro-recall"}  # the rest: macro-F1, as TweetEval reports them


def measure(task: str, labels: list[Any], predicted: list[Any]) -> float:
    classes = sorted({str(y) for y in labels})
    found = metrics.multiclass_metrics(
        [str(y) for y in labels], [str(p) for p in predicted], classes
    )
    return float(found["macro_recall" if MEASURE.get(task) == "macro-recall" else "macro_f1"] or 0)


def main() -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    from civicdesk.training.encoder_export import source_dir

    parser = argparse.ArgumentParser()
    parser.add_argument("--task", choices=sorted(PUBLISHED), required=True)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=0, help="train on at most this many rows")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    d = corpora.DEFAULT_DATA_DIR
    train = corpora.tweeteval(d, args.task, "train")
    val = corpora.tweeteval(d, args.task, "val")
    rows = list(zip(train.texts, train.labels, strict=True))
    rng = random.Random(args.seed)
    rng.shuffle(rows)
    held = rows[: len(rows) // 10]
    rows = rows[len(rows) // 10 :]
    if args.limit:
        rows = rows[: args.limit]
    classes = sorted({y for _, y in rows})
    print(f"{args.task}: {len(rows)} training rows, {len(held)} held out, {len(val.texts)} val")

    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    model_dir = source_dir()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    encoder = AutoModel.from_pretrained(model_dir)
    encoder.encoder.layer = encoder.encoder.layer[: args.layers]
    head = torch.nn.Linear(384, len(classes))
    params = [*encoder.parameters(), *head.parameters()]
    optimizer = torch.optim.AdamW(params, lr=5e-5, weight_decay=0.01)
    steps = args.epochs * (len(rows) // BATCH)
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warm) * max(0.0, 1 - s / steps)
    )

    def embed(texts: list[str]) -> torch.Tensor:
        batch = tokenizer(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
        hidden = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)

    @torch.no_grad()
    def predict(texts: list[str]) -> list[int]:
        encoder.eval()
        out: list[int] = []
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        found: dict[int, int] = {}
        for start in range(0, len(order), 128):
            chunk = order[start : start + 128]
            logits = head(embed([texts[i] for i in chunk]))
            for i, p in zip(chunk, logits.argmax(-1).tolist(), strict=True):
                found[i] = classes[p]
        out = [found[i] for i in range(len(texts))]
        encoder.train()
        return out

    started = time.perf_counter()
    step = 0
    for epoch in range(args.epochs):
        rng.shuffle(rows)
        encoder.train()
        for start in range(0, len(rows) - BATCH + 1, BATCH):
            batch_rows = rows[start : start + BATCH]
            logits = head(embed([t for t, _ in batch_rows]))
            labels = torch.tensor([classes.index(y) for _, y in batch_rows])
            loss = torch.nn.functional.cross_entropy(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            if step % 100 == 0:
                print(
                    f"  step {step}/{steps} loss {loss.item():.3f}"
                    f" {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
        held_score = measure(args.task, [y for _, y in held], predict([t for t, _ in held]))
        print(f"epoch {epoch + 1}: held-out tenth of train {held_score:.3f}", flush=True)

    ours = measure(args.task, list(val.labels), predict(list(val.texts)))
    linear = load_triage()
    name = args.task
    shipped: list[Any] = []
    for result in linear.score_many(list(val.texts)):
        signal = result.signals[name]
        shipped.append(signal.label if signal.label else int(signal.is_positive))
    print(
        f"{args.task} val ({MEASURE.get(args.task, 'macro-F1')}):"
        f" fine-tuned {args.layers} layers {ours:.3f},"
        f" shipped linear head {measure(args.task, list(val.labels), shipped):.3f},"
        f" published {PUBLISHED[args.task]:.2f};"
        f" training {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()

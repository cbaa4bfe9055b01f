"""Readers for the labelled data sets in shared/data, each returned as train and validation rows.

Where a data set ships without a validation split (Jigsaw subset, complaints2019), a fixed
hash of the row id carves one out, so every run sees the same rows on each side.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# The labelled data sets: CIVICDESK_TRAINING_DATA, else shared/data beside the checkout.
# Only training and evaluation read them; scoring needs nothing but the shipped artifacts.
DEFAULT_DATA_DIR = Path(
    os.environ.get("CIVICDESK_TRAINING_DATA")
    or Path(__file__).resolve().parents[3].parent / "shared" / "data"
)


@dataclass
class Split:
    texts: list[str] = field(default_factory=list)
    labels: list[int | str] = field(default_factory=list)

    def add(self, text: str, label: int | str) -> None:
        self.texts.append(text)
        self.labels.append(label)

    def __len__(self) -> int:
        return len(self.texts)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _is_holdout(key: str) -> bool:
    """One row in ten, chosen by a hash that no upstream split used."""
    return int(hashlib.sha256(f"civicdesk-val:{key}".encode()).hexdigest(), 16) % 10 == 0


def tweeteval(data_dir: Path, task: str, split: str) -> Split:
    folder = data_dir / f"tweeteval_{task}"
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()
    names = dict(
        line.split("\t") for line in (folder / "mapping.txt").read_text().splitlines() if line
    )
    out = Split()
    for text, label in zip(texts, labels, strict=True):
        out.add(text, names[label] if task in {"sentiment", "emotion"} else int(label))
    return out


def jigsaw(data_dir: Path, column: str) -> tuple[Split, Split]:
    train, val = Split(), Split()
    for row in _rows(data_dir / "jigsaw_subset" / "train.csv.gz"):
        (val if _is_holdout(row["id"]) else train).add(row["comment_text"], int(row[column]))
    return train, val


def davidson(data_dir: Path, positive_classes: set[int]) -> tuple[Split, Split]:
    out = []
    for name in ("train", "val"):
        split = Split()
        for row in _rows(data_dir / "davidson2017" / f"{name}.csv"):
            split.add(row["tweet"], int(int(row["class"]) in positive_classes))
        out.append(split)
    return out[0], out[1]


def labelled_csv(data_dir: Path, folder: str, column: str) -> tuple[Split, Split]:
    out = []
    for name in ("train", "val"):
        split = Split()
        for row in _rows(data_dir / folder / f"{name}.csv"):
            split.add(row["text"], int(row[column]))
        out.append(split)
    return out[0], out[1]


def complaints(data_dir: Path) -> tuple[Split, Split]:
    train, val = Split(), Split()
    for row in _rows(data_dir / "complaints2019" / "train.csv"):
        (val if _is_holdout(row["tweet_id"]) else train).add(row["text"], int(row["complaint"]))
    return train, val


def germeval_threat(data_dir: Path) -> tuple[Split, Split]:
    out = []
    for name in ("train", "val"):
        split = Split()
        for row in _rows(data_dir / "germeval_violence_de" / f"{name}.csv.gz"):
            if row["threat_or_incitement"] in {"0", "1"}:
                split.add(row["text"], int(row["threat_or_incitement"]))
        out.append(split)
    return out[0], out[1]


def umsab_sentiment(data_dir: Path) -> tuple[Split, Split]:
    names = {"0": "negative", "1": "neutral", "2": "positive"}
    out = []
    for name in ("train", "val"):
        split = Split()
        for row in _rows(data_dir / "umsab_langid" / f"{name}.csv"):
            split.add(row["text"], names[row["sentiment"]])
        out.append(split)
    return out[0], out[1]


def umsab_language(data_dir: Path, split: str) -> Split:
    out = Split()
    for row in _rows(data_dir / "umsab_langid" / f"{split}.csv"):
        out.add(row["text"], row["lang"])
    return out


def global_english(data_dir: Path, split: str) -> Split:
    out = Split()
    for row in _rows(data_dir / "umass_global_english" / f"{split}.csv"):
        if row["english"] != "ambiguous" and row["auto_generated"] == "0":
            out.add(row["text"], int(row["english"] == "english"))
    return out


def presidio(data_dir: Path, split: str) -> list[dict]:
    path = data_dir / "presidio_pii_synth" / f"{split}.jsonl"
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def authored(path: Path, signal: str) -> Split:
    """Rows written for this project (examples/*.csv: text,signal,label)."""
    out = Split()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["signal"] == signal:
                label = row["label"]
                out.add(row["text"], int(label) if label in {"0", "1"} else label)
    return out


def data_fingerprint(paths: list[Path]) -> str:
    """A short hash of the input files, recorded with each artifact."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# Unlabelled public-agency traffic: replies to an elected official, a mayor's and a police
# account's own posts, resident 311 requests, and tweets posted during US crises. Threats and
# self-harm are rare in it, so it stands in for "not a threat" at the rates real traffic has;
# one row in two (by hash) is kept apart to measure how often each signal fires on it.
AGENCY_TRAFFIC = (
    ("aoc_replies", "replies.csv", "tweet_id", "text"),
    ("peduto_mayor_tweets", "tweets.csv", "tweet_id", "text"),
    ("nypd_tips_tweets", "tweets.csv", "tweet_id", "text"),
    ("publicstuff_311", "requests.csv.gz", "request_id", "description"),
    ("crisislex_t6_us", "tweets.csv", "tweet_id", "text"),
)


def agency_traffic(data_dir: Path) -> tuple[Split, Split]:
    """(training half, measuring half) of the agency traffic, every row labelled 0."""
    train, measure = Split(), Split()
    seen: set[str] = set()
    for folder, name, key, column in AGENCY_TRAFFIC:
        for row in _rows(data_dir / folder / name):
            text = (row.get(column) or "").strip()
            if len(text) < 3 or text in seen:
                continue
            seen.add(text)
            digest = int(
                hashlib.sha256(f"civicdesk-traffic:{folder}:{row[key]}".encode()).hexdigest(), 16
            )
            (measure if digest % 2 else train).add(text, 0)
    return train, measure

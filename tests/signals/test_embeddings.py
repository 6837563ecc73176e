"""The packaged sentence-embedding model: loads from the wheel, and means something."""

from __future__ import annotations

import numpy as np
import pytest

from safefeed.signals.embeddings import (
    SentenceEmbedder,
    load_sentence_embedder,
    sentence_embedder_available,
)

pytestmark = pytest.mark.slow


def test_the_test_environment_has_the_embeddings_extra() -> None:
    # scripts/test installs it; a silent skip would hide a broken install.
    assert sentence_embedder_available()


def test_similar_sentences_are_nearer_than_unrelated_ones() -> None:
    embedder = load_sentence_embedder()
    assert isinstance(embedder, SentenceEmbedder)
    vectors = embedder.embed(
        [
            "how to bake sourdough bread at home",
            "an easy homemade sourdough loaf recipe",
            "highlights from last night's football match",
        ]
    )
    assert vectors.shape == (3, embedder.dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    bread, loaf, football = vectors
    assert float(bread @ loaf) > float(bread @ football) + 0.3


def test_one_model_per_process_and_empty_input() -> None:
    assert load_sentence_embedder() is load_sentence_embedder()
    assert load_sentence_embedder().embed([]).shape == (0, 384)

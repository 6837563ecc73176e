"""Item vectors from whatever a platform sends as an embedding, and their spaces."""

from __future__ import annotations

import numpy as np
import pytest

from safefeed.feed.catalog.embedding import (
    EmbeddingSpace,
    item_vector,
    project,
    topic_vector,
)


@pytest.mark.parametrize(
    "given",
    [
        [3e38] * 16,  # projected: the product overflowed float32
        [1e20] * 384,  # the norm overflows float32
        [1e30, -1e30, 1e30],
        [1e-45] * 32,  # subnormal: the norm underflows
    ],
)
def test_an_extreme_embedding_keeps_its_direction(given: list[float]) -> None:
    space, vector = item_vector("a", ["x"], given, 32)
    assert space == EmbeddingSpace("platform", len(given))
    for v in (vector, project(vector, 32)):
        assert np.isfinite(v).all()
        assert float(np.linalg.norm(v)) == pytest.approx(1.0, abs=1e-5)
    # Scale is not meaning: the same direction at unit scale gives the same vector.
    unit = [float(np.sign(v)) for v in given]
    assert vector == pytest.approx(item_vector("a", ["x"], unit, 32)[1], abs=1e-5)


def test_an_all_zero_embedding_falls_back_to_the_topics() -> None:
    space, vector = item_vector("a", ["cooking"], [0.0] * 32, 32)
    assert space == EmbeddingSpace("topics", 32)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)
    assert vector.tolist() == item_vector("a", ["cooking"], None, 32)[1].tolist()
    assert float(vector @ topic_vector("cooking", 32)) > 0.5


def test_an_embedding_lives_in_the_space_of_its_maker_and_size() -> None:
    # The platform's 32-d vectors are not topic vectors, though of the same size; a
    # model's 384-d ones are not a platform's.
    assert item_vector("a", ["x"], [1.0] * 32, 32)[0] == EmbeddingSpace("platform", 32)
    assert item_vector("a", ["x"], [1.0] * 384, 32, "minilm")[0] == EmbeddingSpace("minilm", 384)
    assert (
        item_vector("a", ["x"], [1.0] * 384, 32)[0]
        != item_vector("a", ["x"], [1.0] * 384, 32, "minilm")[0]
    )

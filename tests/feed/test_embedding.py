"""Item vectors from whatever a platform sends as an embedding."""

from __future__ import annotations

import numpy as np
import pytest

from safefeed.feed.catalog.embedding import item_embedding, topic_vector


@pytest.mark.parametrize(
    "given",
    [
        [3e38] * 16,  # projected: the product overflows float32
        [1e20] * 384,  # the norm overflows float32
        [1e30, -1e30, 1e30],
        [1e-45] * 32,  # subnormal: the norm underflows
    ],
)
def test_an_extreme_embedding_keeps_its_direction(given: list[float]) -> None:
    vector = item_embedding("a", ["x"], given, 32)
    assert np.isfinite(vector).all()
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)
    # Scale is not meaning: the same direction at unit scale gives the same vector.
    unit = [float(np.sign(v)) for v in given]
    assert vector == pytest.approx(item_embedding("a", ["x"], unit, 32), abs=1e-5)


def test_an_all_zero_embedding_falls_back_to_the_topics() -> None:
    vector = item_embedding("a", ["cooking"], [0.0] * 32, 32)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)
    assert vector.tolist() == item_embedding("a", ["cooking"], None, 32).tolist()
    assert float(vector @ topic_vector("cooking", 32)) > 0.5

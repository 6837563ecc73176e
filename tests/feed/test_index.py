"""The ANN index: a saved graph loads back to the same search results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from safefeed.feed.catalog.index import AnnIndex


def _vectors(n: int, dim: int) -> np.ndarray:
    vectors = np.random.default_rng(3).standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_saved_index_loads_back_with_the_same_results_and_no_removed_rows(
    tmp_path: Path,
) -> None:
    vectors = _vectors(500, 8)
    index = AnnIndex(8)
    index.add(np.arange(500, dtype=np.int64), vectors)
    index.tombstone(np.array([7], np.int64))
    index.save(tmp_path / "index.usearch")
    loaded = AnnIndex(8)
    loaded.load(tmp_path / "index.usearch")
    assert len(loaded) == 499
    for query in vectors[[7, 100, 250]]:
        assert loaded.search(query, 10).tolist() == index.search(query, 10).tolist()
        assert 7 not in loaded.search(query, 50).tolist()


def test_an_index_of_another_dimension_is_refused(tmp_path: Path) -> None:
    index = AnnIndex(8)
    index.add(np.arange(10, dtype=np.int64), _vectors(10, 8))
    index.save(tmp_path / "index.usearch")
    with pytest.raises(ValueError, match="8-d"):
        AnnIndex(16).load(tmp_path / "index.usearch")

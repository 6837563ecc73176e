"""The ANN index: search by cosine similarity, tombstones, reproducible builds, and a
saved graph that loads back to the same search results."""

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


def _build(threads: int) -> AnnIndex:
    rng = np.random.default_rng(7)
    vectors = rng.random((3000, 32)).astype(np.float32)
    index = AnnIndex(32, threads=threads)
    for start in range(0, 3000, 150):  # batches, as catalog refreshes add them
        rows = np.arange(start, start + 150, dtype=np.int64)
        index.add(rows, vectors[rows])
    again = np.arange(0, 1500, 7, dtype=np.int64)  # re-inserted, as updated items are
    index.add(again, vectors[again])
    return index


def test_a_single_threaded_index_gives_the_same_neighbours_on_every_build() -> None:
    queries = np.random.default_rng(8).random((100, 32)).astype(np.float32)
    first, second = _build(threads=1), _build(threads=1)

    assert [first.search(q, 20).tolist() for q in queries] == [
        second.search(q, 20).tolist() for q in queries
    ]
    assert len(first) == 3000


def test_search_leaves_tombstoned_rows_out() -> None:
    index = _build(threads=1)
    query = np.random.default_rng(9).random(32).astype(np.float32)
    nearest = index.search(query, 5)

    index.tombstone(nearest[:1])

    assert nearest[0] not in index.search(query, 5).tolist()

"""The embedding index: search by cosine similarity, tombstones, reproducible builds."""

from __future__ import annotations

import numpy as np

from safefeed.feed.catalog.index import AnnIndex


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

"""Reranking's candidate order (the head of a stable sort by utility, ties in pool
order, chosen without sorting the whole pool) and its similarity (within one
embedding space)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from safefeed.feed.catalog.columns import FeedCatalog, ItemBatch
from safefeed.feed.catalog.embedding import EmbeddingSpace
from safefeed.feed.config import default_feed_config
from safefeed.feed.ranking.ranker import Scored
from safefeed.feed.rerank.slate import _best, rerank
from safefeed.feed.sources.generate import CandidatePool


@given(
    st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5, float("nan")]), max_size=60),
    st.integers(min_value=1, max_value=40),
)
def test_best_is_the_head_of_a_stable_sort(values: list[float], count: int) -> None:
    keys = np.array(values, dtype=np.float64)
    expected = np.argsort(keys, kind="stable")[:count]
    assert _best(keys, count).tolist() == expected.tolist()


def test_items_of_two_embedding_spaces_are_never_similar() -> None:
    # "b" and "c" have the same vector as "a" at the catalog's size; only "c" is in the
    # space of "a", so only "c" is a near repeat of it: "b" follows "a" on the page.
    catalog = FeedCatalog(dim=4, index_threads=1)
    same = np.array([[1.0, 0.0, 0.0, 0.0]] * 3, np.float32)
    platform = EmbeddingSpace("platform", 4)
    catalog.upsert_items(ItemBatch(
        content_ids=["a", "c", "b"], creator_ids=["x", "y", "z"],
        topics=[("t1",), ("t2",), ("t3",)], formats=["post"] * 3, durations=[None] * 3,
        qualities=[0.8] * 3, published_us=[0] * 3, expires_us=[None] * 3,
        deleted=[False] * 3, embeddings=same,
        space_vectors={0: (platform, same[0]), 1: (platform, same[1])},
    ))  # fmt: skip
    view = catalog.publish(1)
    rows = np.arange(3, dtype=np.int64)
    pool = CandidatePool(
        rows=rows, source=np.zeros(3, np.int8), provenance=np.ones(3, np.int32),
        action=np.zeros(3, np.int8), decisions={},
    )  # fmt: skip
    utility = np.array([1.0, 0.9, 0.9])
    scored = Scored(utility, {}, {}, np.ones(3, bool), np.ones(3), view.at(rows))
    config = default_feed_config()

    slate = rerank(pool, scored, view, config.surface("home"), config.ranker("safety"), 2, 0)

    assert [catalog.ids[int(rows[p])] for p in slate.picks] == ["a", "b"]

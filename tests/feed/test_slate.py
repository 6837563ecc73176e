"""Reranking's candidate order: the head of a stable sort by utility, ties in pool
order, chosen without sorting the whole pool."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from safefeed.feed.rerank.slate import _best


@given(
    st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5, float("nan")]), max_size=60),
    st.integers(min_value=1, max_value=40),
)
def test_best_is_the_head_of_a_stable_sort(values: list[float], count: int) -> None:
    keys = np.array(values, dtype=np.float64)
    expected = np.argsort(keys, kind="stable")[:count]
    assert _best(keys, count).tolist() == expected.tolist()

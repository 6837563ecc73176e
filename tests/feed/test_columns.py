"""The catalog's columns as the ranking stages read them: per-pool gathers and row sums."""

from __future__ import annotations

import numpy as np
import pytest

from safefeed.feed.catalog.columns import TOPIC_SLOTS, FeedCatalog, row_sums


def test_row_sums_are_numpys_row_sums_to_the_bit() -> None:
    rng = np.random.default_rng(7)
    values = rng.normal(size=(5_000, TOPIC_SLOTS)) * rng.choice([1e-3, 1.0, 1e6], (5_000, 1))
    assert row_sums(values).tobytes() == values.sum(axis=1).tobytes()
    flags = rng.random((5_000, TOPIC_SLOTS)) < 0.5
    assert row_sums(flags).dtype == flags.sum(axis=1).dtype
    assert (row_sums(flags) == flags.sum(axis=1)).all()


def test_row_columns_gather_each_column_once_and_share_it_read_only() -> None:
    catalog = FeedCatalog(dim=4)
    columns = catalog.view.at(np.empty(0, np.int64))
    first = columns["w_impressions"]
    assert columns["w_impressions"] is first
    assert columns.creator("c_w_follows") is columns.creator("c_w_follows")
    with pytest.raises(ValueError, match="read-only"):
        first[...] = 1.0

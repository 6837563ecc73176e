"""The catalog's columns as the ranking stages read them (per-pool gathers and row
sums), and its embedding indexes: one per embedding space."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from safefeed.feed.catalog.columns import TOPIC_SLOTS, FeedCatalog, row_sums
from safefeed.feed.catalog.loader import item_batch


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


def _rows(*items: tuple[str, list[float] | None, str | None]) -> list[SimpleNamespace]:
    """Content rows as the store returns them: id, embedding, the model that made it."""
    return [
        SimpleNamespace(
            content_id=cid, creator_id="cr", topics=["pets"], format="post", duration_s=None,
            quality_score=None, published_us=0, expires_us=None, deleted=deleted,
            embedding=embedding, embedding_model=model, hashtags=[], region=None,
        )
        for cid, embedding, model, deleted in ((*item, False) for item in items)
    ]  # fmt: skip


def _indexed(catalog: FeedCatalog) -> dict[str, set[str]]:
    """The items each space's index finds, by space."""
    found = {}
    for space, index in zip(catalog.spaces, catalog.indexes, strict=True):
        rows = index.search(np.ones(space.dim, np.float32), 100).tolist()
        found[str(space)] = {catalog.ids[r] for r in rows}
    return found


def test_each_embedding_space_has_an_index_of_its_own() -> None:
    catalog = FeedCatalog(dim=8, index_threads=1)
    catalog.upsert_items(item_batch(_rows(
        ("p1", [1.0, 0.5] * 192, None), ("p2", [0.5, 1.0] * 192, None),
        ("q", [1.0] * 16, None), ("m", [1.0] * 384, "minilm"), ("t", None, None),
        ("z", [0.0] * 384, None),  # an all-zero embedding is none: topic vectors
    ), 8))  # fmt: skip

    assert _indexed(catalog) == {
        "topics/8": {"t", "z"},
        "platform/384": {"p1", "p2"},
        "platform/16": {"q"},
        "minilm/384": {"m"},
    }
    view = catalog.publish(1)
    # The column keeps every vector at the catalog's size (for diversity within a space).
    assert view.col("embedding").shape == (6, 8)
    row = catalog.index_of["p1"]
    native = view.space_vectors(int(view.col("space")[row]), np.array([row]))
    assert native.shape == (1, 384)
    assert float(native[0] @ np.array([1.0, 0.5] * 192)) == pytest.approx(
        float(np.linalg.norm([1.0, 0.5] * 192)), rel=1e-3
    )


def test_an_item_leaves_the_index_of_a_space_it_leaves_and_every_index_when_deleted() -> None:
    catalog = FeedCatalog(dim=8, index_threads=1)
    catalog.upsert_items(item_batch(_rows(("a", None, None), ("b", None, None)), 8))
    catalog.upsert_items(item_batch(_rows(("a", [1.0] * 16, None)), 8))
    assert _indexed(catalog) == {"topics/8": {"b"}, "platform/16": {"a"}}

    deleted = _rows(("a", [1.0] * 16, None))
    deleted[0].deleted = True
    catalog.upsert_items(item_batch(deleted, 8))
    assert _indexed(catalog) == {"topics/8": {"b"}, "platform/16": set()}

"""Keeps a `FeedCatalog` current from the store: content rows plus the statistics
the feed consumer writes, picked up by the feed revision (one row to check)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, Select, select

from safefeed.feed.catalog.columns import ITEM_STATS, CatalogView, FeedCatalog, ItemBatch
from safefeed.feed.catalog.embedding import TOPICS, EmbeddingSpace, item_vector, project
from safefeed.store.feed_tables import FeedCreatorStats, FeedItemStats, FeedRevision
from safefeed.store.tables import Content, table_of

__all__ = ["REVISION_QUERY", "item_batch", "refresh_catalog", "store_revision"]

_content = table_of(Content)
_stats = table_of(FeedItemStats)
_creators = table_of(FeedCreatorStats)
_revision = table_of(FeedRevision)
#: The store's feed revision (one row; none before the first statistics batch).
REVISION_QUERY: Select[int] = select(_revision.c.revision)


def store_revision(conn: Connection) -> int:
    """The store's feed revision (bumped by every batch that changes feed statistics)."""
    return int(conn.execute(REVISION_QUERY).scalar_one_or_none() or 0)


def item_batch(rows: Sequence[Any], dim: int) -> ItemBatch:
    """Catalog columns from content rows (with their vectors and spaces worked out)."""
    embeddings = np.zeros((len(rows), dim), np.float32)
    spaces: dict[int, tuple[EmbeddingSpace, np.ndarray]] = {}
    topic_space = EmbeddingSpace(TOPICS, dim)
    for i, r in enumerate(rows):
        space, vector = item_vector(
            r.content_id, r.topics or (), r.embedding, dim, r.embedding_model
        )
        embeddings[i] = project(vector, dim)
        if space != topic_space:
            spaces[i] = (space, vector)
    return ItemBatch(
        content_ids=[r.content_id for r in rows],
        creator_ids=[r.creator_id for r in rows],
        topics=[tuple(r.topics or ()) for r in rows],
        formats=[r.format for r in rows],
        durations=[r.duration_s for r in rows],
        qualities=[r.quality_score for r in rows],
        published_us=[r.published_us for r in rows],
        expires_us=[r.expires_us for r in rows],
        deleted=[bool(r.deleted) for r in rows],
        embeddings=embeddings,
        hashtags=[tuple(r.hashtags or ()) for r in rows],
        regions=[r.region for r in rows],
        space_vectors=spaces,
    )


def refresh_catalog(conn: Connection, catalog: FeedCatalog) -> CatalogView:
    """Apply every content and statistics change since the catalog's revision."""
    revision = store_revision(conn)
    if revision == catalog.revision:
        return catalog.view
    with catalog.lock:
        if revision == catalog.revision:
            return catalog.view
        since = catalog.revision
        columns: list[Any] = [
            *_content.columns,
            *(_stats.c[name] for name in ITEM_STATS),
            _stats.c.velocity_us,
        ]
        query = select(*columns).select_from(
            _content.outerjoin(_stats, _stats.c.content_id == _content.c.content_id)
        )
        if since >= 0:
            query = query.where(_stats.c.revision > since)
        rows = conn.execute(query).all()
        if rows:
            placed = catalog.upsert_items(item_batch(rows, catalog.dim))
            values = {
                name: np.array([getattr(r, name) or 0.0 for r in rows], np.float32)
                for name in ITEM_STATS
            }
            values["velocity_us"] = np.array([r.velocity_us or 0 for r in rows], np.int64)
            catalog.update_stats(placed, values)
        creator_query = select(_creators)
        if since >= 0:
            creator_query = creator_query.where(_creators.c.revision > since)
        creator_rows = conn.execute(creator_query).all()
        if creator_rows:
            catalog.update_creator_stats(
                [r.creator_id for r in creator_rows],
                {
                    "c_w_impressions": np.array([r.w_impressions for r in creator_rows]),
                    "c_w_follows": np.array([r.w_follows for r in creator_rows]),
                    "c_w_negative": np.array([r.w_negative for r in creator_rows]),
                },
            )
        return catalog.publish(revision)

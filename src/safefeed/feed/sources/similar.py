"""Similar-to-recent: nearest neighbours of the request's anchor items by content
embedding, through the ANN index (tombstones left out; final validation re-checks)."""

from __future__ import annotations

import numpy as np

from safefeed.feed.config import SourceName
from safefeed.feed.sources.base import EMPTY, Rows, SourceContext

__all__ = ["SimilarSource"]


class SimilarSource:
    """Items near the mean embedding of the anchors (the related item, or the
    session's recent items)."""

    name: SourceName = "similar"
    uses_profile: bool = True

    def propose(self, ctx: SourceContext, limit: int) -> Rows:
        if len(ctx.anchors) == 0:
            return EMPTY
        query = ctx.view.col("embedding")[ctx.anchors].mean(axis=0)
        norm = float(np.linalg.norm(query))
        if norm == 0:
            return EMPTY
        rows = ctx.view.catalog.index.search(
            (query / norm).astype(np.float32), limit + len(ctx.anchors)
        )
        # Rows appended after this request's view are not in its columns yet.
        rows = rows[rows < ctx.view.n]
        return rows[~np.isin(rows, ctx.anchors)][:limit]

"""Similar-to-recent: nearest neighbours of the request's anchor items by content
embedding, through the ANN index of each anchor's embedding space (tombstones left
out; final validation re-checks).

A cosine between two embedding spaces means nothing (see
`safefeed.feed.catalog.embedding`), so the anchors are grouped by space: each group's
mean vector is searched in its own space's index, and the groups share the source's
rows in proportion to their anchors — a session of one item with a platform
embedding and two without proposes a third of its rows near the first and two
thirds near the others, where one mean over both spaces followed the two alone.
"""

from __future__ import annotations

import math

import numpy as np

from safefeed.feed.config import SourceName
from safefeed.feed.sources.base import EMPTY, Rows, SourceContext

__all__ = ["SimilarSource", "anchor_spaces"]


class SimilarSource:
    """Items near the anchors (the related item, or the session's recent items), in
    each anchor's embedding space."""

    name: SourceName = "similar"
    uses_profile: bool = True

    def propose(self, ctx: SourceContext, limit: int) -> Rows:
        anchors = ctx.anchors
        if len(anchors) == 0:
            return EMPTY
        found: list[Rows] = []
        shares: list[float] = []
        for code, group in anchor_spaces(ctx.view.col("space"), anchors):
            share = len(group) / len(anchors)
            rows = _near(ctx, code, group, math.ceil(limit * share) + len(group))
            found.append(rows[~np.isin(rows, anchors)])
            shares.append(share)
        if len(found) == 1:
            return found[0][:limit]
        return _interleave(found, shares)[:limit]


def anchor_spaces(space: np.ndarray, anchors: Rows) -> list[tuple[int, Rows]]:
    """The anchors grouped by the code of their embedding space (``space`` is the
    catalog's column), the space of the first anchor (the most recent) first.

    >>> [(code, rows.tolist()) for code, rows in anchor_spaces(
    ...     np.array([0, 2, 0, 1]), np.array([1, 3, 0, 2]))]
    [(2, [1]), (1, [3]), (0, [0, 2])]
    """
    codes = space[anchors]
    _, first = np.unique(codes, return_index=True)
    return [(int(codes[i]), anchors[codes == codes[i]]) for i in np.sort(first)]


def _near(ctx: SourceContext, code: int, group: Rows, k: int) -> Rows:
    """Up to ``k`` rows nearest to the mean vector of ``group`` in space ``code``."""
    vectors = ctx.view.space_vectors(code, group)
    if not len(vectors):
        return EMPTY
    query = vectors.mean(axis=0)
    norm = float(np.linalg.norm(query))
    if norm == 0:
        return EMPTY
    rows = ctx.view.catalog.indexes[code].search((query / norm).astype(np.float32), k)
    # Rows appended after this request's view are not in its columns yet.
    return rows[rows < ctx.view.n]


def _interleave(lists: list[Rows], shares: list[float]) -> Rows:
    """Several best-first lists merged by share: the n-th row of a list with share s
    comes at n / s, ties to the earlier list.

    >>> _interleave([np.array([1, 2, 3, 4]), np.array([9, 8])], [2 / 3, 1 / 3]).tolist()
    [1, 9, 2, 3, 8, 4]
    """
    keys = np.concatenate(
        [np.arange(len(rows)) / share for rows, share in zip(lists, shares, strict=True)]
    )
    return np.concatenate(lists)[np.argsort(keys, kind="stable")]

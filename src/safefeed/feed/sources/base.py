"""The candidate-source seam: what a source sees and what it returns.

A source proposes catalog rows, best first; the generation stage filters them,
asks the gate about each, and keeps at most the source's quota. Sources are plain
classes over the in-memory catalog: none touches the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from safefeed.feed.catalog.columns import CatalogView
from safefeed.feed.catalog.derived import DerivedLists
from safefeed.feed.config import FeedConfig, SourceName, SurfaceConfig
from safefeed.feed.contracts import FeedRequest
from safefeed.feed.state.user import UserState

__all__ = ["EMPTY", "CandidateSource", "Rows", "SourceContext", "take"]

Rows = npt.NDArray[np.int64]
EMPTY: Rows = np.empty(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What every source of one request may read."""

    view: CatalogView
    lists: DerivedLists
    user: UserState
    request: FeedRequest
    surface: SurfaceConfig
    config: FeedConfig
    now_us: int
    #: False in non-personalized mode: profile sources are not even run.
    personalized: bool
    #: Rows the request is anchored on: the ``related`` item, else recent session items.
    anchors: Rows


class CandidateSource(Protocol):
    """Proposes candidate rows for one request, best first."""

    name: SourceName
    #: True when the source reads the user's profile or session.
    uses_profile: bool

    def propose(self, ctx: SourceContext, limit: int) -> Rows: ...


def take(lists: list[Rows], limit: int) -> Rows:
    """Interleave several best-first lists round-robin, up to ``limit`` rows.

    >>> take([np.array([1, 2, 3]), np.array([9])], 3).tolist()
    [1, 9, 2]
    """
    lists = [r for r in lists if len(r)]
    if not lists:
        return EMPTY
    width = max(len(r) for r in lists)
    grid = np.full((len(lists), width), -1, dtype=np.int64)
    for i, rows in enumerate(lists):
        grid[i, : len(rows)] = rows
    merged = grid.T.reshape(-1)
    return merged[merged >= 0][:limit]

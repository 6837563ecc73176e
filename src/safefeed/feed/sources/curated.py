"""Sources that need no profile: trust-weighted safe trending, new-creator
exploration, editorial picks and the safe evergreen fallback."""

from __future__ import annotations

from safefeed.feed.config import SourceName
from safefeed.feed.sources.base import Rows, SourceContext

__all__ = ["EditorialSource", "ExplorationSource", "FallbackSource", "TrendingSource"]


class TrendingSource:
    """Trust-weighted, report- and hide-adjusted, time-decayed trending, with a
    quality floor and anomalous-velocity items cooled down (see `build_lists`)."""

    name: SourceName = "trending"
    uses_profile: bool = False

    def propose(self, ctx: SourceContext, limit: int) -> Rows:
        return ctx.lists.trending[:limit]


class ExplorationSource:
    """Items of new creators above the quality and trust floors, within their
    exposure budget and until negative feedback stops them."""

    name: SourceName = "exploration"
    uses_profile: bool = False

    def propose(self, ctx: SourceContext, limit: int) -> Rows:
        rows = ctx.lists.exploration
        floor = ctx.surface.exploration_quality_floor
        return rows[ctx.view.col("quality")[rows] >= floor][:limit]


class EditorialSource:
    """Items the editors picked in the feed configuration."""

    name: SourceName = "editorial"
    uses_profile: bool = False

    def propose(self, ctx: SourceContext, limit: int) -> Rows:
        rows = ctx.view.catalog.rows_of(list(ctx.config.editorial))
        return rows[rows < ctx.view.n][:limit]


class FallbackSource:
    """Evergreen, high-quality, rarely reported items: safe for anyone."""

    name: SourceName = "fallback"
    uses_profile: bool = False

    def propose(self, ctx: SourceContext, limit: int) -> Rows:
        return ctx.lists.fallback[:limit]

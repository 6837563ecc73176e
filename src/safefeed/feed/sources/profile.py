"""Sources that read the user's profile or session: followed creators, long-term
topic and creator affinity, and the current session's topics."""

from __future__ import annotations

import numpy as np

from safefeed.feed.config import SourceName
from safefeed.feed.sources.base import EMPTY, Rows, SourceContext, take

__all__ = ["AffinityCreatorSource", "AffinityTopicSource", "FollowingSource", "SessionTopicSource"]

_TOP_TOPICS = 8
_TOP_CREATORS = 20


def _topic_lists(ctx: SourceContext, topics: list[str], limit: int) -> Rows:
    catalog = ctx.view.catalog
    lists = [ctx.lists.by_topic.get(int(t), EMPTY) for t in catalog.topic_ids(topics)]
    per = max(1, limit // max(1, len(lists)) * 2)
    return take([rows[:per] for rows in lists], limit)


def _creator_lists(ctx: SourceContext, creators: list[str], limit: int) -> Rows:
    catalog = ctx.view.catalog
    lists = [ctx.lists.by_creator.get(int(c), EMPTY) for c in catalog.creator_rows(creators)]
    return take(lists, limit)


class FollowingSource:
    """Recent items of the creators the user follows."""

    name: SourceName = "following"
    uses_profile: bool = True

    def propose(self, ctx: SourceContext, limit: int) -> Rows:
        return _creator_lists(ctx, list(ctx.user.follows), limit)


class AffinityTopicSource:
    """The best items of the user's strongest long-term topics (and included topics)."""

    name: SourceName = "affinity_topic"
    uses_profile: bool = True

    def propose(self, ctx: SourceContext, limit: int) -> Rows:
        liked = sorted(
            (t for t, w in ctx.user.topic_affinity.items() if w > 0),
            key=lambda t: -ctx.user.topic_affinity[t],
        )[:_TOP_TOPICS]
        included = [t for t in ctx.user.controls.include_topics if t not in liked]
        return _topic_lists(ctx, included + liked, limit)


class AffinityCreatorSource:
    """Recent items of the creators the user engages with most (followed or not)."""

    name: SourceName = "affinity_creator"
    uses_profile: bool = True

    def propose(self, ctx: SourceContext, limit: int) -> Rows:
        liked = sorted(
            (c for c, w in ctx.user.creator_affinity.items() if w > 0),
            key=lambda c: -ctx.user.creator_affinity[c],
        )[:_TOP_CREATORS]
        return _creator_lists(ctx, liked, limit)


class SessionTopicSource:
    """Items on the topics of this session, most recent topic first."""

    name: SourceName = "session_topic"
    uses_profile: bool = True

    def propose(self, ctx: SourceContext, limit: int) -> Rows:
        topics = list(dict.fromkeys(ctx.user.session.topics))[:_TOP_TOPICS]
        if not topics:
            return EMPTY
        rows = _topic_lists(ctx, topics, limit)
        return np.asarray(rows, dtype=np.int64)

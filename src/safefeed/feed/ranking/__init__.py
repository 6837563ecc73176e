"""Features and the multi-objective utility over the candidate pool."""

from safefeed.feed.ranking.ranker import Scored, score

__all__ = ["Scored", "score"]

"""The feed: a safety-aware recommender, batch-first, one stage per folder.

``catalog`` (columnar items, embeddings, ANN index, derived lists) → ``state``
(what users did and chose, kept by the ingest consumer) → ``sources`` (candidate
generation through the gate) → ``ranking`` (features, multi-objective utility) →
``rerank`` (slate rules) → ``validation`` (final check) → ``serving`` (the engine,
cursor, served log, explanations, metrics). Entry point: `FeedEngine.serve`.
"""

# First: LightGBM's native library must load before usearch's (see _native).
from safefeed.feed import _native  # noqa: F401  # isort: skip
from safefeed.feed.config import FeedConfig, default_feed_config, parse_feed_config
from safefeed.feed.contracts import FeedItem, FeedRequest, FeedResponse
from safefeed.feed.serving.engine import FeedEngine
from safefeed.feed.state.consumer import FeedStateConsumer

__all__ = [
    "FeedConfig",
    "FeedEngine",
    "FeedItem",
    "FeedRequest",
    "FeedResponse",
    "FeedStateConsumer",
    "default_feed_config",
    "parse_feed_config",
]

"""Tables of the feed: what must survive a restart.

The hot, derived state (the columnar catalog, the ANN index, trending order) lives
in memory and is rebuilt from these tables and the catalog; what a user did and
chose (seen items, hides, reports, mutes, controls, affinities, session state) and
what the feed served (the served log and its traces) is kept here, written inside
the ingest transaction or the serving request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safefeed.store.tables import Base, BigId

__all__ = [
    "FeedAffinity",
    "FeedControls",
    "FeedCreatorStats",
    "FeedItemStats",
    "FeedMute",
    "FeedRequestRow",
    "FeedRevision",
    "FeedServedItem",
    "FeedSession",
    "FeedUserItem",
]


class FeedRevision(Base):
    """One row: bumped by every ingest batch that changes item or creator statistics,
    so each serving process can tell with one read whether its catalog is current."""

    __tablename__ = "feed_revision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


class FeedItemStats(Base):
    """Engagement statistics of one item: trust-weighted (``w_*``) and raw (``n_*``).

    ``velocity`` is trust-weighted positive engagement decayed with a one-hour half
    life at ``velocity_us``; trending and its anomaly cooldown read it."""

    __tablename__ = "feed_item_stats"
    content_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, index=True)
    w_impressions: Mapped[float] = mapped_column(Float, default=0.0)
    w_opens: Mapped[float] = mapped_column(Float, default=0.0)
    w_dwell_ratio: Mapped[float] = mapped_column(Float, default=0.0)
    w_dwells: Mapped[float] = mapped_column(Float, default=0.0)
    w_saves: Mapped[float] = mapped_column(Float, default=0.0)
    w_likes: Mapped[float] = mapped_column(Float, default=0.0)
    w_hides: Mapped[float] = mapped_column(Float, default=0.0)
    w_reports: Mapped[float] = mapped_column(Float, default=0.0)
    n_impressions: Mapped[float] = mapped_column(Float, default=0.0)
    n_opens: Mapped[float] = mapped_column(Float, default=0.0)
    n_dwell_s: Mapped[float] = mapped_column(Float, default=0.0)
    n_hides: Mapped[float] = mapped_column(Float, default=0.0)
    n_reports: Mapped[float] = mapped_column(Float, default=0.0)
    velocity: Mapped[float] = mapped_column(Float, default=0.0)
    velocity_us: Mapped[int] = mapped_column(BigInteger, default=0)
    low_trust_share: Mapped[float] = mapped_column(Float, default=0.0)
    #: The highest classifier score the item's ``moderation.flag`` events carried, until
    #: a moderator's decision supersedes it (then 0): the ranker's graded safety feature.
    safety_score: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")


class FeedCreatorStats(Base):
    """Per-creator statistics: exploration budget and negative feedback, follow rate."""

    __tablename__ = "feed_creator_stats"
    creator_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, index=True)
    w_impressions: Mapped[float] = mapped_column(Float, default=0.0)
    w_follows: Mapped[float] = mapped_column(Float, default=0.0)
    w_negative: Mapped[float] = mapped_column(Float, default=0.0)


class FeedUserItem(Base):
    """What one user did with one item: the seen set and per-item negative feedback."""

    __tablename__ = "feed_user_items"
    user_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    content_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    seen_us: Mapped[int | None] = mapped_column(BigInteger)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    reported: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Impressions of the item this user had: only a first view's engagement counts
    #: toward the trust-weighted statistics.
    views: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class FeedMute(Base):
    """A creator a user muted (by event or through the controls API)."""

    __tablename__ = "feed_mutes"
    user_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    creator_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    created_us: Mapped[int] = mapped_column(BigInteger)


class FeedAffinity(Base):
    """A user's long-term, exponentially decayed affinity to a topic or a creator."""

    __tablename__ = "feed_affinities"
    user_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(256), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    updated_us: Mapped[int] = mapped_column(BigInteger)


class FeedSession(Base):
    """A user's current session: recent topics and creators, skips, hides, dwell trend."""

    __tablename__ = "feed_sessions"
    user_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    session_id: Mapped[str | None] = mapped_column(String(256))
    state: Mapped[dict[str, Any]] = mapped_column()
    updated_us: Mapped[int] = mapped_column(BigInteger)


class FeedControls(Base):
    """A user's feed controls (topics, sensitivity, non-personalized mode, push)."""

    __tablename__ = "feed_controls"
    user_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column()
    reset_us: Mapped[int | None] = mapped_column(BigInteger)
    updated_us: Mapped[int] = mapped_column(BigInteger)


class FeedRequestRow(Base):
    """One served feed response: who, where, when, under which versions, and its trace."""

    __tablename__ = "feed_requests"
    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(256))
    surface: Mapped[str] = mapped_column(String(16))
    ts_us: Mapped[int] = mapped_column(BigInteger, index=True)
    mode: Mapped[str] = mapped_column(String(32))
    page: Mapped[int] = mapped_column(Integer)
    versions: Mapped[dict[str, Any]] = mapped_column()
    trace: Mapped[dict[str, Any]] = mapped_column()

    __table_args__ = (Index(None, "user_id", "surface", "ts_us"),)


class FeedServedItem(Base):
    """One item of a served response: the exposure record incidents are scoped by."""

    __tablename__ = "feed_served"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str] = mapped_column(String(256))
    surface: Mapped[str] = mapped_column(String(16))
    content_id: Mapped[str] = mapped_column(String(256))
    creator_id: Mapped[str] = mapped_column(String(256))
    position: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    components: Mapped[dict[str, Any]] = mapped_column()
    ts_us: Mapped[int] = mapped_column(BigInteger)
    reasons: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index(None, "content_id", "ts_us"),)

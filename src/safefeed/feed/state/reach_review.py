"""Review by reach: items that spread before anyone decided on them go to a moderator.

The classifier misses some harmful items and scores others with noise; reports come
late and few (most viewers never report). An item that reaches many people while no
moderator has looked at it is where such a miss costs most, so once its trust-weighted
viewers reach ``min_reach`` it is due for human review, whatever the classifier said
(`safefeed.feed.config.ReachReviewSettings`). Reviewing decides nothing by itself: the
moderator's decision arrives as a policy change (``review_status:
moderator_decision``), and the item leaves this list.

Due items are ordered by *priority*: reach times the evidence against the item (its
safety score, i.e. the highest classifier score it carries, plus its report rate),
with a small base so that reach alone still ranks the rest. A team short of capacity
so reviews the likeliest harm first, then the widest reach.

Only items that feeds can still recommend are due: an item a label already keeps out
of recommendation (``not_recommendable``, ``search_only``, ``blocked``, ``deleted``)
is not spreading through them. A decided item stays decided (a flag raised after the
decision counts toward the safety score's own hold, not toward this review).

While it waits, a due item that carries a flag (a safety score of ``hold_min_score`` or
more) is held from feeds (`held_pending_review`, applied by the engine before
reranking, which also lets through whatever the policy state says a moderator decided):
a circuit breaker, so an item the classifier doubted spreads no further
than ``min_reach`` before a human has looked. Items without a flag stay in feeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, or_, select

from safefeed.feed.config import ReachReviewSettings
from safefeed.policy.records import MODERATOR_DECISION
from safefeed.policy.taxonomy import DEFAULT_RECOMMENDABILITY
from safefeed.store.feed_tables import FeedItemStats
from safefeed.store.tables import PolicyStateRow, table_of

__all__ = ["OUT_OF_FEEDS", "ReachCase", "due_for_review", "held_pending_review"]

#: Policy states that keep an item out of the recommended feeds already (by the policy
#: taxonomy: recommended neither on home nor on related).
OUT_OF_FEEDS: frozenset[str] = frozenset(
    state
    for state, surfaces in DEFAULT_RECOMMENDABILITY.items()
    if surfaces["home"] is False and surfaces["related"] is False
)

_stats = table_of(FeedItemStats)
_policy = table_of(PolicyStateRow)


@dataclass(frozen=True, slots=True)
class ReachCase:
    """One item due for review by reach, with what its priority was made of."""

    content_id: str
    #: Trust-weighted viewers (first views).
    reach: float
    impressions: float
    reports: float
    safety_score: float
    #: Its policy state now (``None``: the store has none).
    policy_state: str | None
    priority: float

    def as_dict(self) -> dict[str, object]:
        """JSON-ready fields (rounded for display)."""
        return {
            "content_id": self.content_id,
            "reach": round(self.reach, 2),
            "impressions": round(self.impressions, 2),
            "reports": round(self.reports, 2),
            "safety_score": round(self.safety_score, 4),
            "policy_state": self.policy_state,
            "priority": round(self.priority, 4),
        }


def due_for_review(
    conn: Connection, settings: ReachReviewSettings, *, limit: int | None = None
) -> list[ReachCase]:
    """Items due for review by reach, highest priority first (at most ``limit``).

    Ties break on the content id, so the same store gives the same list. The store
    computes the priority (`_priority`), orders and cuts the list, so a platform with a
    long backlog reads only the ``limit`` rows it shows.
    """
    if limit is not None and limit <= 0:
        return []
    priority = _priority(settings).label("priority")
    statement = (
        select(
            _stats.c.content_id,
            _stats.c.w_impressions,
            _stats.c.n_impressions,
            _stats.c.w_reports,
            _stats.c.safety_score,
            _policy.c.state,
            priority,
        )
        .select_from(
            _stats.outerjoin(
                _policy,
                and_(
                    _policy.c.subject_type == "content",
                    _policy.c.subject_id == _stats.c.content_id,
                ),
            )
        )
        .where(
            _stats.c.w_impressions >= settings.min_reach,
            or_(_policy.c.state.is_(None), _policy.c.state.not_in(sorted(OUT_OF_FEEDS))),
            or_(
                _policy.c.review_status.is_(None),
                _policy.c.review_status != MODERATOR_DECISION,
            ),
        )
        .order_by(priority.desc(), _stats.c.content_id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return [
        ReachCase(
            content_id=r.content_id,
            reach=float(r.w_impressions),
            impressions=float(r.n_impressions),
            reports=float(r.w_reports),
            safety_score=float(r.safety_score or 0.0),
            policy_state=r.state,
            priority=float(r.priority),
        )
        for r in conn.execute(statement)
    ]


def _priority(s: ReachReviewSettings) -> ColumnElement[float]:
    """Reach x (``base_evidence`` + safety score + min(1, ``report_weight`` x reports /
    max(reach, 1))), as SQL (portable: no LEAST/GREATEST, which SQLite lacks). The
    evidence term is what is held against the item: with a ``report_weight`` of 20, 3% of
    viewers reporting counts like a safety score of 0.6."""
    reach = _stats.c.w_impressions
    score = func.coalesce(_stats.c.safety_score, 0.0)
    rate = _stats.c.w_reports / case((reach >= 1.0, reach), else_=literal(1.0))
    weighted = s.report_weight * rate
    reports = case((weighted < 1.0, weighted), else_=literal(1.0))
    return reach * (s.base_evidence + score + reports)


def held_pending_review(
    safety_score: npt.NDArray[np.floating],
    reach: npt.NDArray[np.floating],
    settings: ReachReviewSettings,
) -> npt.NDArray[np.bool_]:
    """Rows held from feeds until a moderator decides: flagged and spread to ``min_reach``.

    ``safety_score`` is the item statistic (reset by a moderator's decision), ``reach``
    its trust-weighted viewers plus what the current batch of pages has added.

    >>> s = ReachReviewSettings(min_reach=25.0, hold_min_score=0.3)
    >>> held_pending_review(np.array([0.4, 0.4, 0.1]), np.array([30.0, 10.0, 99.0]), s).tolist()
    [True, False, False]
    """
    return np.asarray(
        (safety_score >= settings.hold_min_score) & (reach >= settings.min_reach), dtype=bool
    )

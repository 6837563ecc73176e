"""Reranking: build the page greedily from the scored pool under the slate rules.

At each position the feasible candidates are those that keep every rule: per-creator
and per-topic caps, the limited-distribution cap (zero on push and email), no two
sensitive (labelled) items in a row, exploration only above its quality floor, no
run of long videos, and — when the remaining slots demand it — a new creator (the
creator diversity minimum) or a fresh item (the freshness quota). Among them the
pick maximizes relevance, or with diversity on, MMR: relevance minus similarity to
what is already on the page, among candidates within the relevance floor of the
best feasible one. Similarity is the cosine of the items' vectors within one
embedding space; items of two spaces are not similar (their cosine means nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from safefeed.feed.catalog.columns import FORMATS, CatalogView
from safefeed.feed.config import SOURCE_NAMES, RankerConfig, SurfaceConfig
from safefeed.feed.ranking.ranker import Scored
from safefeed.feed.sources.generate import CandidatePool
from safefeed.policy.rules import Action

__all__ = ["SlateResult", "rerank"]

_EXPLORATION = SOURCE_NAMES.index("exploration")
#: Which format codes are videos, as a table indexed by code (one lookup per row).
_IS_VIDEO = np.array([f in ("video", "live_replay") for f in FORMATS])
_HOUR_US = 3600 * 1_000_000


@dataclass(slots=True)
class SlateResult:
    """Picked pool indices in page order, and how many candidates each rule held back."""

    picks: list[int]
    held_back: dict[str, int] = field(default_factory=dict)


def _best(keys: npt.NDArray[np.float64], count: int) -> npt.NDArray[np.intp]:
    """The positions of the ``count`` smallest ``keys``, in ascending order, ties in
    position order: the head of a stable sort, without sorting what is cut.

    >>> _best(np.array([3.0, 1.0, 2.0, 1.0, 5.0]), 3).tolist()
    [1, 3, 2]
    """
    if len(keys) > count:
        kth = np.partition(keys, count - 1)[count - 1]
        if not np.isnan(kth):
            # Every key up to the count-th (ties included), in position order, then
            # sorted stably: the stable sort's head restricted to them.
            chosen = np.flatnonzero(keys <= kth)
            return chosen[np.argsort(keys[chosen], kind="stable")][:count]
    return np.argsort(keys, kind="stable")[:count]


def rerank(
    pool: CandidatePool,
    scored: Scored,
    view: CatalogView,
    surface: SurfaceConfig,
    ranker: RankerConfig,
    length: int,
    now_us: int,
    *,
    exclude: npt.NDArray[np.bool_] | None = None,
    sensitivity: str = "standard",
) -> SlateResult:
    """Pick up to ``length`` pool indices (see the module docstring)."""
    ok = scored.allowed.copy()
    if exclude is not None:
        ok &= ~exclude
    held: dict[str, int] = {}
    actions = pool.action
    if sensitivity in ("reduced", "strict"):
        cut = ok & (actions == int(Action.LABEL))
        if sensitivity == "strict":
            cut |= ok & (actions == int(Action.LIMIT))
        held["sensitivity"] = int(cut.sum())
        ok &= ~cut
    index = np.flatnonzero(ok)
    if len(index) == 0:
        return SlateResult([], held)
    order = index[_best(-scored.utility[index], max(300, 15 * length))]
    # The pool's columns as scoring gathered them, at the rows in `order`: gathered
    # from the small pool arrays instead of the catalog (`take`: fancy indexing costs
    # several times more, most on two-dimensional columns).
    c = scored.columns
    utility = scored.utility.take(order)
    spread = float(utility.max() - utility.min())
    relevance = (utility - utility.min()) / spread if spread > 0 else np.ones(len(order))
    creator = c["creator"].take(order)
    topics = c["topics"].take(order, axis=0)
    limited = actions.take(order) == int(Action.LIMIT)
    sensitive = actions.take(order) == int(Action.LABEL)
    long_video = _IS_VIDEO.take(c["format"].take(order)) & (
        c["duration"].take(order) > surface.long_video_seconds
    )
    exploration = pool.source.take(order) == _EXPLORATION
    explore_ok = ~exploration | (c["quality"].take(order) >= surface.exploration_quality_floor)
    held["exploration_quality_floor"] = len(order) - int(np.count_nonzero(explore_ok))
    fresh = (now_us - c["published_us"].take(order)) < surface.fresh_hours * _HOUR_US
    embedding = view.columns["embedding"].take(pool.rows.take(order), axis=0)
    space = _mixed_spaces(view, pool.rows.take(order))
    similarity = np.zeros(len(order))
    remaining = explore_ok.copy()
    creator_count: dict[int, int] = {}
    topic_count: dict[int, int] = {}
    # Kept up to date as picks are made (cheaper than recomputing per slot): rows not
    # yet picked whose creator and topics are under their caps, and rows of creators
    # already picked. The rules' masks are negated once, not per slot.
    available = remaining.copy()
    picked_creator = np.zeros(len(order), bool)
    not_limited, not_sensitive, not_long = ~limited, ~sensitive, ~long_video
    weighted_relevance = ranker.mmr_lambda * relevance
    dissimilarity_weight = 1 - ranker.mmr_lambda
    # Per-pick reads from Python lists: a numpy scalar read and a masked slice per
    # pick cost more than the list lookups.
    creator_of, topics_of = creator.tolist(), topics.tolist()
    relevance_of, negated_relevance = relevance.tolist(), -relevance
    n_limited = n_fresh = long_run = 0
    last_sensitive = False
    picks: list[int] = []
    fresh_target = min(surface.fresh_min, int(np.count_nonzero(fresh & remaining)))
    creator_target = min(surface.min_creators, length, len(set(creator[remaining].tolist())))
    while len(picks) < length:
        feasible = available
        if n_limited >= surface.limited_max:
            feasible = feasible & not_limited
        if last_sensitive:
            feasible = feasible & not_sensitive
        if long_run >= surface.long_run_max:
            feasible = feasible & not_long
        slots = length - len(picks)
        if slots <= creator_target - len(creator_count):
            new = feasible & ~picked_creator
            if new.any():
                feasible = new
        if slots <= fresh_target - n_fresh:
            fresh_ok = feasible & fresh
            if fresh_ok.any():
                feasible = fresh_ok
        # Array methods, not the np.* functions: their dispatch is a third of the cost of
        # these calls on a few hundred rows, twenty times a page.
        first = int(feasible.argmax())  # the first: `order` is by utility already
        if not feasible[first]:
            break
        pick = first
        if ranker.diversity and picks:
            # Relevance never rises along `order`: the best feasible relevance is the
            # first feasible row's, and the rows within the floor of it are a prefix.
            floor = relevance_of[first] - surface.relevance_floor
            within = int(negated_relevance.searchsorted(-floor, side="right"))
            mmr = weighted_relevance[:within] - dissimilarity_weight * similarity[:within]
            # The first candidate with the highest MMR (every MMR value is finite).
            pick = int(np.where(feasible[:within], mmr, -np.inf).argmax())
        picks.append(pick)
        available[pick] = False
        key = creator_of[pick]
        creator_count[key] = creator_count.get(key, 0) + 1
        same_creator = creator == key
        picked_creator |= same_creator
        if creator_count[key] >= surface.per_creator:
            available &= ~same_creator
        for t in topics_of[pick]:
            if t < 0:
                continue
            topic_count[t] = topic_count.get(t, 0) + 1
            if topic_count[t] >= surface.per_topic:
                available &= ~(topics == t).any(axis=1)
        n_limited += int(limited[pick])
        n_fresh += int(fresh[pick])
        last_sensitive = bool(sensitive[pick])
        long_run = long_run + 1 if long_video[pick] else 0
        if ranker.diversity:
            close = embedding @ embedding[pick]
            if space is not None:
                close[space != space[pick]] = 0.0
            np.maximum(similarity, close, out=similarity)
    return SlateResult([int(order[p]) for p in picks], held)


def _mixed_spaces(view: CatalogView, rows: npt.NDArray[np.int64]) -> np.ndarray | None:
    """The embedding space of each row, None when they share one (no cosine to mask:
    the usual case, and a catalog with a single space need not even look)."""
    if len(view.catalog.spaces) == 1 or not len(rows):
        return None
    space: np.ndarray = view.columns["space"].take(rows)
    return space if space.min() != space.max() else None

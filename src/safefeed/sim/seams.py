"""Trivial in-memory recommenders for testing the simulator's own machinery.

These are test seams, not rankers: they have no safety logic, no personalization
and no place in a comparison of objectives. Real runs go through the feed engine
bound in `safefeed.sim.rankers`. `PopularityRecommender` serves a random draw from
the items with the most raw (bot-inflated) recent watch time, which is enough to
exercise the feedback loop; `RandomRecommender` serves uniformly random items.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from safefeed.sim.feedback import StepFeedback
from safefeed.sim.recommender import SimRequest

__all__ = ["PopularityRecommender", "RandomRecommender"]


class _Catalogue:
    """The ids and topics a seam has observed, indexed by publication ordinal."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.topics: list[str] = []
        self.ordinal: dict[str, int] = {}
        self._id_array: NDArray[np.object_] = np.zeros(0, dtype=object)

    def add(self, feedback: StepFeedback) -> None:
        for item in feedback.published:
            self.ordinal[item.content_id] = len(self.ids)
            self.ids.append(item.content_id)
            self.topics.append(item.topic)

    def id_array(self) -> NDArray[np.object_]:
        if self._id_array.size != len(self.ids):
            self._id_array = np.array(self.ids, dtype=object)
        return self._id_array


def _sample_pages(
    rng: np.random.Generator, pool: NDArray[np.int64], n: int, page: int
) -> NDArray[np.int64]:
    """``n`` pages of ``page`` distinct items drawn uniformly from ``pool``."""
    take = min(page, pool.size)
    if take == 0:
        return np.zeros((n, 0), dtype=np.int64)
    keys = rng.random((n, pool.size))
    return pool[np.argpartition(keys, take - 1, axis=1)[:, :take]]


class RandomRecommender:
    """Test seam: uniformly random items; ignores anchors, labels and engagement."""

    def __init__(self, seed: int = 0, name: str = "random") -> None:
        self.name = name
        self._rng = np.random.default_rng(seed)
        self._catalogue = _Catalogue()

    def observe(self, feedback: StepFeedback) -> None:
        """Learns only which ids exist."""
        self._catalogue.add(feedback)

    def recommend(self, requests: Sequence[SimRequest]) -> list[list[str]]:
        """A uniform draw per request."""
        if not requests:
            return []
        n, page = len(self._catalogue.ids), requests[0].page_size
        # Pages come from a fresh random slice of the catalog per call: uniform over calls,
        # and cheap (a per-request draw over the whole catalog dominated small runs).
        pool = self._rng.choice(n, size=min(n, 10 * page), replace=False).astype(np.int64)
        pages = _sample_pages(self._rng, pool, len(requests), page)
        result: list[list[str]] = self._catalogue.id_array()[pages].tolist()
        return result


class PopularityRecommender:
    """Test seam: a random draw from the top ``pool`` items by decayed raw watch time.

    ``related`` requests draw from the top of the anchor's topic. Bot watch time
    counts like anyone's and labels are ignored — on purpose: this is not a ranker.
    """

    def __init__(
        self, seed: int = 0, pool: int = 200, decay: float = 0.7, name: str = "popularity"
    ) -> None:
        self.name = name
        self.pool = pool
        self.decay = decay
        self._rng = np.random.default_rng(seed)
        self._catalogue = _Catalogue()
        self._score: NDArray[np.float64] = np.zeros(0)

    def observe(self, feedback: StepFeedback) -> None:
        """Decay old scores, add this step's watch seconds per item."""
        self._catalogue.add(feedback)
        n = len(self._catalogue.ids)
        grown = np.zeros(n)
        grown[: self._score.size] = self._score * self.decay
        acts = feedback.interactions
        if len(acts):
            grown += np.bincount(acts.item, weights=acts.watch_s, minlength=n)[:n]
        self._score = grown

    def recommend(self, requests: Sequence[SimRequest]) -> list[list[str]]:
        """Home: the global top pool; related: the anchor topic's top pool."""
        if not requests:
            return []
        cat, page = self._catalogue, requests[0].page_size
        n = len(cat.ids)
        noise = self._rng.random(n) * 1e-6  # breaks ties at cold start, seeded
        order = np.argsort(-(self._score[:n] + noise), kind="stable")
        topics = np.array(cat.topics, dtype=object)
        out: list[list[str]] = [[] for _ in requests]
        by_pool: dict[str, list[int]] = {}
        for r, request in enumerate(requests):
            key = "" if request.anchor_id is None else cat.topics[cat.ordinal[request.anchor_id]]
            by_pool.setdefault(key, []).append(r)
        ids = cat.id_array()
        for key, rows in sorted(by_pool.items()):
            candidates = order if key == "" else order[topics[order] == key]
            pages = _sample_pages(self._rng, candidates[: self.pool], len(rows), page)
            for r, items in zip(rows, ids[pages].tolist(), strict=True):
                out[r] = items
        return out

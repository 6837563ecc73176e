"""Creators and their content as arrays: topic, quality, duration, latent extremeness.

Extremeness is the world's ground truth and is never shown to a recommender:
at or above ``harmful_threshold`` an item is harmful, in the band below it
borderline. What the platform knows is the label (``policy``), set by the
classifier and moderators with the coverage, lag and error rates of the config.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from safefeed.sim.config import SimConfig

__all__ = ["LABEL_HARMFUL", "LABEL_LIMITED", "LABEL_NONE", "TRUTH_LABELS", "Catalog"]

#: What a path audit of a simulated catalog sees (`Catalog.truth_labels`).
TRUTH_LABELS = ("mainstream", "borderline", "harmful")

#: ``Catalog.label`` values: what the platform believes, not what is true.
LABEL_NONE, LABEL_LIMITED, LABEL_HARMFUL = 0, 1, 2


def _grow(array: NDArray[np.generic], size: int) -> NDArray[np.generic]:
    if array.shape[0] >= size:
        return array
    bigger = np.zeros(max(size, 2 * array.shape[0]), dtype=array.dtype)
    bigger[: array.shape[0]] = array
    return bigger


@dataclass
class Catalog:
    """Creators (prefix ``creator_``) and items, with room to grow.

    Only the first ``n_items`` / ``n_creators`` rows are live.
    """

    config: SimConfig
    creator_topic: NDArray[np.int64]
    creator_quality: NDArray[np.float64]
    creator_extremeness: NDArray[np.float64]
    creator_joined: NDArray[np.int64]
    topic: NDArray[np.int64]
    creator: NDArray[np.int64]
    quality: NDArray[np.float64]
    extremeness: NDArray[np.float64]
    duration_s: NDArray[np.float64]
    published: NDArray[np.int64]
    label: NDArray[np.int8]
    classified: NDArray[np.bool_]
    reports: NDArray[np.int64]
    reviewed: NDArray[np.bool_]
    #: The pre-screen classifier's score per item (NaN where it did not run).
    prescreen: NDArray[np.float64]
    n_creators: int = 0
    n_items: int = 0

    @classmethod
    def create(cls, config: SimConfig, rng: np.random.Generator) -> Catalog:
        """The initial creators and items; items are backdated past the label lag."""
        c_cap = config.creators + config.new_creators_per_step * config.steps
        i_cap = config.initial_items + config.items_per_step * config.steps
        catalog = cls(
            config=config,
            creator_topic=np.zeros(c_cap, dtype=np.int64),
            creator_quality=np.zeros(c_cap),
            creator_extremeness=np.zeros(c_cap),
            creator_joined=np.zeros(c_cap, dtype=np.int64),
            topic=np.zeros(i_cap, dtype=np.int64),
            creator=np.zeros(i_cap, dtype=np.int64),
            quality=np.zeros(i_cap),
            extremeness=np.zeros(i_cap),
            duration_s=np.zeros(i_cap),
            published=np.zeros(i_cap, dtype=np.int64),
            label=np.zeros(i_cap, dtype=np.int8),
            classified=np.zeros(i_cap, dtype=np.bool_),
            reports=np.zeros(i_cap, dtype=np.int64),
            reviewed=np.zeros(i_cap, dtype=np.bool_),
            prescreen=np.full(i_cap, np.nan),
        )
        # Established creators: joined long before the run, so none count as new.
        catalog.add_creators(rng, config.creators, joined=-(10 * config.new_creator_window + 1))
        catalog.publish(rng, config.initial_items, step=-(config.label_lag + 1))
        return catalog

    def add_creators(self, rng: np.random.Generator, count: int, joined: int) -> NDArray[np.int64]:
        """Add ``count`` creators; returns their ordinals."""
        cfg, start = self.config, self.n_creators
        end = start + count
        for name in ("creator_topic", "creator_quality", "creator_extremeness", "creator_joined"):
            setattr(self, name, _grow(getattr(self, name), end))
        edgy = rng.random(count) < cfg.edgy_creator_share
        self.creator_topic[start:end] = rng.integers(0, cfg.topics, size=count)
        self.creator_quality[start:end] = rng.beta(4.0, 3.0, size=count)
        self.creator_extremeness[start:end] = np.where(
            edgy, rng.beta(6.0, 3.0, size=count), rng.beta(2.0, 9.0, size=count)
        )
        self.creator_joined[start:end] = joined
        self.n_creators = end
        return np.arange(start, end, dtype=np.int64)

    def publish(self, rng: np.random.Generator, count: int, step: int) -> NDArray[np.int64]:
        """Creators publish ``count`` items; returns their ordinals."""
        start = self.n_items
        end = start + count
        for name in (
            "topic",
            "creator",
            "quality",
            "extremeness",
            "duration_s",
            "published",
            "label",
            "classified",
            "reports",
            "reviewed",
        ):
            setattr(self, name, _grow(getattr(self, name), end))
        if self.prescreen.shape[0] < end:
            grown = np.full(max(end, 2 * self.prescreen.shape[0]), np.nan)
            grown[: self.prescreen.shape[0]] = self.prescreen
            self.prescreen = grown
        creators = rng.integers(0, self.n_creators, size=count)
        # Creators mostly stay on their topic; some posts wander.
        wander = rng.random(count) < 0.15
        topic = np.where(
            wander, rng.integers(0, self.config.topics, size=count), self.creator_topic[creators]
        )
        self.creator[start:end] = creators
        self.topic[start:end] = topic
        self.quality[start:end] = np.clip(
            self.creator_quality[creators] + rng.normal(0.0, 0.1, count), 0.0, 1.0
        )
        self.extremeness[start:end] = np.clip(
            self.creator_extremeness[creators] + rng.normal(0.0, 0.08, count), 0.0, 1.0
        )
        self.duration_s[start:end] = rng.lognormal(
            np.log(self.config.mean_duration_s) - 0.18, 0.6, count
        )
        self.published[start:end] = step
        self.n_items = end
        return np.arange(start, end, dtype=np.int64)

    def escalate(self, opened: NDArray[np.int64]) -> None:
        """Edgy creators whose content was opened move up the axis with their audience.

        ``opened`` are the items opened this step (one entry per open). The step is
        proportional to how far the creator's opens exceed the average creator's and to
        the room left below 1, so an audience-rewarded edgy creator drifts toward harm
        while one the feed does not amplify stays put.
        """
        cfg, n = self.config, self.n_creators
        if cfg.creator_escalation == 0.0 or opened.size == 0:
            return
        opens = np.bincount(self.creator[opened], minlength=n)[:n].astype(np.float64)
        # Only an audience above the average creator's is a reward to chase: a feed that
        # does not favour edgy creators (random pages, say) leaves them where they are.
        gain = np.minimum(opens / (opens.sum() / n), cfg.escalation_cap) - 1.0
        x = self.creator_extremeness[:n]
        rewarded = (x >= cfg.escalation_floor) & (gain > 0.0)
        x[rewarded] += cfg.creator_escalation * gain[rewarded] * (1.0 - x[rewarded])

    def harmful(self, items: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Ground truth: is each item harmful?"""
        return self.extremeness[items] >= self.config.harmful_threshold

    def borderline(self, items: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Ground truth: is each item in the borderline band?"""
        x = self.extremeness[items]
        return (x >= self.config.borderline_threshold) & (x < self.config.harmful_threshold)

    def truth_labels(self) -> NDArray[np.str_]:
        """``mainstream`` / ``borderline`` / ``harmful`` per live item (for path audits)."""
        items = np.arange(self.n_items, dtype=np.int64)
        mainstream, borderline, harmful = TRUTH_LABELS
        labels = np.full(self.n_items, mainstream, dtype="<U10")
        labels[self.borderline(items)] = borderline
        labels[self.harmful(items)] = harmful
        return labels

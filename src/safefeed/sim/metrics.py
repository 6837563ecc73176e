"""Per-step series and run totals of what a ranking objective does to people.

`MetricsRecorder` is fed the world's arrays after every step and keeps only
counters (and, for homogenization, the consumption of a fixed sample of user
pairs), so memory stays flat however long the run. Definitions:

- ``harmful_exposure_rate`` / ``borderline_exposure_rate``: share of feed
  impressions (bots excluded) whose true extremeness is harmful / borderline.
- ``watch_time``: minutes watched per *starting* user, so users who left count as
  zero — long-term return is part of it. ``watch_time_per_session`` too.
- ``open_rate``, ``opens``, ``satisfied_sessions`` (share of sessions with at least
  one open and no regret or hide), ``reports_per_1k_sessions``, ``hides_per_1k_sessions``.
- ``extremeness_mean`` / ``extremeness_p95``: users' positions (those who left keep
  their last); ``extremeness_drift`` / ``extremeness_p95_drift``: change since start.
- ``topic_diversity``: mean normalized entropy of each user's consumed topics.
- ``creator_gini``: Gini of impressions over all creators; ``new_creator_exposure``:
  share of impressions going to creators who joined within ``new_creator_window`` steps.
- ``retention``: share of users who have not left.
- ``homogenization``: mean Jaccard similarity of the items consumed by fixed random
  pairs of users (Chaney et al. 2018; T-RECS ``InteractionSimilarity``).
- ``reach_reviews`` / ``reach_reviews_harmful`` / ``reach_reviews_missed`` (totals): items
  the moderators took from the platform's review queue, how many of them were harmful,
  and how many of those they wrongly cleared (``moderator_error_rate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from safefeed.sim.catalog import LABEL_HARMFUL, Catalog
from safefeed.sim.config import SimConfig
from safefeed.sim.engagement import PageResponse
from safefeed.sim.population import Population
from safefeed.sim.stats import gini, jaccard, normalized_entropy

__all__ = ["RANGES", "REQUIRED_KEYS", "SERIES_KEYS", "TOTAL_KEYS", "MetricsRecorder"]

#: Keys the DESIGN contract requires in both ``series`` and ``totals``.
REQUIRED_KEYS: tuple[str, ...] = (
    "harmful_exposure_rate",
    "borderline_exposure_rate",
    "watch_time",
    "reports_per_1k_sessions",
    "hides_per_1k_sessions",
    "extremeness_mean",
    "topic_diversity",
    "creator_gini",
)

SERIES_KEYS: tuple[str, ...] = (
    *REQUIRED_KEYS,
    "impressions",
    "sessions",
    "opens",
    "open_rate",
    "watch_time_per_session",
    "satisfied_sessions",
    "extremeness_p95",
    "new_creator_exposure",
    "retention",
    "homogenization",
)

TOTAL_KEYS: tuple[str, ...] = (
    *SERIES_KEYS,
    "harmful_exposure_rate_first",
    "harmful_exposure_rate_last",
    "harmful_exposure_rate_max",
    "extremeness_drift",
    "extremeness_p95_drift",
    "reach_reviews",
    "reach_reviews_harmful",
    "reach_reviews_missed",
)


_SHARES = (
    "harmful_exposure_rate",
    "harmful_exposure_rate_first",
    "harmful_exposure_rate_last",
    "harmful_exposure_rate_max",
    "borderline_exposure_rate",
    "extremeness_mean",
    "extremeness_p95",
    "topic_diversity",
    "creator_gini",
    "open_rate",
    "satisfied_sessions",
    "new_creator_exposure",
    "retention",
    "homogenization",
)
_DRIFTS = ("extremeness_drift", "extremeness_p95_drift")

#: The range each metric can take (``None``: unbounded that way); intervals over seeds
#: are cut to it. Shares and positions on the extremeness axis lie in [0, 1], drifts in
#: [-1, 1], everything else (times, rates per 1k sessions, counts) is non-negative.
RANGES: dict[str, tuple[float | None, float | None]] = {
    key: (0.0, 1.0) if key in _SHARES else (-1.0, 1.0) if key in _DRIFTS else (0.0, None)
    for key in TOTAL_KEYS
}


def _nanmean(values: NDArray[np.float64]) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else 0.0


@dataclass
class _Counts:
    impressions: int = 0
    harmful: int = 0
    borderline: int = 0
    sessions: int = 0
    opens: int = 0
    satisfied: int = 0
    reports: int = 0
    hides: int = 0
    watch_s: float = 0.0
    new_creator: int = 0
    reach_reviews: int = 0
    reach_reviews_harmful: int = 0
    reach_reviews_missed: int = 0


@dataclass
class MetricsRecorder:
    """Accumulates the series and totals of one run."""

    config: SimConfig
    pairs: NDArray[np.int64]
    initial_mean: float
    initial_p95: float
    series: dict[str, list[float]] = field(default_factory=dict)
    _totals: _Counts = field(default_factory=_Counts)
    _creator_impressions: NDArray[np.int64] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64)
    )
    _pair_items: dict[int, set[int]] = field(default_factory=dict)

    @classmethod
    def start(
        cls, config: SimConfig, population: Population, rng: np.random.Generator
    ) -> MetricsRecorder:
        """A recorder with its user pairs drawn (fixed for the run)."""
        n_pairs = min(config.homogenization_pairs, population.size // 2)
        chosen = rng.choice(population.size, size=2 * n_pairs, replace=False)
        return cls(
            config=config,
            pairs=chosen.reshape(n_pairs, 2).astype(np.int64),
            initial_mean=float(population.position.mean()),
            initial_p95=float(np.percentile(population.position, 95)),
            series={key: [] for key in SERIES_KEYS},
        )

    def record(
        self,
        step: int,
        users: NDArray[np.int64],
        items: NDArray[np.int64],
        response: PageResponse,
        catalog: Catalog,
        population: Population,
    ) -> None:
        """Add one step: ``users`` had sessions, ``items`` is their pages (-1 unserved)."""
        cfg, tot = self.config, self._totals
        served = items[response.valid]
        n_imp, n_sess = int(served.size), int(users.size)
        harmful = int(catalog.harmful(served).sum())
        borderline = int(catalog.borderline(served).sum())
        creators = catalog.creator[served]
        counts = np.bincount(creators, minlength=catalog.n_creators)
        if self._creator_impressions.size < counts.size:
            grown = np.zeros(counts.size, dtype=np.int64)
            grown[: self._creator_impressions.size] = self._creator_impressions
            self._creator_impressions = grown
        self._creator_impressions += counts
        new = int((catalog.creator_joined[creators] > step - cfg.new_creator_window).sum())
        opened = response.opened
        n_open = int(opened.sum())
        watch_s = float(response.watch_s.sum())
        regretted = (response.regret | response.hidden).any(axis=1)
        satisfied = int((opened.any(axis=1) & ~regretted).sum())
        reports, hides = int(response.reported.sum()), int(response.hidden.sum())

        tot.impressions += n_imp
        tot.harmful += harmful
        tot.borderline += borderline
        tot.sessions += n_sess
        tot.opens += n_open
        tot.satisfied += satisfied
        tot.reports += reports
        tot.hides += hides
        tot.watch_s += watch_s
        tot.new_creator += new

        step_topics = np.zeros((n_sess, cfg.topics))
        rows = np.broadcast_to(np.arange(n_sess)[:, None], items.shape)
        np.add.at(step_topics, (rows[opened], catalog.topic[items[opened]]), 1.0)

        s = self.series
        s["impressions"].append(float(n_imp))
        s["sessions"].append(float(n_sess))
        s["harmful_exposure_rate"].append(harmful / n_imp if n_imp else 0.0)
        s["borderline_exposure_rate"].append(borderline / n_imp if n_imp else 0.0)
        s["watch_time"].append(watch_s / 60.0 / cfg.users)
        s["watch_time_per_session"].append(watch_s / 60.0 / n_sess if n_sess else 0.0)
        s["opens"].append(float(n_open))
        s["open_rate"].append(n_open / n_imp if n_imp else 0.0)
        s["satisfied_sessions"].append(satisfied / n_sess if n_sess else 0.0)
        s["reports_per_1k_sessions"].append(1000.0 * reports / n_sess if n_sess else 0.0)
        s["hides_per_1k_sessions"].append(1000.0 * hides / n_sess if n_sess else 0.0)
        s["extremeness_mean"].append(float(population.position.mean()))
        s["extremeness_p95"].append(float(np.percentile(population.position, 95)))
        s["topic_diversity"].append(_nanmean(normalized_entropy(step_topics)))
        s["creator_gini"].append(gini(counts))
        s["new_creator_exposure"].append(new / n_imp if n_imp else 0.0)
        s["retention"].append(float(population.active.mean()))
        s["homogenization"].append(self._homogenization(users, items, opened))

    def reviewed(self, items: NDArray[np.int64], catalog: Catalog) -> None:
        """Count the items moderators took from the platform's review queue (decided:
        their labels in ``catalog`` are the moderators')."""
        harmful = catalog.harmful(items)
        self._totals.reach_reviews += int(items.size)
        self._totals.reach_reviews_harmful += int(harmful.sum())
        self._totals.reach_reviews_missed += int(
            (harmful & (catalog.label[items] != LABEL_HARMFUL)).sum()
        )

    def _homogenization(
        self, users: NDArray[np.int64], items: NDArray[np.int64], opened: NDArray[np.bool_]
    ) -> float:
        if self.pairs.size == 0:
            return 0.0
        row_of = {int(u): r for r, u in enumerate(users)}
        step_sets: dict[int, set[int]] = {}
        for user in self.pairs.ravel().tolist():
            row = row_of.get(user)
            consumed = set(items[row][opened[row]].tolist()) if row is not None else set()
            step_sets[user] = consumed
            self._pair_items.setdefault(user, set()).update(consumed)
        values = np.array([jaccard(step_sets[a], step_sets[b]) for a, b in self.pairs.tolist()])
        return _nanmean(values)

    def totals(self, population: Population) -> dict[str, float]:
        """The run's totals (rates over all impressions and sessions, final user states)."""
        t, s = self._totals, self.series
        harmful = s["harmful_exposure_rate"]
        pair_values = np.array(
            [
                jaccard(self._pair_items.get(a, set()), self._pair_items.get(b, set()))
                for a, b in self.pairs.tolist()
            ]
        )
        final_mean = float(population.position.mean())
        final_p95 = float(np.percentile(population.position, 95))
        return {
            "harmful_exposure_rate": t.harmful / t.impressions if t.impressions else 0.0,
            "borderline_exposure_rate": t.borderline / t.impressions if t.impressions else 0.0,
            "watch_time": t.watch_s / 60.0 / self.config.users,
            "reports_per_1k_sessions": 1000.0 * t.reports / t.sessions if t.sessions else 0.0,
            "hides_per_1k_sessions": 1000.0 * t.hides / t.sessions if t.sessions else 0.0,
            "extremeness_mean": final_mean,
            "topic_diversity": _nanmean(normalized_entropy(population.consumed_topics)),
            "creator_gini": gini(self._creator_impressions),
            "impressions": float(t.impressions),
            "sessions": float(t.sessions),
            "opens": float(t.opens),
            "open_rate": t.opens / t.impressions if t.impressions else 0.0,
            "watch_time_per_session": t.watch_s / 60.0 / t.sessions if t.sessions else 0.0,
            "satisfied_sessions": t.satisfied / t.sessions if t.sessions else 0.0,
            "extremeness_p95": final_p95,
            "new_creator_exposure": t.new_creator / t.impressions if t.impressions else 0.0,
            "retention": float(population.active.mean()),
            "homogenization": _nanmean(pair_values) if pair_values.size else 0.0,
            "harmful_exposure_rate_first": harmful[0] if harmful else 0.0,
            "harmful_exposure_rate_last": harmful[-1] if harmful else 0.0,
            "harmful_exposure_rate_max": max(harmful) if harmful else 0.0,
            "extremeness_drift": final_mean - self.initial_mean,
            "extremeness_p95_drift": final_p95 - self.initial_p95,
            "reach_reviews": float(t.reach_reviews),
            "reach_reviews_harmful": float(t.reach_reviews_harmful),
            "reach_reviews_missed": float(t.reach_reviews_missed),
        }

"""Lists derived from the catalog for the candidate sources: items per topic and per
creator, the trust-weighted trending order, new-creator exploration items and the
evergreen fallback. Rebuilt when the catalog changes (and trending as it decays)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safefeed.feed.catalog.columns import NO_EXPIRY, CatalogView
from safefeed.feed.catalog.estimates import estimates, freshness
from safefeed.feed.config import FeedConfig

__all__ = ["PER_CREATOR", "PER_TOPIC", "DerivedLists", "build_lists"]

Rows = npt.NDArray[np.int64]
#: Longest list kept per topic and per creator: sources take from the head.
PER_TOPIC = 3000
PER_CREATOR = 50
_DAY_US = 24 * 3600 * 1_000_000


@dataclass(frozen=True, slots=True)
class DerivedLists:
    """Row lists, best first, built from one catalog view at ``built_us``."""

    revision: int
    built_us: int
    by_topic: dict[int, Rows]
    by_creator: dict[int, Rows]
    trending: Rows
    cooled_down: Rows
    exploration: Rows
    fallback: Rows


def _grouped(
    keys: npt.NDArray[np.int64], rows: Rows, score: npt.NDArray[np.float64], limit: int
) -> dict[int, Rows]:
    if len(rows) == 0:
        return {}
    order = np.lexsort((-score, keys))
    keys, rows = keys[order], rows[order]
    bounds = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(keys)]))
    return {
        int(keys[s]): rows[s : min(e, s + limit)].copy() for s, e in zip(starts, ends, strict=True)
    }


def build_lists(view: CatalogView, config: FeedConfig, now_us: int) -> DerivedLists:
    """Every derived list for ``view`` as of ``now_us``."""
    c = view.columns
    n = view.n
    rows = np.arange(n, dtype=np.int64)
    live = c["live"] & (c["expires_us"] > now_us)
    at_rows = view.at(rows)
    est = estimates(at_rows, trust_weighting=True)
    topic_names = view.topic_names
    news = topic_names.index("news") if "news" in topic_names else None
    fresh = freshness(at_rows, now_us, config.freshness_half_life_hours, news)
    quality = c["quality"].astype(np.float64)
    prior = (quality + 2.0 * est["p_open"] - 10.0 * est["p_report"]) * (0.3 + 0.7 * fresh)

    topics = c["topics"]
    pairs_rows = np.repeat(rows, topics.shape[1]) if n else rows
    pairs_topics = topics.reshape(-1).astype(np.int64)
    keep = (pairs_topics >= 0) & live[pairs_rows] if n else np.zeros(0, bool)
    by_topic = _grouped(pairs_topics[keep], pairs_rows[keep], prior[pairs_rows[keep]], PER_TOPIC)
    by_creator = _grouped(
        c["creator"][live].astype(np.int64),
        rows[live],
        c["published_us"][live].astype(np.float64),
        PER_CREATOR,
    )

    t = config.trending
    hours = np.maximum(0, now_us - c["velocity_us"]) / 3.6e9
    velocity = c["velocity"] * 0.5**hours  # one-hour half-life, as the consumer keeps it
    # Trust-weighted positive engagement, penalized by hides and reports, decayed by
    # age: never raw counts.
    positive = c["w_opens"] + 2.0 * c["w_saves"] + c["w_likes"] + c["w_dwell_ratio"]
    negative = 5.0 * c["w_hides"] + 25.0 * c["w_reports"]
    age_h = np.maximum(0, now_us - c["published_us"]) / 3.6e9
    trend = (positive - negative + 5.0 * velocity) * 0.5 ** (age_h / t.half_life_hours)
    anomaly = (velocity > t.anomaly_velocity) & (c["low_trust_share"] > t.anomaly_low_trust_share)
    eligible = (
        live
        & (quality >= t.quality_floor)
        & (est["p_report"] <= t.max_report_rate)
        & (est["p_hide"] <= t.max_hide_rate)
        & (trend > 0)
    )
    cooled = rows[eligible & anomaly]
    eligible &= ~anomaly
    pool = rows[eligible]
    trending = pool[np.argsort(-trend[pool], kind="stable")][: t.pool]

    e = config.exploration
    cc = view.creator_columns
    creator = c["creator"]
    first = cc["c_first_us"][creator] if len(cc["c_first_us"]) else np.zeros(n, np.int64)
    c_impr = cc["c_w_impressions"][creator] if n else np.zeros(0)
    c_neg = cc["c_w_negative"][creator] if n else np.zeros(0)
    negative_rate = c_neg / np.maximum(c_impr, 1.0)
    trust = 1.0 - c["low_trust_share"]
    explore = (
        live
        & (now_us - first < e.new_creator_days * _DAY_US)
        & (quality >= e.quality_floor)
        & (trust >= e.trust_floor)
        & (c_impr < e.exposure_budget)
        & (negative_rate <= e.max_negative_rate)
    )
    candidates = rows[explore]
    exploration = candidates[np.argsort(-quality[candidates], kind="stable")][:2000]

    f = config.fallback
    evergreen = (
        live
        & (c["expires_us"] == NO_EXPIRY)
        & (quality >= f.quality_floor)
        & (est["p_report"] <= f.max_report_rate)
    )
    if news is not None:
        evergreen &= ~(topics == news).any(axis=1)
    pool = rows[evergreen]
    fallback = pool[np.argsort(-(quality[pool] + est["p_open"][pool]), kind="stable")][: f.size]
    return DerivedLists(
        revision=view.revision,
        built_us=now_us,
        by_topic=by_topic,
        by_creator=by_creator,
        trending=trending,
        cooled_down=cooled,
        exploration=exploration,
        fallback=fallback,
    )

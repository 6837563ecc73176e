"""Smoothed per-item estimates from engagement statistics, and freshness by format.

Each rate is a Beta-smoothed ratio ``(events + prior_mean * strength) / (exposures
+ strength)``: a new item starts at the prior and earns its own rate as evidence
arrives. With trust weighting (the default) counts are trust-weighted, so fresh
accounts and bursts of scripted engagement barely move them.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from safefeed.feed.catalog.columns import FORMATS, RowColumns, row_sums
from safefeed.feed.catalog.dwell import expected_dwell_s

__all__ = ["PRIORS", "estimates", "freshness", "probability", "smoothed"]

Floats = npt.NDArray[np.float64]
Rows = npt.NDArray[np.int64]

#: (prior mean, prior strength in exposures) per estimated rate.
PRIORS: dict[str, tuple[float, float]] = {
    "open": (0.10, 20.0),
    "dwell": (0.60, 5.0),
    "save": (0.01, 50.0),
    "like": (0.05, 50.0),
    "hide": (0.02, 50.0),
    "report": (0.002, 200.0),
}


def smoothed(events: npt.ArrayLike, exposures: npt.ArrayLike, prior: str) -> Floats:
    """The smoothed rate of ``events`` per exposure.

    >>> smoothed([0.0, 50.0], [0.0, 100.0], "open").round(3).tolist()
    [0.1, 0.433]
    """
    mean, strength = PRIORS[prior]
    e = np.asarray(events, dtype=np.float64)
    n = np.asarray(exposures, dtype=np.float64)
    return (e + mean * strength) / (n + strength)


def probability(events: npt.ArrayLike, exposures: npt.ArrayLike, prior: str) -> Floats:
    """A smoothed per-exposure probability, never above 1.

    Events can outnumber logged exposures (an item opened from a shared link, or a
    watch farm replaying it without impressions); counting them past the exposures
    would make such items look better than certain — exactly the items a ranker must
    not be fooled by.

    >>> probability([500.0], [100.0], "open").round(3).tolist()
    [0.85]
    """
    n = np.asarray(exposures, dtype=np.float64)
    return smoothed(np.minimum(np.asarray(events, dtype=np.float64), n), n, prior)


def estimates(c: RowColumns, *, trust_weighting: bool = True) -> dict[str, Floats]:
    """Per-row estimates: p_open, sat_dwell, p_save, p_like, p_hide, p_report, and
    expected watch seconds per impression (what the engagement-only baseline maximizes;
    from raw dwell seconds without trust weighting, from trusted dwell with it)."""
    w = "w_" if trust_weighting else "n_"
    impressions = c[f"{w}impressions"]
    opens = c[f"{w}opens"]
    p_open = probability(opens, impressions, "open")
    sat_dwell = smoothed(c["w_dwell_ratio"], c["w_dwells"], "dwell")
    duration = c["duration"]
    if trust_weighting:
        # Seconds per open from the trust-weighted normalized dwell: a watch farm looping
        # an item in full inflates raw seconds, not what trusted viewers spend on it.
        seconds_per_open = sat_dwell * expected_dwell_s(duration)
    else:
        # Raw seconds watched per open, smoothed toward the expected dwell of the length.
        seconds_per_open = (c["n_dwell_s"] + 5.0 * expected_dwell_s(duration)) / (
            c["n_opens"] + 5.0
        )
    return {
        "p_open": p_open,
        "sat_dwell": sat_dwell,
        "p_save": probability(c["w_saves"], c["w_impressions"], "save"),
        "p_like": probability(c["w_likes"], c["w_impressions"], "like"),
        # Risk is not capped at the exposures: hides and reports beyond them (shared
        # links, embeds) are evidence too, and overestimating risk fails safe.
        "p_hide": np.minimum(smoothed(c[f"{w}hides"], impressions, "hide"), 1.0),
        "p_report": np.minimum(smoothed(c[f"{w}reports"], impressions, "report"), 1.0),
        "watch_time": p_open * seconds_per_open,
    }


def freshness(
    c: RowColumns,
    now_us: int,
    half_life_hours: dict[str, float],
    news_topic: int | None,
) -> Floats:
    """Exponential freshness in (0, 1] with a half-life per format (news decays fastest).

    The ``news`` entry of ``half_life_hours`` applies to items on the news topic,
    whatever their format."""
    table = np.array([half_life_hours.get(f, 72.0) for f in FORMATS], dtype=np.float64)
    half_life = table[c["format"]]
    if news_topic is not None and "news" in half_life_hours:
        is_news = row_sums(c["topics"] == news_topic) > 0
        half_life = np.where(is_news, half_life_hours["news"], half_life)
    age_h = np.maximum(0, now_us - c["published_us"]) / 3.6e9
    return np.asarray(0.5 ** (age_h / half_life), dtype=np.float64)

"""Risk before an item's own evidence: the creator prior and the early-report hold.

A fresh item has no hides or reports of its own, so its smoothed estimates sit at
the platform-wide prior — exactly the window in which a harmful upload the
classifier has not labelled yet does its damage. Two general mechanisms close it:

- **Creator prior.** An item's hide and report estimates shrink toward its
  creator's trust-weighted negative-feedback rate (hides + 2 x reports per
  impression over all their items) instead of the platform's, until the item has
  evidence of its own. A creator with no track record counts as ``unknown_creator_ratio``
  times the platform's rate, so new accounts do not start with a clean slate.
- **Early-report hold.** An item whose trust-weighted reports reach
  ``hold_min_reports`` and ``hold_report_rate`` of its trust-weighted impressions
  is held from recommendation (a hard constraint, like ``max_p_report``, that
  reacts to the first few reports rather than waiting for the smoothed estimate
  to climb). It is reversible: reports decay with nothing, but a moderator's
  decision sets the item's policy state, which the gate applies.

Both read only the catalog's trust-weighted statistics, so bots and fresh accounts
barely move them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safefeed.feed.catalog.columns import RowColumns
from safefeed.feed.catalog.estimates import PRIORS, Floats
from safefeed.feed.config import PriorRiskSettings

__all__ = ["PriorRisk", "creator_ratio", "prior_risk"]

#: Platform-wide negative-feedback rate per impression implied by the priors.
_BASE_NEGATIVE = PRIORS["hide"][0] + 2.0 * PRIORS["report"][0]


@dataclass(frozen=True, slots=True)
class PriorRisk:
    """Per row: hide and report estimates with the creator prior, and the hold mask."""

    p_hide: Floats
    p_report: Floats
    held: npt.NDArray[np.bool_]


def creator_ratio(negative: Floats, impressions: Floats, settings: PriorRiskSettings) -> Floats:
    """A creator's negative-feedback rate relative to the platform's, smoothed.

    With no impressions it is ``unknown_creator_ratio``; with many, the creator's
    own rate over the platform's.

    >>> from safefeed.feed.config import default_feed_config
    >>> s = default_feed_config().prior_risk
    >>> creator_ratio(np.array([0.0, 24.0, 240.0]), np.array([0.0, 1000.0, 1000.0]), s).round(2)
    array([1.5 , 1.08, 8.58])
    """
    k = settings.creator_strength
    rate = (negative + _BASE_NEGATIVE * settings.unknown_creator_ratio * k) / (impressions + k)
    return np.asarray(rate / _BASE_NEGATIVE, dtype=np.float64)


def prior_risk(c: RowColumns, settings: PriorRiskSettings, *, trust_weighting: bool) -> PriorRisk:
    """Hide and report estimates of the rows of ``c`` smoothed toward their creator's record."""
    w = "w_" if trust_weighting else "n_"
    if len(c.view.creator_columns["c_w_impressions"]):
        ratio = creator_ratio(
            c.creator("c_w_negative").astype(np.float64),
            c.creator("c_w_impressions").astype(np.float64),
            settings,
        )
    else:
        ratio = np.full(len(c), settings.unknown_creator_ratio)
    impressions = c[f"{w}impressions"].astype(np.float64)
    out = {}
    for name in ("hide", "report"):
        mean, strength = PRIORS[name]
        events = c[f"{w}{name}s"].astype(np.float64)
        out[name] = (events + mean * ratio * strength) / (impressions + strength)
    reports = c["w_reports"].astype(np.float64)
    own_impressions = np.maximum(c["w_impressions"].astype(np.float64), 1.0)
    held = (reports >= settings.hold_min_reports) & (
        reports / own_impressions >= settings.hold_report_rate
    )
    return PriorRisk(
        p_hide=np.asarray(out["hide"], dtype=np.float64),
        p_report=np.asarray(out["report"], dtype=np.float64),
        held=held,
    )

"""How simulated users respond to a page: opens, watch time, likes, regret, hides, reports.

The model encodes the incident's mechanism. Extreme content is more clickable and
holds attention longer (``sensational_pull``, ``sensational_watch``) as long as it
is not too far above the user's own position (``tolerance``,
``distance_penalty``) — so a feed that feeds the pull moves users up the axis and
then finds even more extreme content engaging. But for everyone except a small
affine minority, extremeness also brings regret (quadratic in extremeness), and
regret brings hides, reports and, through satisfaction, fewer returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from safefeed.sim.catalog import Catalog
from safefeed.sim.config import SimConfig
from safefeed.sim.population import Population

__all__ = ["PageResponse", "respond", "sigmoid"]


def sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The logistic function.

    >>> import numpy as np
    >>> sigmoid(np.array([0.0, 100.0])).round(3).tolist()
    [0.5, 1.0]
    """
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # tanh form: no overflow warnings at large |x|


@dataclass(frozen=True)
class PageResponse:
    """Per-slot outcomes, shape ``(sessions, page)``; ``valid`` marks served slots."""

    valid: NDArray[np.bool_]
    opened: NDArray[np.bool_]
    completion: NDArray[np.float64]
    watch_s: NDArray[np.float64]
    liked: NDArray[np.bool_]
    regret: NDArray[np.bool_]
    hidden: NDArray[np.bool_]
    reported: NDArray[np.bool_]


def respond(
    rng: np.random.Generator,
    config: SimConfig,
    population: Population,
    catalog: Catalog,
    users: NDArray[np.int64],
    items: NDArray[np.int64],
) -> PageResponse:
    """Draw each user's response to their page.

    ``users`` has shape ``(n,)``; ``items`` ``(n, page)`` with -1 in unserved slots.
    """
    cfg = config
    valid = items >= 0
    safe = np.where(valid, items, 0)
    x = catalog.extremeness[safe]
    quality = catalog.quality[safe]
    interest = population.interest[users]
    # Relative interest: 1 for the user's favourite topic, near 0 for ignored ones.
    match = np.take_along_axis(interest, catalog.topic[safe], axis=1) / interest.max(
        axis=1, keepdims=True
    )
    position = population.position[users][:, None]
    too_far = np.maximum(0.0, x - position - cfg.tolerance)
    slot = np.arange(items.shape[1], dtype=np.float64)[None, :]
    logit = (
        cfg.open_bias
        + cfg.match_weight * match
        + cfg.quality_weight * (quality - 0.5)
        + cfg.sensational_pull * x
        - cfg.distance_penalty * too_far
        - cfg.position_decay * np.log1p(slot)
    )
    shape = items.shape
    opened = valid & (rng.random(shape) < sigmoid(logit))
    completion = np.clip(
        0.2 + 0.35 * match + 0.2 * quality + cfg.sensational_watch * x + rng.normal(0, 0.1, shape),
        0.02,
        1.0,
    )
    completion = np.where(opened, completion, 0.0)
    watch_s = completion * catalog.duration_s[safe]
    affine = population.extreme_affine[users][:, None]
    p_regret = cfg.regret_base + np.where(affine, 0.0, cfg.regret_gain * x * x)
    regret = opened & (rng.random(shape) < p_regret)
    liked = opened & ~regret & (rng.random(shape) < sigmoid(3.0 * completion - 3.0))
    hider = population.hider[users][:, None]
    unwanted = ~opened & (rng.random(shape) < cfg.hide_unwanted * (1.0 - match))
    hidden = valid & hider & ((regret & (rng.random(shape) < cfg.hide_given_regret)) | unwanted)
    harmful = x >= cfg.harmful_threshold
    borderline = (x >= cfg.borderline_threshold) & ~harmful
    p_report = cfg.report_base + cfg.report_harmful * harmful + cfg.report_borderline * borderline
    reporter = population.reporter[users][:, None]
    reported = opened & reporter & ~affine & (rng.random(shape) < p_report)
    return PageResponse(valid, opened, completion, watch_s, liked, regret, hidden, reported)

"""Offline metrics of task models: ranking quality and calibration.

NDCG@K is computed per served request over the items it served, with graded gains
from what the user did; the position-debiased variant weights each gain by the
inverse of the chance its position was examined (estimated from open rates by
position), so a model is not rewarded for agreeing with the order the items were
shown in. AUC, log loss and expected calibration error are per task.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.metrics import log_loss, roc_auc_score

__all__ = ["classification", "ece", "ndcg", "position_propensity"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def ece(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> float:
    """Expected calibration error: mean |observed rate - predicted| over equal-width
    probability bins, weighted by how many predictions fall in each.

    >>> ece([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]), ece([0, 0, 1, 1], [0.05, 0.05, 0.95, 0.95])
    (0.0, 0.05)
    """
    y_ = np.asarray(y, np.float64)
    p_ = np.clip(np.asarray(p, np.float64), 0.0, 1.0)
    which = np.minimum((p_ * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in np.unique(which):
        inside = which == b
        total += inside.sum() * abs(y_[inside].mean() - p_[inside].mean())
    return round(float(total / max(len(y_), 1)), 6)


def classification(y: npt.ArrayLike, p: npt.ArrayLike) -> dict[str, float | None]:
    """AUC, log loss, ECE, mean prediction and base rate of one task's predictions
    (AUC is None when only one class occurs)."""
    y_ = np.asarray(y, np.int64)
    p_ = np.clip(np.asarray(p, np.float64), 1e-6, 1 - 1e-6)
    both = 0 < y_.sum() < len(y_)
    return {
        "auc": round(float(roc_auc_score(y_, p_)), 4) if both else None,
        "log_loss": round(float(log_loss(y_, p_, labels=[0, 1])), 5) if len(y_) else None,
        "ece": ece(y_, p_),
        "mean_prediction": round(float(p_.mean()), 5) if len(y_) else None,
        "base_rate": round(float(y_.mean()), 5) if len(y_) else None,
    }


def position_propensity(
    opened: npt.ArrayLike, position: npt.ArrayLike, floor: float = 0.05
) -> Floats:
    """Relative chance each position is examined: its open rate over position 0's,
    made non-increasing and floored (index = position).

    >>> position_propensity([1, 1, 1, 0, 1, 0, 0, 0], [0, 0, 1, 1, 2, 2, 2, 2]).tolist()
    [1.0, 0.5, 0.25]
    """
    y_ = np.asarray(opened, np.float64)
    pos = np.asarray(position, np.int64)
    size = int(pos.max()) + 1 if len(pos) else 1
    shown = np.bincount(pos, minlength=size).astype(np.float64)
    opens = np.bincount(pos, weights=y_, minlength=size)
    rate = np.where(shown > 0, opens / np.maximum(shown, 1.0), 0.0)
    top = rate[0] if rate[0] > 0 else max(float(rate.max()), 1e-9)
    relative = np.minimum.accumulate(np.clip(rate / top, floor, 1.0))
    return np.asarray(relative, np.float64)


def ndcg(
    request: Ints, scores: Floats, gains: Floats, k: int, weights: Floats | None = None
) -> float:
    """Mean NDCG@k over requests (rows grouped by ``request``), ranking each request's
    rows by ``scores``; ``weights`` multiply the gains (inverse propensities).
    Requests without any gain are left out.

    >>> ndcg(np.array([0, 0, 0]), np.array([3.0, 2.0, 1.0]), np.array([1.0, 0.0, 0.0]), 2)
    1.0
    >>> round(ndcg(np.array([0, 0]), np.array([1.0, 2.0]), np.array([1.0, 0.0]), 2), 3)
    0.631
    """
    g = gains if weights is None else gains * weights
    order = np.lexsort((-scores, request))
    req, g_sorted = request[order], g[order]
    starts = np.flatnonzero(np.r_[True, req[1:] != req[:-1]])
    ends = np.r_[starts[1:], len(req)]
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    values = []
    for start, end in zip(starts, ends, strict=True):
        ranked = g_sorted[start:end]
        ideal = np.sort(ranked)[::-1][:k]
        best = float(ideal @ discount[: len(ideal)])
        if best > 0:
            got = ranked[:k]
            values.append(float(got @ discount[: len(got)]) / best)
    return round(float(np.mean(values)), 4) if values else 0.0

"""The math the metrics are made of: Gini, normalized entropy, Jaccard, t- and Wilson intervals.

Each piece is small, pure and checked by its doctest; `safefeed.sim.metrics`
applies them to the world's arrays.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Interval",
    "gini",
    "jaccard",
    "normalized_entropy",
    "t_interval",
    "t_quantile_975",
    "wilson_interval",
]

# Two-sided 95% Student-t quantiles (0.975) by degrees of freedom: a seed sweep has a
# handful of seeds, so a table is exact where it matters and needs no SciPy.
_T975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
    9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131,
    16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074,
    23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045,
    30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980,
}  # fmt: skip


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom (table, then
    linear in 1/df between rows, 1.960 in the limit).

    >>> t_quantile_975(4)
    2.776
    >>> round(t_quantile_975(50), 3)
    2.008
    >>> round(t_quantile_975(10**9), 2)
    1.96
    """
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df in _T975:
        return _T975[df]
    rows = sorted(_T975)
    upper = next((r for r in rows if r > df), None)
    lower = max(r for r in rows if r < df)
    hi_df, hi_t = (upper, _T975[upper]) if upper is not None else (math.inf, 1.960)
    lo_t = _T975[lower]
    # Quantiles are close to linear in 1/df.
    frac = (1 / lower - 1 / df) / (1 / lower - (0.0 if hi_df == math.inf else 1 / hi_df))
    return lo_t + frac * (hi_t - lo_t)


def gini(values: ArrayLike) -> float:
    """Gini coefficient of non-negative amounts: 0 when equal, (n-1)/n when one holds all.

    >>> gini([1, 1, 1, 1])
    0.0
    >>> gini([0, 0, 0, 4])
    0.75
    >>> round(gini([1, 2, 3, 4]), 4)
    0.25
    >>> gini([0, 0])
    0.0
    """
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    n, total = x.size, float(x.sum())
    if n == 0 or total == 0.0:
        return 0.0
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float(2.0 * np.dot(ranks, x) / (n * total) - (n + 1) / n)


def normalized_entropy(counts: ArrayLike) -> NDArray[np.float64]:
    """Shannon entropy of each row of counts, divided by log(columns): 0 focused, 1 uniform.

    Rows that sum to zero get NaN (no consumption, no diversity to speak of).

    >>> normalized_entropy([[1, 1, 0, 0], [4, 0, 0, 0], [1, 1, 1, 1]]).tolist()
    [0.5, 0.0, 1.0]
    >>> normalized_entropy([[0, 0]]).tolist()
    [nan]
    """
    c = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    totals = c.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = c / totals
        terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    entropy = terms.sum(axis=1) / math.log(c.shape[1])
    return np.where(totals[:, 0] > 0, entropy, np.nan)


def jaccard(a: Iterable[int], b: Iterable[int]) -> float:
    """Jaccard similarity |a ∩ b| / |a ∪ b|; NaN when both are empty.

    >>> jaccard({1, 2}, {2, 3})
    0.3333333333333333
    >>> jaccard([5], [5])
    1.0
    >>> jaccard([], [])
    nan
    """
    sa, sb = set(a), set(b)
    union = len(sa | sb)
    return len(sa & sb) / union if union else math.nan


@dataclass(frozen=True)
class Interval:
    """A mean (over seeds, or a share of trials) with its two-sided 95% interval."""

    mean: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        """JSON form."""
        return {"mean": self.mean, "low": self.low, "high": self.high, "n": self.n}

    def within(self, low: float | None, high: float | None) -> Interval:
        """The interval cut to the range the quantity can take (a share cannot pass 1,
        a count cannot go below 0): the true mean is in both, so coverage holds.

        >>> Interval(0.98, 0.94, 1.02, 5).within(0.0, 1.0)
        Interval(mean=0.98, low=0.94, high=1.0, n=5)
        """
        return Interval(
            self.mean,
            self.low if low is None else max(self.low, low),
            self.high if high is None else min(self.high, high),
            self.n,
        )


def t_interval(values: Sequence[float]) -> Interval:
    """Mean and 95% t-interval of per-seed values; with one value the interval is the point.

    >>> i = t_interval([1.0, 2.0, 3.0])
    >>> (i.mean, round(i.low, 3), round(i.high, 3), i.n)
    (2.0, -0.484, 4.484, 3)
    >>> t_interval([0.5])
    Interval(mean=0.5, low=0.5, high=0.5, n=1)
    """
    x = np.asarray(values, dtype=np.float64)
    n = int(x.size)
    if n == 0:
        raise ValueError("t_interval needs at least one value")
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, mean, mean, 1)
    half = t_quantile_975(n - 1) * float(x.std(ddof=1)) / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


def wilson_interval(successes: int, trials: int) -> Interval:
    """A share of independent trials with its 95% Wilson score interval (the risk
    evaluation's, `safefeed.risk.fairness.wilson_interval`, to four decimals).

    Unlike the normal approximation it stays inside [0, 1] and does not collapse to a
    point when no trial (or every trial) succeeded.

    >>> i = wilson_interval(30, 100)
    >>> (i.mean, i.low, i.high, i.n)
    (0.3, 0.2189, 0.3959, 100)
    >>> wilson_interval(0, 100).high
    0.037
    """
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError("wilson_interval needs 0 <= successes <= trials and a trial")
    # Imported here: the risk package loads the whole funnel, which a path audit of an
    # exported graph does not need.
    from safefeed.risk.fairness import wilson_interval as wilson

    low, high = wilson(successes, trials)
    return Interval(successes / trials, low, high, trials)

"""Exponentially decayed sums and means in event time: the funnel's rolling windows.

A decayed sum forgets with a half-life instead of a hard window edge, needs two
floats of state, and is updated in O(1) per signal, so a creator's rolling flag
rate costs the same memory after a day or a year.
"""

from __future__ import annotations

import math

__all__ = ["DecayedMean", "DecayedSum"]

_LN2 = math.log(2.0)


class DecayedSum:
    """A sum of weights that halves every ``half_life`` seconds of event time.

    >>> rate = DecayedSum(half_life=3600.0)
    >>> rate.add(0.0, 1.0); rate.add(0.0, 1.0)
    >>> round(rate.value(3600.0), 6)
    1.0
    """

    __slots__ = ("half_life", "t", "total")

    def __init__(self, half_life: float) -> None:
        self.half_life = half_life
        self.total = 0.0
        self.t = 0.0

    def value(self, t: float) -> float:
        """The sum as seen at time ``t`` (not before the last update)."""
        if t <= self.t or self.total == 0.0:
            return self.total
        return self.total * math.exp(-_LN2 * (t - self.t) / self.half_life)

    def add(self, t: float, weight: float) -> None:
        self.total = self.value(t) + weight
        if t > self.t:
            self.t = t

    def withdraw(self, t: float, weight: float, added_at: float) -> None:
        """Take back, at ``t``, what is left of ``weight`` added at ``added_at``.

        >>> s = DecayedSum(half_life=10.0)
        >>> s.add(0.0, 1.0); s.add(10.0, 1.0); s.withdraw(20.0, 1.0, added_at=10.0)
        >>> round(s.value(20.0), 6)
        0.25
        """
        self.add(t, -weight * math.exp(-_LN2 * (t - added_at) / self.half_life))

    def rate_per_day(self, t: float, since: float | None = None) -> float:
        """The decayed sum as a rate: a steady rate r per day converges to r.

        >>> steady = DecayedSum(half_life=86400.0)
        >>> for day in range(60): steady.add(day * 86400.0, 2.0)
        >>> round(steady.rate_per_day(59 * 86400.0), 1)
        2.8
        """
        # The integral of the decay kernel is half_life / ln 2 seconds; with only
        # ``t - since`` seconds of history, only that part of the kernel was exposed.
        exposed = 1.0
        if since is not None:
            exposed = max(0.05, 1.0 - math.exp(-_LN2 * max(0.0, t - since) / self.half_life))
        return self.value(t) * 86400.0 * _LN2 / self.half_life / exposed


class DecayedMean:
    """A mean whose older samples weigh less (half-life in samples, not seconds).

    >>> mean = DecayedMean(half_life=1.0)
    >>> mean.add(0.0); mean.add(1.0)
    >>> round(mean.value, 3)
    0.667
    """

    __slots__ = ("keep", "total", "weight")

    def __init__(self, half_life: float) -> None:
        self.keep = 0.5 ** (1.0 / half_life)
        self.total = 0.0
        self.weight = 0.0

    def add(self, x: float, weight: float = 1.0) -> None:
        self.total = self.total * self.keep + x * weight
        self.weight = self.weight * self.keep + weight

    @property
    def value(self) -> float:
        return self.total / self.weight if self.weight > 0 else 0.0

    def value_or(self, default: float) -> float:
        return self.total / self.weight if self.weight > 0 else default

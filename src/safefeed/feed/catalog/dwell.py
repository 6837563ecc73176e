"""Normalized dwell: time spent relative to what an item of its length earns.

A 20-second dwell on a 30-second short is a satisfied view; on a 20-minute video it
is a bounce. Dividing by an expected dwell that grows with length (but less than
linearly: nobody is expected to finish a long video) makes the two comparable.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["MAX_DWELL_RATIO", "dwell_ratio", "expected_dwell_s"]

#: Normalized dwell is capped: a tab left open is not twice the satisfaction.
MAX_DWELL_RATIO = 2.0


def expected_dwell_s(duration_s: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Seconds of dwell that count as a full, satisfied view of an item of this length.

    >>> expected_dwell_s([30.0, 600.0]).round(1).tolist()
    [16.5, 187.5]
    """
    duration = np.maximum(np.asarray(duration_s, dtype=np.float64), 1.0)
    return np.minimum(0.9 * duration, 7.5 + 0.3 * duration)


def dwell_ratio(dwell_s: npt.ArrayLike, duration_s: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Dwell over expected dwell, clipped to [0, `MAX_DWELL_RATIO`].

    >>> dwell_ratio([27.0, 27.0], [30.0, 600.0]).round(3).tolist()
    [1.636, 0.144]
    """
    ratio = np.asarray(dwell_s, dtype=np.float64) / expected_dwell_s(duration_s)
    return np.clip(ratio, 0.0, MAX_DWELL_RATIO)

"""Turning text scores into bands: allow, send to review, or limit distribution.

Bands are what policy acts on; the raw score stays in the audit record beside them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from safefeed.exceptions import ConfigError

__all__ = ["Band", "TextThresholds", "band", "bands_for"]

Band = Literal["allow", "needs_review", "limit"]


@dataclass(frozen=True, slots=True)
class TextThresholds:
    """Score cut-offs for one category: at or above ``needs_review``, at or above ``limit``.

    >>> TextThresholds(needs_review=0.9, limit=0.5)
    Traceback (most recent call last):
    ...
    safefeed.exceptions.ConfigError: thresholds need 0 <= needs_review <= limit <= 1, \
got needs_review=0.9, limit=0.5
    """

    needs_review: float
    limit: float

    def __post_init__(self) -> None:
        # Chained comparisons are False for NaN, so NaN thresholds are rejected too.
        if not 0.0 <= self.needs_review <= self.limit <= 1.0:
            raise ConfigError(
                "thresholds need 0 <= needs_review <= limit <= 1, "
                f"got needs_review={self.needs_review!r}, limit={self.limit!r}"
            )


def band(score: float, thresholds: TextThresholds) -> Band:
    """The band a score falls in; each threshold is inclusive.

    A score outside ``[0, 1]`` (or NaN) is a classifier fault and raises
    `ValueError` rather than being silently clamped into a band.

    >>> t = TextThresholds(needs_review=0.8, limit=0.95)
    >>> band(0.3, t), band(0.8, t), band(0.9, t), band(0.95, t)
    ('allow', 'needs_review', 'needs_review', 'limit')
    >>> band(1.2, t)
    Traceback (most recent call last):
    ...
    ValueError: score must be in [0, 1], got 1.2
    """
    if math.isnan(score) or not 0.0 <= score <= 1.0:
        raise ValueError(f"score must be in [0, 1], got {score!r}")
    if score >= thresholds.limit:
        return "limit"
    if score >= thresholds.needs_review:
        return "needs_review"
    return "allow"


def bands_for(
    scores: Mapping[str, float], thresholds: Mapping[str, TextThresholds]
) -> dict[str, Band]:
    """Band every scored category; a category with no thresholds configured is allowed.

    >>> bands_for({"profanity": 0.97, "spam": 0.99},
    ...           {"profanity": TextThresholds(needs_review=0.8, limit=0.95)})
    {'profanity': 'limit', 'spam': 'allow'}
    """
    result: dict[str, Band] = {}
    for category, score in scores.items():
        category_thresholds = thresholds.get(category)
        result[category] = (
            "allow" if category_thresholds is None else band(score, category_thresholds)
        )
    return result

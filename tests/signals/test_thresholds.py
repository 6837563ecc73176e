from __future__ import annotations

import math

import pytest

from safefeed.exceptions import ConfigError
from safefeed.signals.thresholds import TextThresholds, band, bands_for

T = TextThresholds(needs_review=0.8, limit=0.95)


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0.0, "allow"),
        (0.7999, "allow"),
        (0.8, "needs_review"),
        (0.9499, "needs_review"),
        (0.95, "limit"),
        (1.0, "limit"),
    ],
)
def test_band_boundaries_are_inclusive(score: float, expected: str) -> None:
    assert band(score, T) == expected


def test_equal_thresholds_skip_review() -> None:
    same = TextThresholds(needs_review=0.5, limit=0.5)

    assert [band(s, same) for s in (0.49, 0.5)] == ["allow", "limit"]


def test_zero_thresholds_limit_everything() -> None:
    assert band(0.0, TextThresholds(needs_review=0.0, limit=0.0)) == "limit"


@pytest.mark.parametrize("score", [-0.01, 1.01, math.nan, math.inf])
def test_out_of_range_scores_raise(score: float) -> None:
    with pytest.raises(ValueError, match="score must be in"):
        band(score, T)


@pytest.mark.parametrize(
    ("needs_review", "limit"),
    [(0.9, 0.5), (-0.1, 0.5), (0.5, 1.1), (math.nan, 0.5), (0.5, math.nan)],
)
def test_invalid_thresholds_are_config_errors(needs_review: float, limit: float) -> None:
    with pytest.raises(ConfigError, match="needs_review <= limit"):
        TextThresholds(needs_review=needs_review, limit=limit)


def test_thresholds_are_frozen() -> None:
    with pytest.raises(AttributeError):
        T.limit = 0.1  # type: ignore[misc]


def test_bands_for_allows_categories_without_thresholds() -> None:
    scores = {"profanity": 0.85, "spam": 0.99, "violence": 0.2}
    configured = {"profanity": T, "violence": TextThresholds(needs_review=0.1, limit=0.3)}

    assert bands_for(scores, configured) == {
        "profanity": "needs_review",
        "spam": "allow",
        "violence": "needs_review",
    }
    assert bands_for({}, configured) == {}

from __future__ import annotations

import math

import numpy as np
import pytest

from safefeed.sim.stats import gini, jaccard, normalized_entropy, t_interval, t_quantile_975


def test_gini_of_equal_and_concentrated_amounts() -> None:
    assert gini([3, 3, 3]) == 0.0
    assert gini([0, 0, 0, 0, 10]) == pytest.approx(0.8)
    # Order does not matter.
    assert gini([4, 0, 0, 0]) == gini([0, 0, 4, 0]) == pytest.approx(0.75)
    # Hand computed: sorted [1, 3], 2*(1*1 + 2*3)/(2*4) - 3/2 = 0.25
    assert gini([3, 1]) == pytest.approx(0.25)


def test_normalized_entropy_by_hand() -> None:
    # p = (3/4, 1/4) over 4 columns: H = -(.75 ln .75 + .25 ln .25) / ln 4
    expected = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) / math.log(4)
    got = normalized_entropy([[3, 1, 0, 0]])
    assert got[0] == pytest.approx(expected)
    assert np.isnan(normalized_entropy([[0, 0, 0]])[0])


def test_jaccard_by_hand() -> None:
    assert jaccard({1, 2, 3}, {2, 3, 4, 5}) == pytest.approx(2 / 5)
    assert jaccard({1}, set()) == 0.0
    assert math.isnan(jaccard(set(), set()))


def test_t_interval_matches_the_textbook() -> None:
    values = [10.0, 12.0, 11.0, 13.0, 9.0]  # mean 11, s = sqrt(2.5), t(4) = 2.776
    i = t_interval(values)
    half = 2.776 * math.sqrt(2.5) / math.sqrt(5)
    assert (i.mean, i.n) == (11.0, 5)
    assert i.low == pytest.approx(11 - half)
    assert i.high == pytest.approx(11 + half)
    with pytest.raises(ValueError, match="at least one"):
        t_interval([])


def test_t_quantiles_shrink_towards_the_normal() -> None:
    values = [t_quantile_975(df) for df in (1, 2, 5, 30, 35, 100, 1000)]
    assert values == sorted(values, reverse=True)
    assert 2.021 < t_quantile_975(35) < 2.042

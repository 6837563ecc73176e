"""False-positive rates across groups: intervals, crude and adjusted ratios."""

from __future__ import annotations

from collections import Counter

from safefeed.risk.fairness import (
    GroupCount,
    fairness_report,
    mantel_haenszel_ratio,
    wilson_interval,
)
from safefeed.risk.scenarios import ScenarioParams, generate_scenarios


def _rows(group: str, stratum: str, fps: int, n: int) -> list[GroupCount]:
    return [GroupCount(group, stratum, i < fps) for i in range(n)]


def test_no_false_positive_gives_ratio_one_and_shows_the_upper_bounds() -> None:
    report = fairness_report(_rows("a", "k", 0, 300) + _rows("b", "k", 0, 100))
    assert report["mh_ratio_range"] == [1.0, 1.0]
    assert report["within_accepted_band"]
    assert report["groups"]["a"]["rate_ci95"] == [0.0, 0.0126]
    # The smaller group's bound is wider: the reader sees how much "zero" proves.
    assert report["max_group_rate_upper_bound"] == report["groups"]["b"]["rate_ci95"][1] > 0.03


def test_the_adjusted_ratio_removes_a_difference_in_scenario_mix() -> None:
    # Same rate per kind in both groups (10% on the hard kind, 1% on the easy one),
    # but group a drew mostly the hard kind: crude ratio far from 1, adjusted 1.0.
    rows = _rows("a", "hard", 20, 200) + _rows("a", "easy", 1, 100)
    rows += _rows("b", "hard", 5, 50) + _rows("b", "easy", 4, 400)
    report = fairness_report(rows)
    assert report["groups"]["a"]["crude_ratio"] > 3.0
    assert mantel_haenszel_ratio(rows, "a") == 1.0
    assert report["mh_ratio_range"] == [1.0, 1.0]
    low, high = report["groups"]["a"]["crude_ratio_ci95"]
    assert low is not None
    assert high is not None
    assert low < report["groups"]["a"]["crude_ratio"] < high


def test_a_real_disparity_is_outside_the_band_and_undefined_ratios_fail() -> None:
    rows = _rows("a", "k", 30, 300) + _rows("b", "k", 10, 300)
    report = fairness_report(rows)
    assert report["groups"]["a"]["mh_ratio"] == 3.0
    assert not report["within_accepted_band"]
    only_a = fairness_report(_rows("a", "k", 3, 300) + _rows("b", "k", 0, 300))
    assert only_a["groups"]["a"]["mh_ratio"] is None
    assert only_a["mh_ratio_range"] is None
    assert not only_a["within_accepted_band"]
    assert wilson_interval(3, 300)[0] > 0.0


def test_scenario_groups_are_balanced_across_kinds() -> None:
    params = ScenarioParams(
        days=6.0, viewers=100, ordinary_creators=20, small_creators=40, teen_creators=10
    )
    _, truth = generate_scenarios(4, params)
    for kind in ("ordinary_creator", "small_creator", "teen_creator_teen_audience"):
        regions = Counter(s["region"] for s in truth["subjects"] if s["scenario"] == kind)
        assert max(regions.values()) - min(regions.values()) <= 1, (kind, regions)
        assert len(regions) == 10

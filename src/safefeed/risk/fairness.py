"""Disproportionate impact: false-positive rates of benign subjects across groups.

A group (a region, a language) is compared with everyone else. Three views, so a
reader can tell a real disparity from noise:

- each group's rate with a Wilson score interval (its upper bound is the
  evidence when there are no false positives at all);
- the crude rate ratio (group against the rest) with a parametric bootstrap
  interval;
- the Mantel-Haenszel rate ratio stratified by scenario kind — the acceptance
  figure, since kinds differ in base false-positive rate and a group that drew
  more of a hard kind would otherwise look treated worse.

With no false positive anywhere every ratio is 1.0 by definition; the upper
bounds say how much that shows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "GroupCount",
    "fairness_report",
    "group_rows",
    "mantel_haenszel_ratio",
    "wilson_interval",
]

#: The band the acceptance asks every group's adjusted ratio to lie in.
ACCEPTED_RATIO = (0.8, 1.25)


def wilson_interval(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``hits / n``.

    >>> wilson_interval(0, 250)
    (0.0, 0.0151)
    >>> wilson_interval(5, 10)
    (0.2366, 0.7634)
    """
    if n <= 0:
        return 0.0, 1.0
    p = hits / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / n + z * z / (4 * n * n)) / denominator
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


@dataclass(frozen=True, slots=True)
class GroupCount:
    """One benign subject's outcome: its group, its stratum and whether it was a FP."""

    group: str
    stratum: str
    false_positive: bool


def mantel_haenszel_ratio(rows: Iterable[GroupCount], group: str) -> float | None:
    """The Mantel-Haenszel rate ratio of ``group`` against the rest, by stratum.

    None when it is undefined (no false positive outside the group).

    >>> rows = [GroupCount("a", "k", fp) for fp in (True, False)]
    >>> rows += [GroupCount("b", "k", fp) for fp in (True, False, False, False)]
    >>> mantel_haenszel_ratio(rows, "a")
    2.0
    """
    cells: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in rows:
        cell = cells[row.stratum]
        offset = 0 if row.group == group else 2
        cell[offset] += row.false_positive
        cell[offset + 1] += 1
    top = bottom = 0.0
    for fp_in, n_in, fp_out, n_out in cells.values():
        total = n_in + n_out
        if n_in == 0 or n_out == 0:
            continue  # a stratum only one side has says nothing about the ratio
        top += fp_in * n_out / total
        bottom += fp_out * n_in / total
    if bottom == 0.0:
        return None if top > 0.0 else 1.0
    return top / bottom


def _bootstrap_ratio(
    fp_in: int, n_in: int, fp_out: int, n_out: int, draws: int, seed: int
) -> tuple[float | None, float | None]:
    """A 95% parametric bootstrap interval of (fp_in / n_in) / (fp_out / n_out)."""
    rng = np.random.default_rng(seed)
    inside = rng.binomial(n_in, fp_in / n_in, draws) / n_in
    outside = rng.binomial(n_out, fp_out / n_out, draws) / n_out
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(outside > 0, inside / np.where(outside > 0, outside, 1.0), np.inf)
    # Order statistics rather than interpolation: a draw may be infinite.
    ordered = np.sort(ratios)
    low, high = ordered[int(0.025 * (draws - 1))], ordered[int(0.975 * (draws - 1))]
    return _finite(float(low)), _finite(float(high))


def _finite(value: float) -> float | None:
    return round(value, 3) if math.isfinite(value) else None


def fairness_report(
    rows: Iterable[GroupCount], *, draws: int = 2000, seed: int = 0
) -> dict[str, Any]:
    """Per-group false-positive rates, intervals and ratios against the rest.

    ``mh_ratio_range`` (the smallest and largest adjusted ratio) is the figure
    the acceptance reads; ``within_accepted_band`` says whether it lies in 0.8-1.25.
    """
    rows = list(rows)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        counts[row.group][0] += row.false_positive
        counts[row.group][1] += 1
    total_fp = sum(c[0] for c in counts.values())
    total = sum(c[1] for c in counts.values())
    groups: dict[str, Any] = {}
    ratios: list[float | None] = []
    for name, (fp, n) in sorted(counts.items()):
        fp_out, n_out = total_fp - fp, total - n
        crude: float | None = None
        adjusted: float | None
        interval: tuple[float | None, float | None] = (None, None)
        if total_fp == 0:
            crude, interval, adjusted = 1.0, (1.0, 1.0), 1.0
        else:
            if fp_out and n_out:
                crude = round((fp / n) / (fp_out / n_out), 3)
                interval = _bootstrap_ratio(fp, n, fp_out, n_out, draws, seed)
            mh = mantel_haenszel_ratio(rows, name)
            adjusted = None if mh is None else round(mh, 3)
        ratios.append(adjusted)
        groups[name] = {
            "subjects": n,
            "false_positives": fp,
            "rate": round(fp / n, 4) if n else None,
            "rate_ci95": list(wilson_interval(fp, n)),
            "crude_ratio": crude,
            "crude_ratio_ci95": list(interval),
            "mh_ratio": adjusted,
        }
    known = [r for r in ratios if r is not None]
    undefined = len(known) < len(ratios)
    low, high = ACCEPTED_RATIO
    span = [min(known), max(known)] if known and not undefined else None
    return {
        "false_positives": total_fp,
        "subjects": total,
        "mh_ratio_range": span,
        "within_accepted_band": bool(span and low <= span[0] and span[1] <= high),
        "max_group_rate_upper_bound": max(
            (g["rate_ci95"][1] for g in groups.values()), default=None
        ),
        "groups": groups,
    }


def group_rows(
    benign: Iterable[str], subjects: Mapping[str, Mapping[str, Any]], fps: set[str], attr: str
) -> list[GroupCount]:
    """The rows of `fairness_report` for grouping benign subjects by ``attr``."""
    return [
        GroupCount(str(subjects[key].get(attr)), str(subjects[key]["scenario"]), key in fps)
        for key in benign
    ]

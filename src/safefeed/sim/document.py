"""``metrics.json``: the DESIGN contract's per-step ``series``, ``totals`` and ``config``.

With several seeds, ``series`` and ``totals`` hold means over seeds and
``intervals`` their 95% t-intervals; ``per_seed`` keeps each seed's totals and
``path_audit`` the mean share with each seed's audit (seeds whose world had no item to
start a walk from are listed under ``path_audit_skipped`` with the reason). ``config``
holds everything needed to reproduce the run: the world parameters, ranker, overrides
and seeds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from safefeed.exceptions import InputError
from safefeed.sim.metrics import RANGES
from safefeed.sim.runner import SimResult
from safefeed.sim.stats import t_interval
from safefeed.version import __version__

__all__ = ["SCHEMA", "metrics_document", "write_metrics"]

SCHEMA = "safefeed.sim.metrics/1"


def metrics_document(results: Sequence[SimResult]) -> dict[str, Any]:
    """Combine one ranker's seeds into the ``metrics.json`` document."""
    if not results:
        raise InputError("no simulation results to summarize")
    rankers = {r.ranker for r in results}
    if len(rankers) != 1:
        raise InputError(f"one ranker per metrics document, got {sorted(rankers)}")
    first = results[0]
    steps = len(next(iter(first.series.values()), []))
    series: dict[str, list[float]] = {}
    series_low: dict[str, list[float]] = {}
    series_high: dict[str, list[float]] = {}
    for key in first.series:
        bounds = RANGES.get(key, (None, None))
        per_step = [
            t_interval([r.series[key][t] for r in results]).within(*bounds) for t in range(steps)
        ]
        series[key] = [i.mean for i in per_step]
        series_low[key] = [i.low for i in per_step]
        series_high[key] = [i.high for i in per_step]
    totals = {
        key: t_interval([r.totals[key] for r in results]).within(*RANGES.get(key, (None, None)))
        for key in first.totals
    }
    audits = [r.path_audit for r in results if r.path_audit and "skipped" not in r.path_audit]
    skipped = [
        {"seed": r.seed, "reason": r.path_audit["skipped"]}
        for r in results
        if r.path_audit and "skipped" in r.path_audit
    ]
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "ranker": first.ranker,
        "seeds": [r.seed for r in results],
        "series": series,
        "totals": {key: i.mean for key, i in totals.items()},
        "intervals": {
            "confidence": 0.95,
            "totals": {key: i.as_dict() for key, i in totals.items()},
            "series": {key: {"low": series_low[key], "high": series_high[key]} for key in series},
        },
        "per_seed": [{"seed": r.seed, "totals": r.totals} for r in results],
        "config": {
            **first.config,
            "ranker": first.ranker,
            "overrides": first.overrides,
            "seeds": [r.seed for r in results],
            "safefeed_version": __version__,
        },
    }
    if audits:
        document["path_audit"] = {
            "share": t_interval([a["share"] for a in audits]).within(0.0, 1.0).as_dict(),
            "per_seed": audits,
        }
    if skipped:
        document["path_audit_skipped"] = skipped
    return document


def write_metrics(path: Path, results: Sequence[SimResult]) -> dict[str, Any]:
    """Write ``metrics.json`` (creating its folder); returns the document."""
    document = metrics_document(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return document

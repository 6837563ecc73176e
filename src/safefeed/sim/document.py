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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from safefeed.exceptions import InputError
from safefeed.sim.metrics import RANGES
from safefeed.sim.runner import SimResult
from safefeed.sim.stats import t_interval
from safefeed.version import __version__

__all__ = ["RUN_KEYS", "SCHEMA", "metrics_document", "world_parameters", "write_metrics"]

SCHEMA = "safefeed.sim.metrics/1"

#: What ``config`` holds besides the world's parameters: the run's objective and seeds.
RUN_KEYS = ("ranker", "overrides", "seeds", "safefeed_version")


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


def world_parameters(document: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The world's parameters in a world file, a ``metrics.json`` or its ``config`` block.

    What the block adds about the run (`RUN_KEYS`) is dropped: the command line names the
    ranker and seeds, so a run is reproduced, or another ranker run in the same world,
    from its ``metrics.json``. Overrides cannot be dropped: without them the run would
    not be the one recorded, so they are an error here.

    >>> world_parameters({"schema": SCHEMA, "config": {"users": 9, "ranker": "safety",
    ...     "overrides": {}, "seeds": [0], "safefeed_version": "0"}}, "metrics.json")
    {'users': 9}
    """
    if document.get("schema") == SCHEMA:
        document = document.get("config") or {}
    if document.get("overrides"):
        raise InputError(
            f"{source}: a run with ranker overrides ({document['overrides']}) is reproduced "
            "by a gate file's candidate_overrides, not by simulate"
        )
    return {key: value for key, value in document.items() if key not in RUN_KEYS}


def write_metrics(path: Path, results: Sequence[SimResult]) -> dict[str, Any]:
    """Write ``metrics.json`` (creating its folder); returns the document."""
    document = metrics_document(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return document

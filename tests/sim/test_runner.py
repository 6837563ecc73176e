"""Runs, metrics.json, the report, and seeds in parallel processes."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from safefeed.exceptions import ConfigError
from safefeed.sim.config import SimConfig
from safefeed.sim.document import metrics_document, write_metrics
from safefeed.sim.gate import GateKpis, evaluate_gate
from safefeed.sim.metrics import RANGES, REQUIRED_KEYS
from safefeed.sim.report import write_report
from safefeed.sim.runner import PathSettings, run_seeds, run_simulation
from safefeed.sim.seams import PopularityRecommender


def test_metrics_json_has_every_required_key(tmp_path: Path, tiny: SimConfig) -> None:
    results = run_seeds("popularity", tiny, [0, 1, 2], workers=1, paths=PathSettings(walks=50))
    document = write_metrics(tmp_path / "metrics.json", results)
    loaded = json.loads((tmp_path / "metrics.json").read_text())
    assert loaded == json.loads(json.dumps(document))
    for key in REQUIRED_KEYS:
        assert len(loaded["series"][key]) == tiny.steps, key
        assert isinstance(loaded["totals"][key], float), key
        interval = loaded["intervals"]["totals"][key]
        assert interval["low"] <= interval["mean"] <= interval["high"]
        assert interval["n"] == 3
    # The config reproduces the run: world parameters, ranker and seeds.
    assert (
        SimConfig.model_validate(
            {k: v for k, v in loaded["config"].items() if k in SimConfig.model_fields}
        )
        == tiny
    )
    assert loaded["config"]["ranker"] == "popularity"
    assert loaded["config"]["seeds"] == [0, 1, 2]
    assert 0.0 <= loaded["path_audit"]["share"]["mean"] <= 1.0
    assert len(loaded["per_seed"]) == 3


def test_report_embeds_png_plots(tmp_path: Path, tiny: SimConfig) -> None:
    documents = {
        name: metrics_document(
            run_seeds(name, tiny, [0, 1], workers=1, paths=PathSettings(walks=20))
        )
        for name in ("popularity", "random")
    }
    path = write_report(tmp_path / "report.html", documents)
    text = path.read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) == 2  # per-step metrics and the path audit
    for image in images:
        assert base64.b64decode(image).startswith(b"\x89PNG\r\n\x1a\n")
    assert "popularity" in text
    assert "random" in text
    assert "harmful_exposure_rate" in text


def test_parallel_seeds_equal_seeds_run_one_by_one(tiny: SimConfig) -> None:
    config = tiny.with_overrides(steps=2)
    parallel = run_seeds("popularity", config, [5, 6], workers=2)
    serial = [run_simulation(PopularityRecommender(seed=s), config, s) for s in (5, 6)]
    assert [r.seed for r in parallel] == [5, 6]
    assert [r.totals for r in parallel] == [r.totals for r in serial]
    assert [r.series for r in parallel] == [r.series for r in serial]


def test_a_world_with_nothing_mainstream_keeps_its_run_and_says_why_no_audit(
    tmp_path: Path,
) -> None:
    # Every creator edgy, escalating, a low harm threshold: in seeds 0 and 2 the final
    # catalog has no mainstream item for a walk to start from; in seed 1 it has.
    world = SimConfig(
        users=31, steps=3, page_size=15, topics=3, creators=8, new_creators_per_step=1,
        initial_items=13, items_per_step=4, bots=0, edgy_creator_share=1.0,
        harmful_threshold=0.487, creator_escalation=1.0, escalation_floor=0.0,
    )  # fmt: skip
    results = run_seeds("random", world, [0, 1, 2], workers=1, paths=PathSettings(walks=20))
    document = write_metrics(tmp_path / "metrics.json", results)
    reason = "no item labelled mainstream to start from"
    assert document["path_audit_skipped"] == [
        {"seed": 0, "reason": reason},
        {"seed": 2, "reason": reason},
    ]
    assert [a["walks"] for a in document["path_audit"]["per_seed"]] == [20]
    assert document["path_audit"]["share"]["n"] == 1
    assert len(document["per_seed"]) == 3  # every seed's metrics kept
    # No seed audited: no path_audit at all, and a gate KPI on it cannot be met.
    alone = metrics_document([results[0]])
    assert "path_audit" not in alone
    with pytest.raises(ConfigError, match=f"could not be measured: {reason}"):
        evaluate_gate(GateKpis(max_path_share=0.1), alone, document)


def test_intervals_stay_within_what_each_metric_can_take(tiny: SimConfig) -> None:
    # Seeds that disagree a lot over a share near its bound: a plain t-interval passes it.
    results = run_seeds("popularity", tiny, [0, 1, 2], workers=1)
    for r, retention, harmful in zip(results, (1.0, 1.0, 0.7), (0.0, 0.0, 0.3), strict=True):
        r.totals.update(retention=retention, harmful_exposure_rate=harmful, watch_time=harmful)
        r.totals["extremeness_drift"] = 0.9 if harmful else 0.95
    intervals = metrics_document(results)["intervals"]["totals"]
    assert intervals["retention"]["high"] == 1.0
    assert intervals["retention"]["low"] < 0.9  # the other side as the t-interval has it
    for key in ("harmful_exposure_rate", "watch_time"):
        assert intervals[key]["low"] == 0.0
        assert intervals[key]["high"] > 0.3
    assert intervals["extremeness_drift"]["high"] == 1.0
    # Each step's interval too.
    series = metrics_document(results)["intervals"]["series"]
    for key, bounds in RANGES.items():
        if key in series:
            low, high = bounds
            assert all(low is None or v >= low for v in series[key]["low"]), key
            assert all(high is None or v <= high for v in series[key]["high"]), key

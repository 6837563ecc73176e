"""Runs, metrics.json, the report, and seeds in parallel processes."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from safefeed.sim.config import SimConfig
from safefeed.sim.document import metrics_document, write_metrics
from safefeed.sim.metrics import REQUIRED_KEYS
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

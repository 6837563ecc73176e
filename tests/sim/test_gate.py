"""The release gate: KPI checks pass and fail as configured, and the CLI exits accordingly."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from safefeed.cli import sim as sim_cli
from safefeed.cli.main import app
from safefeed.cli.sim import print_gate
from safefeed.exceptions import ConfigError
from safefeed.sim.gate import GateConfig, GateKpis, GateReport, evaluate_gate, run_gate
from safefeed.sim.runner import SimResult, run_seeds


def _doc(harm: float, reports: float, watch: float, share: float | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "totals": {
            "harmful_exposure_rate": harm,
            "harmful_exposure_rate_max": harm * 1.5,
            "borderline_exposure_rate": 2 * harm,
            "reports_per_1k_sessions": reports,
            "watch_time": watch,
        }
    }
    if share is not None:
        doc["path_audit"] = {"share": {"mean": share}}
    return doc


def test_each_kpi_passes_and_fails() -> None:
    kpis = GateKpis(
        max_harmful_exposure_rate=0.005,
        max_step_harmful_exposure_rate=0.005,
        max_harmful_exposure_increase=0.0,
        max_borderline_exposure_increase=0.0,
        min_reports_reduction=0.3,
        max_watch_time_loss=0.05,
        max_path_share=0.1,
        max_path_share_ratio=0.2,
    )
    good = evaluate_gate(kpis, _doc(0.002, 6.9, 96.0, 0.01), _doc(0.02, 10.0, 100.0, 0.1))
    assert [c.passed for c in good] == [True] * 8
    bad = evaluate_gate(kpis, _doc(0.006, 7.1, 94.0, 0.5), _doc(0.005, 10.0, 100.0, 0.1))
    assert [c.passed for c in bad] == [False] * 8


def test_path_kpis_need_a_path_audit() -> None:
    with pytest.raises(ConfigError, match="path audit"):
        evaluate_gate(GateKpis(max_path_share=0.1), _doc(0, 1, 1), _doc(0, 1, 1))


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "gate.yaml"
    path.write_text(body)
    return path


_WORLD = """
seeds: [0, 1]
path_walks: 50
sim: {users: 150, steps: 3, topics: 4, creators: 20, initial_items: 200, items_per_step: 10,
      bots: 10, brigade_size: 3, homogenization_pairs: 10}
"""


def test_run_gate_compares_candidate_and_current(tmp_path: Path) -> None:
    config = GateConfig.from_yaml(
        _write(
            tmp_path,
            "candidate: random\ncurrent: popularity\n"
            + _WORLD
            + "kpis: {max_harmful_exposure_rate: 1.0, max_watch_time_loss: null}\n",
        )
    )
    report, documents = run_gate(config, workers=1)
    assert report.passed
    assert documents["candidate"]["ranker"] == "random"
    record = report.as_audit_record()
    assert record["passed"] is True
    assert record["checks"][0]["name"] == "harmful_exposure_rate"


def test_cli_gate_exits_non_zero_when_a_kpi_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEFEED_DATA_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("SAFEFEED_TEXT_CLASSIFIER", "keyword")
    runner = CliRunner()
    # Random pages hold attention less than popular ones: no watch-time loss allowed fails.
    failing = _write(
        tmp_path,
        "candidate: random\ncurrent: popularity\n" + _WORLD + "kpis: {max_watch_time_loss: 0.0}\n",
    )
    result = runner.invoke(app, ["gate", str(failing), "--workers", "1"])
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output
    passing = _write(
        tmp_path,
        "candidate: popularity\ncurrent: popularity\n"
        + _WORLD
        + "kpis: {max_watch_time_loss: 0.05, max_harmful_exposure_rate: 1.0}\n",
    )
    result = runner.invoke(app, ["gate", str(passing), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "gate passed" in result.output
    # Both decisions are in the audit log, with every KPI check.
    logged = runner.invoke(app, ["audit", "log", "--action", "sim.gate"])
    records = json.loads(logged.output)
    assert [r["details"]["passed"] for r in records] == [False, True]
    assert "watch_time" in {c["name"] for c in records[0]["details"]["checks"]}


def test_bad_gate_config_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="candidate"):
        GateConfig.from_yaml(_write(tmp_path, "current: safety\n"))


def test_a_threshold_that_is_not_finite_is_a_config_error(tmp_path: Path) -> None:
    # An infinite ratio times a current share of 0 is NaN, and every comparison with NaN
    # is false: the KPI would fail or pass by accident, never by the rule.
    with pytest.raises(ConfigError, match="max_path_share_ratio: Input should be a finite number"):
        GateConfig.from_yaml(
            _write(tmp_path, "candidate: safety\nkpis: {max_path_share_ratio: .inf}\n")
        )


def test_a_negative_seed_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"seeds\.1: Input should be greater than or equal to 0"):
        GateConfig.from_yaml(_write(tmp_path, "candidate: safety\nseeds: [0, -1]\n"))


def test_the_gate_table_shows_every_kpi_name_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # At a terminal's 80 columns the longest names were cut to "harmful_exposure_rat…",
    # so the two harmful-exposure rows could not be told apart.
    screen = io.StringIO()
    monkeypatch.setattr(sim_cli, "console", Console(file=screen, width=80))
    checks = evaluate_gate(
        GateKpis(
            max_step_harmful_exposure_rate=0.005,
            max_harmful_exposure_increase=0.0,
            max_borderline_exposure_increase=0.0,
            min_reports_reduction=0.3,
            max_path_share_ratio=1.0,
        ),
        _doc(0.002, 6.9, 96.0, 0.01),
        _doc(0.02, 10.0, 100.0, 0.1),
    )
    print_gate(GateReport("no_safety_penalty", "safety", (0,), tuple(checks)))
    printed = screen.getvalue()
    assert max(len(line) for line in printed.splitlines()) <= 80
    for check in checks:
        assert check.name in printed


def test_a_gate_that_checks_nothing_is_a_config_error(tmp_path: Path) -> None:
    # Every KPI switched off used to pass: an empty table and "gate passed".
    body = "candidate: safety\nkpis: {max_harmful_exposure_rate: null, max_watch_time_loss: null}\n"
    with pytest.raises(ConfigError, match="no KPI to check"):
        GateConfig.from_yaml(_write(tmp_path, body))


@pytest.mark.parametrize(
    ("objectives", "message"),
    [
        ("candidate: random\ncurrent: nope\n", "unknown ranker 'nope'"),
        (
            "candidate: random\ncurrent: safety\ncurrent_overrides: {wieghts: {}}\n",
            "rankers.safety.wieghts: Extra inputs are not permitted",
        ),
        (
            "candidate: random\ncurrent: popularity\ncurrent_overrides: {a: 1}\n",
            "takes no overrides",
        ),
    ],
)
def test_a_bad_current_objective_fails_before_the_candidate_runs(
    tmp_path: Path, objectives: str, message: str
) -> None:
    # The candidate's whole simulation used to run before the current's name or overrides
    # were looked at: hours of a real gate lost to a typo.
    ran: list[str] = []

    def runner(ranker: str, *_: Any) -> list[SimResult]:
        ran.append(ranker)  # the check is that this never happens
        return []

    config = GateConfig.from_yaml(_write(tmp_path, objectives + _WORLD))
    with pytest.raises(ConfigError, match=message):
        run_gate(config, runner=runner)
    assert ran == []


def test_the_audit_record_says_what_was_gated(tmp_path: Path) -> None:
    # A candidate given as overrides was recorded by its ranker's name alone, so the log
    # read "safety vs safety passed" whatever change had been tried, in whatever world.
    overrides = {"weights": {"watch_time": 45.0, "safety": 1.0}}
    body = f"candidate: safety\ncandidate_overrides: {json.dumps(overrides)}\n" + _WORLD

    def runner(ranker: str, overrides: dict[str, Any], *run: Any) -> list[SimResult]:
        # The world and the record are the point here, not the engine: a seam ranks.
        return run_seeds("popularity", *run[:2], workers=1, paths=run[2])

    report, _ = run_gate(GateConfig.from_yaml(_write(tmp_path, body)), runner=runner)
    record = report.as_audit_record()
    assert record["candidate_overrides"] == overrides
    assert record["current_overrides"] == {}
    assert record["world"]["users"] == 150
    assert record["world"] == json.loads(json.dumps(record["world"]))  # fits the log's JSON

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from safefeed.cli.main import app, main
from safefeed.cli.sim import register_paths_command
from safefeed.sim.metrics import REQUIRED_KEYS

SMALL = ["--steps", "2", "--users", "100", "--walks", "20", "--workers", "1", "--quiet"]


def test_simulate_writes_metrics_and_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["simulate", "--ranker", "popularity", "--seed", "3", "--out", str(tmp_path), *SMALL]
    )
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "metrics.json").read_text())
    assert set(REQUIRED_KEYS) <= set(document["totals"])
    assert document["seeds"] == [3]
    assert (tmp_path / "report.html").stat().st_size > 10_000


def test_simulate_writes_events_when_asked(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    args = ["simulate", "--ranker", "random", "--out", str(tmp_path), "--events", str(events)]
    result = CliRunner().invoke(app, [*args, *SMALL, "--no-paths"])
    assert result.exit_code == 0, result.output
    assert events.read_text().count("\n") > 1000


def test_an_unknown_ranker_fails_clearly_before_any_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["simulate", "--ranker", "popularity", "--ranker", "nope", "--out", str(tmp_path)])
    assert code != 0
    assert "unknown ranker 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "metrics.json").exists()
    assert not (tmp_path / "popularity").exists()  # checked before the first ranker ran


def _audit_app() -> typer.Typer:
    audit_app = typer.Typer()
    audit_app.command("verify")(lambda: None)  # a group needs two commands to keep sub-names
    register_paths_command(audit_app)
    return audit_app


def test_audit_paths_on_a_csv_graph(tmp_path: Path) -> None:
    audit_app = _audit_app()
    nodes, edges = tmp_path / "nodes.csv", tmp_path / "edges.csv"
    nodes.write_text("id,label\na,mainstream\nb,borderline\nh,harmful\n")
    edges.write_text("source,target,weight\na,b,1\nb,h,1\n")
    result = CliRunner().invoke(
        audit_app,
        ["paths", "--edges", str(edges), "--nodes", str(nodes), "--hops", "2", "--json"],
    )
    assert result.exit_code == 0, result.output
    audit = json.loads(result.output)["edges.csv"]
    assert audit["share"] == 1.0
    assert audit["first_hop_counts"] == [0, 1000]


def test_audit_paths_reads_an_export_by_its_own_column_names(tmp_path: Path) -> None:
    audit_app = _audit_app()
    nodes, edges = tmp_path / "channels.tsv", tmp_path / "recs.tsv"
    nodes.write_text("channel\tcategory\na\tmedia\nh\talt-right\n")
    edges.write_text("from\tto\tviews\na\th\t7\n")
    args = ["paths", "--edges", str(edges), "--nodes", str(nodes), "--hops", "1"]
    labels = ["--start-label", "media", "--target-label", "alt-right"]
    mapped = ["--edge-columns", "from,to,views", "--node-columns", "channel,category"]
    result = CliRunner().invoke(audit_app, [*args, *labels, *mapped, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["recs.tsv"]["share"] == 1.0
    # Unmapped, the export's header is the error; a mapping without a graph is one too.
    result = CliRunner().invoke(audit_app, [*args, *labels])
    assert result.exit_code != 0
    assert "no id, label column (the header has ['channel', 'category'])" in str(result.exception)
    result = CliRunner().invoke(audit_app, ["paths", "--ranker", "popularity", *mapped])
    assert result.exit_code != 0
    assert "--edge-columns and --node-columns describe --edges and --nodes" in str(result.exception)


def test_audit_paths_rejects_a_label_no_node_has(tmp_path: Path) -> None:
    audit_app = _audit_app()
    nodes, edges = tmp_path / "nodes.csv", tmp_path / "edges.csv"
    nodes.write_text("id,label\na,mainstream\nh,harmful\n")
    edges.write_text("source,target\na,h\nh,x\n")
    args = ["paths", "--edges", str(edges), "--nodes", str(nodes)]
    result = CliRunner().invoke(audit_app, [*args, "--target-label", "harmfull"])
    assert result.exit_code != 0
    assert "no node labelled harmfull (labels: harmful, mainstream)" in str(result.exception)
    simulated = ["paths", "--ranker", "popularity", "--target-label", "harmfull"]
    result = CliRunner().invoke(audit_app, simulated)
    assert result.exit_code != 0
    assert "labelled mainstream, borderline, harmful: not ['harmfull']" in str(result.exception)
    result = CliRunner().invoke(audit_app, [*args, "--hops", "1", "--json"])
    assert result.exit_code == 0, result.output
    audit = json.loads(result.output)["edges.csv"]
    assert (audit["share"], audit["nodes"], audit["edges"], audit["unlabelled_nodes"]) == (
        1.0,
        3,
        2,
        1,
    )


def _csv_graph(tmp_path: Path, nodes: str, edges: str) -> list[str]:
    """``paths`` over the graph written to tmp_path/nodes.csv and edges.csv."""
    (tmp_path / "nodes.csv").write_text(nodes)
    (tmp_path / "edges.csv").write_text(edges)
    return ["paths", "--edges", str(tmp_path / "edges.csv"), "--nodes", str(tmp_path / "nodes.csv")]


def test_audit_paths_rejects_a_start_label_no_node_has_among_several(tmp_path: Path) -> None:
    audit_app = _audit_app()
    graph = _csv_graph(
        tmp_path, "id,label\na,Media\nc,Control\nh,Alt-right\n", "source,target\na,h\nc,c\n"
    )
    args = [*graph, "--target-label", "ALT-RIGHT"]
    # A misspelt second start label would quietly leave its nodes out of the starts.
    result = CliRunner().invoke(
        audit_app, [*args, "--start-label", "media", "--start-label", "contrl"]
    )
    assert result.exit_code != 0
    assert "no node labelled contrl (labels: alt-right, control, media)" in str(result.exception)
    result = CliRunner().invoke(
        audit_app, [*args, "--start-label", "Media", "--start-label", "control", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["edges.csv"]["start_labels"] == ["media", "control"]
    # The simulated catalog's labels are matched the same way.
    simulated = [
        "paths",
        "--ranker",
        "popularity",
        "--start-label",
        "Mainstream",
        "--target-label",
        "Harmfull",
    ]
    result = CliRunner().invoke(audit_app, simulated)
    assert "labelled mainstream, borderline, harmful: not ['harmfull']" in str(result.exception)


def test_audit_paths_reads_as_a_share_with_its_interval_and_the_hops(tmp_path: Path) -> None:
    # From a: straight to h, or to x, which the crawl never expanded (a dead end).
    graph = _csv_graph(tmp_path, "id,label\na,mainstream\nh,harmful\n", "source,target\na,h\na,x\n")
    args = [*graph, "--hops", "3", "--walks", "2000", "--seed", "4"]
    audit = json.loads(CliRunner().invoke(_audit_app(), [*args, "--json"]).output)["edges.csv"]
    result = CliRunner().invoke(_audit_app(), args)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    low, high = audit["share_95"]["low"], audit["share_95"]["high"]
    assert f"{audit['share']:.2%} ({low * 100:.2f}–{high:.2%})" in text
    # Reached by each hop, cumulatively.
    for hop, share in enumerate(audit["cumulative_share"], start=1):
        assert re.search(rf"│ +{hop} +│ +{share:.2%} +│", result.output), (hop, result.output)
    stopped = audit["stopped_short"]
    assert stopped == 2000 - audit["reached"]
    assert (
        f"{stopped} of 2000 walks ({stopped / 2000:.1%}) stopped at a node without recommendations"
        in text
    )


def test_an_unwritable_out_fails_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = main(["simulate", "--ranker", "popularity", "--out", str(blocker / "run"), *SMALL])
    assert code != 0
    err = capsys.readouterr().err
    assert f"--out {blocker / 'run'}" in err
    assert "Traceback" not in err


def test_events_go_to_a_new_folder(tmp_path: Path) -> None:
    events = tmp_path / "new" / "folder" / "events.jsonl"
    args = [
        "simulate",
        "--ranker",
        "random",
        "--out",
        str(tmp_path / "run"),
        "--events",
        str(events),
    ]
    result = CliRunner().invoke(app, [*args, *SMALL, "--no-paths", "--steps", "1"])
    assert result.exit_code == 0, result.output
    assert events.stat().st_size > 0


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("users: [1, 2\n", "not valid YAML: expected ',' or ']'"),
        ("- users\n", "must hold a mapping, not list"),
        ("users: 100\nstepz: 2\n", "invalid sim config: stepz: Extra inputs are not permitted"),
        ("harmful_threshold: 0.1\n", "borderline band"),
        # Not a number would be written into metrics.json's config as NaN, which no strict
        # JSON reader accepts, and would make every draw it enters meaningless.
        ("open_bias: .nan\n", "open_bias: Input should be a finite number"),
        ("return_bias: -.inf\n", "return_bias: Input should be a finite number"),
    ],
)
def test_a_bad_world_file_is_one_line_and_runs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: str, message: str
) -> None:
    world = tmp_path / "world.yaml"
    world.write_text(document)
    out = tmp_path / "run"
    assert main(["simulate", "--ranker", "random", "--config", str(world), "--out", str(out)]) != 0
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert not out.exists()


def test_a_bad_gate_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gate = tmp_path / "gate.yaml"
    gate.write_text("candidate: safety\nkpis: {max_watch_time_loss: lots}\n")
    assert main(["gate", str(gate)]) != 0
    err = capsys.readouterr().err.strip()
    assert "kpis.max_watch_time_loss: Input should be a valid number" in err
    assert len(err.splitlines()) == 1


def test_a_negative_seed_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # NumPy seeds only from non-negative integers: the run died in its first draw.
    out = tmp_path / "run"
    code = main(["simulate", "--ranker", "random", "--seed", "-1", "--out", str(out), *SMALL])
    assert code != 0
    err = capsys.readouterr().err.strip()
    assert "--seed" in err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1
    assert not out.exists()


def test_a_run_is_reproduced_from_its_metrics_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # metrics.json's config is "everything needed to reproduce the run", yet handed back
    # to --config its run keys (ranker, overrides, seeds, version) were unknown fields.
    world = tmp_path / "world.yaml"
    world.write_text("users: 40\nsteps: 2\ntopics: 3\nbots: 5\n")
    args = ["simulate", "--ranker", "popularity", "--seed", "4", "--walks", "20", "--quiet"]
    first = tmp_path / "first" / "metrics.json"
    assert main([*args, "--config", str(world), "--out", str(first.parent)]) == 0
    document = json.loads(first.read_text())
    block = tmp_path / "config.json"
    block.write_text(json.dumps(document["config"]))
    for source, rerun in ((first, "from-document"), (block, "from-config")):
        again = tmp_path / rerun / "metrics.json"
        assert main([*args, "--config", str(source), "--out", str(again.parent)]) == 0, rerun
        assert again.read_bytes() == first.read_bytes(), rerun
    # Overrides are a gate's; simulate runs shipped rankers, so it cannot honour them.
    block.write_text(json.dumps({**document["config"], "overrides": {"mmr_lambda": 0.5}}))
    out = tmp_path / "overridden"
    capsys.readouterr()
    assert main([*args, "--config", str(block), "--out", str(out)]) != 0
    err = capsys.readouterr().err.strip()
    assert "overrides" in err
    assert len(err.splitlines()) == 1
    assert not out.exists()


def test_a_run_into_a_used_folder_leaves_no_earlier_results(tmp_path: Path) -> None:
    # A second run into the same --out left the first one's metrics beside its own
    # (OUT/metrics.json next to OUT/NAME/metrics.json, or the other way round), so a
    # reader of the folder mixed two runs. What else is in the folder stays.
    out = tmp_path / "run"
    mine = out / "notes.txt"
    base = ["simulate", "--out", str(out), *SMALL, "--no-paths"]
    for rankers in (["popularity", "random"], ["random"], ["random", "popularity"]):
        assert main([*base, *(f"--ranker={name}" for name in rankers)]) == 0
        mine.write_text("kept")
        written = sorted(p.relative_to(out).as_posix() for p in out.rglob("metrics.json"))
        expected = ["metrics.json"] if len(rankers) == 1 else [f"{n}/metrics.json" for n in rankers]
        assert written == sorted(expected), rankers
        folders = sorted(p.name for p in out.iterdir() if p.is_dir())
        assert folders == (sorted(rankers) if len(rankers) > 1 else []), rankers
        assert mine.read_text() == "kept"


def test_a_comparison_names_each_metrics_file_it_wrote(tmp_path: Path) -> None:
    args = ["simulate", "--ranker", "popularity", "--ranker", "random", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, *SMALL])
    assert result.exit_code == 0, result.output
    printed = "".join(result.output.split())  # the console wraps long paths
    for name in ("popularity", "random"):
        assert (tmp_path / name / "metrics.json").is_file()
        assert str(tmp_path / name / "metrics.json") in printed
    assert "NAME" not in printed

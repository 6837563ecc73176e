"""A sweep as Ray tasks writes the same files as local processes, on a real local Ray."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safefeed.cli.main import app, main
from safefeed.exceptions import ConfigError
from safefeed.sim.cluster import import_ray, run_on_ray
from safefeed.sim.config import SimConfig

# Two rankers (the real engine and a seam) x two seeds: four units, two at a time.
SWEEP = ["simulate", "--ranker", "safety", "--ranker", "popularity", "--seeds", "2", "--seed", "1"]
TINY = ["--users", "60", "--steps", "2", "--walks", "30"]


def test_a_sweep_on_ray_writes_what_local_processes_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ray = import_ray()  # Ray is a dev dependency: without it this fails, it never skips
    # Ray binds the node's routable address on Linux unless told to stay on loopback.
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

    def simulate(*args: str) -> str:
        result = CliRunner().invoke(app, [*SWEEP, *TINY, *args])
        assert result.exit_code == 0, result.output
        return result.stderr

    simulate("--workers", "1", "--quiet", "--out", str(tmp_path / "local"))
    # A local Ray of two CPUs (~4 s, ~0.8 GB here), started by the command and stopped after.
    progress = simulate("--backend", "ray", "--workers", "2", "--out", str(tmp_path / "ray"))
    assert "safety seed 2 (ray)" in progress  # each unit ran as a Ray task
    assert not ray.is_initialized()
    for name in ("safety/metrics.json", "popularity/metrics.json", "report.html"):
        expected = (tmp_path / "local" / name).read_bytes()
        assert (tmp_path / "ray" / name).read_bytes() == expected, name
    assert json.loads((tmp_path / "ray/safety/metrics.json").read_text())["seeds"] == [1, 2]


def test_a_failing_unit_raises_its_own_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not Ray's wrapper with the remote traceback: the CLI prints it in one line."""
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    with pytest.raises(ConfigError, match=r"^unknown ranker 'nope'") as raised:
        run_on_ray([("nope", {})], SimConfig(users=10, steps=1), [0], num_cpus=1)
    assert type(raised.value) is ConfigError
    assert not import_ray().is_initialized()


def test_without_ray_the_backend_fails_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets when it is absent
    code = main(["simulate", "--ranker", "popularity", "--backend", "ray", "--out", str(tmp_path)])
    assert code != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "pip install 'safefeed[ray]'" in err
    assert not (tmp_path / "metrics.json").exists()


def test_a_ray_address_needs_the_ray_backend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", "--ranker", "popularity", "--ray-address", "auto", "--out", str(tmp_path)]
    assert main(args) != 0
    assert "--ray-address needs --backend ray" in capsys.readouterr().err

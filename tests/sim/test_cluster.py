"""A sweep as Ray tasks: the same files as local processes, on a real local Ray."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safefeed.cli.main import app, main
from safefeed.sim.cluster import import_ray

TINY = ["--seeds", "2", "--seed", "1", "--users", "60", "--steps", "2", "--walks", "30"]
RANKERS = ["--ranker", "safety", "--ranker", "popularity"]  # the real engine and a seam


@pytest.fixture
def local_ray() -> Iterator[None]:
    """A Ray instance of two CPUs on loopback, started by this test and stopped after it.

    Only one test starts one (about 4 s and 0.8 GB here), so pytest-xdist never runs two.
    """
    ray = import_ray()  # Ray is a dev dependency: without it this errors, it never skips
    with pytest.MonkeyPatch.context() as env:
        # Ray binds the node's routable address on Linux unless told to stay on loopback.
        env.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 2**20)
        try:
            yield
        finally:
            ray.shutdown()


def test_a_sweep_on_ray_writes_what_local_processes_write(local_ray: None, tmp_path: Path) -> None:
    runner = CliRunner()
    for backend in ("local", "ray"):
        args = ["simulate", *RANKERS, *TINY, "--backend", backend, "--quiet"]
        result = runner.invoke(app, [*args, "--workers", "1", "--out", str(tmp_path / backend)])
        assert result.exit_code == 0, result.output
    for name in ("safety/metrics.json", "popularity/metrics.json", "report.html"):
        local = (tmp_path / "local" / name).read_bytes()
        assert (tmp_path / "ray" / name).read_bytes() == local, name
    assert b'"seeds": [\n    1,\n    2\n  ]' in (tmp_path / "ray/safety/metrics.json").read_bytes()


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

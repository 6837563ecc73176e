"""The release gate on the real feed engine: removing the safety penalty fails, the shipped
default passes — the same KPIs, the same world, the same seeds."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from safefeed.sim.config import SimConfig
from safefeed.sim.gate import GateConfig, run_gate
from safefeed.sim.runner import PathSettings, SimResult, run_seeds

_GATE = """
current: safety
seeds: [0, 1]
path_hops: 3
path_walks: 20
# A small world with much edgy supply and a weak classifier, so a few steps show the gap.
sim: {users: 40, steps: 4, topics: 6, creators: 30, initial_items: 300, items_per_step: 15,
      new_creators_per_step: 1, bots: 20, brigade_size: 10, homogenization_pairs: 10,
      edgy_creator_share: 0.3, label_coverage: 0.3}
kpis:
  max_harmful_exposure_rate: null
  max_borderline_exposure_increase: 0.0
  max_watch_time_loss: 0.05
"""


class _Memo:
    """Runs each ranker once: both gates share the current configuration's runs."""

    def __init__(self) -> None:
        self.done: dict[str, list[SimResult]] = {}

    def __call__(
        self,
        ranker: str,
        overrides: dict[str, Any],
        config: SimConfig,
        seeds: Sequence[int],
        paths: PathSettings,
    ) -> list[SimResult]:
        if ranker not in self.done:
            self.done[ranker] = run_seeds(
                ranker, config, seeds, workers=2, overrides=overrides, paths=paths
            )
        return self.done[ranker]


@pytest.mark.slow
def test_the_gate_fails_no_safety_penalty_and_passes_the_default(tmp_path: Path) -> None:
    runner = _Memo()
    path = tmp_path / "gate.yaml"
    path.write_text("candidate: no_safety_penalty\n" + _GATE)
    failed, documents = run_gate(GateConfig.from_yaml(path), runner=runner)
    assert not failed.passed
    check = next(c for c in failed.checks if c.name == "borderline_exposure_increase")
    assert not check.passed, documents["candidate"]["totals"]
    path.write_text("candidate: safety\n" + _GATE)
    passed, _ = run_gate(GateConfig.from_yaml(path), runner=runner)
    assert passed.passed, passed.checks
    assert set(runner.done) == {"safety", "no_safety_penalty"}

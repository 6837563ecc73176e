"""The live categories on an outside world (`tests/risk/foreign/world.py`): a platform
with other conventions and other look-alikes than the scenario generator's.

The floors held on none of this world's seeds before `age-exposure-6`,
`vulnerability-4` and `context-6`: seed 1 surfaced 65% of its harmful subjects, with
16 of 116 benign ones at medium or above (docs/risk.md, "An outside world").
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest

from safefeed.risk.config import load_risk_config
from safefeed.risk.evaluation import evaluate
from safefeed.risk.replay import replay
from tests.risk.foreign.world import SMALL, generate


@pytest.mark.slow
def test_the_outside_world_surfaces_its_harm_and_spares_its_look_alikes(tmp_path: Path) -> None:
    events, truth = generate(1, SMALL)
    log = tmp_path / "events.jsonl"
    log.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    result, summary = replay(log, tmp_path / "out", load_risk_config())
    assert summary["lines_rejected"] == 0
    report = evaluate(result.cases, truth)
    assert report["surfaced_before_violation_share"] >= 0.9
    assert report["median_lead_share_of_span"] >= 0.5
    assert report["benign_fp_rate_medium_or_above"] <= 0.08
    # Every harmful kind surfaces, the creators inviting their young viewers and the
    # minors whose late lives adults pile into among them.
    missed = Counter(s["scenario"] for s in report["subjects"] if not s["surfaced"])
    kinds = Counter(s["scenario"] for s in truth["subjects"] if s["label"] == "harmful")
    assert all(missed[kind] < count for kind, count in kinds.items()), missed
    # A family's relatives and young adults among 16-17-year-old friends stay below medium.
    scenario = {s["subject_id"]: s["scenario"] for s in truth["subjects"]}
    flagged = Counter(scenario[f.split(":", 1)[1]] for f in report["benign_false_positives"])
    assert flagged["family_relative"] == 0
    assert flagged["young_adult_friend"] == 0

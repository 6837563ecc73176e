"""Training, the registry, and serving with the learned ranker, end to end on the
demo platform's users and served traffic."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from safefeed.clock import ManualClock, to_us
from safefeed.demo.served import serve_demo_traffic
from safefeed.exceptions import InputError, NotFoundError
from safefeed.feed.contracts import FeedRequest
from safefeed.feed.ranking.features import TASKS
from safefeed.feed.ranking.learned import models_root
from safefeed.feed.training import (
    activate,
    active_version,
    build_dataset,
    list_versions,
    offline_utility,
    save_version,
    train_models,
)
from safefeed.runtime import Runtime
from safefeed.store.tables import AuditRecord, table_of
from tests.feed.training.test_dataset import load_demo, send


def learned_page(runtime: Runtime, user: str = "u00003") -> tuple[dict[str, str], dict]:  # type: ignore[type-arg]
    response = runtime.feed.serve([FeedRequest(user_id=user, ranker="learned")])[0]
    return response.versions, {"trace": response.trace, "items": response.items}


def test_without_an_active_model_the_learned_ranker_says_it_uses_smoothed_estimates(
    runtime: Runtime, clock: ManualClock
) -> None:
    load_demo(runtime, clock)
    versions, page = learned_page(runtime)
    assert versions["model"] == "smoothed-estimates-1"
    assert page["trace"]["model_reason"].startswith("no ranker model is active")


@pytest.mark.parametrize("ranker", ["safety", "engagement"])
def test_the_offline_utility_is_the_one_serving_ranked_by(
    runtime: Runtime, clock: ManualClock, ranker: str
) -> None:
    # Offline metrics rank by the ranker's utility: were training to weigh the task
    # estimates differently from serving (a missing objective, the safety score's
    # discount), a model would be judged by a utility it never ranks with.
    load_demo(runtime, clock, items=400)
    config = runtime.feed.config
    # Scores between the floor and the hold: graded, discounted, not held.
    flags = [
        {
            "type": "moderation.flag",
            "subject_type": "content",
            "subject_id": f"c{i:06d}",
            "source": "classifier",
            "category": "violent_extremism",
            "severity": "low",
            "score": 0.5 + 0.25 * (i % 3) / 2,
        }
        for i in range(0, 400, 2)
    ]
    send(runtime, clock, flags)
    items = [
        item
        for user in ("u00003", "u00011", "u00020", "u00031")
        for item in runtime.feed.serve([FeedRequest(user_id=user, ranker=ranker)])[0].items
        if item.features
    ]
    assert len(items) >= 20
    assert any(item.features["safety_score"] > config.safety_score.floor for item in items)
    columns = {
        name: np.array([item.features[name] for item in items]) for name in items[0].features
    }
    tasks = {task: columns[f"p_{task}"] for task in TASKS}
    offline = offline_utility(tasks, columns, config.ranker(ranker), config.safety_score)
    assert offline == pytest.approx([item.score for item in items], rel=1e-9, abs=1e-9)


@pytest.mark.slow
def test_train_activate_serve_and_deactivate(runtime: Runtime, clock: ManualClock) -> None:
    load_demo(runtime, clock, items=600)
    start = clock.now()
    serve_demo_traffic(runtime, clock, pages=200, batch=20, seed=5)
    with runtime.database.read() as conn:
        data = build_dataset(conn, to_us(start), to_us(clock.now() + timedelta(seconds=1)))
    assert len(data) > 1000
    assert data.labels["open"].sum() > 50
    config = runtime.feed.config
    trained = train_models(data, config.ranker("safety"), config.safety_score)
    assert "open" in trained.boosters
    ranking = trained.metrics["ranking"]
    assert set(ranking) == {"learned", "smoothed", "served_order"}
    assert 0.0 < ranking["learned"]["ndcg@10_debiased"] <= 1.0
    version = save_version(runtime.settings.data_dir, data, trained, clock.now())
    stored = json.loads(
        (models_root(runtime.settings.data_dir) / version / "metrics.json").read_text()
    )
    assert stored["tasks"]["open"]["learned"]["auc"] is not None
    assert [v["version"] for v in list_versions(runtime.settings.data_dir)] == [version]

    with runtime.database.write() as conn:
        activate(conn, runtime.audit, runtime.settings.data_dir, version, actor="t", reason="test")
    assert active_version(runtime.settings.data_dir) == version
    versions, page = learned_page(runtime)
    assert versions["model"] == version
    assert page["trace"]["model"] == version
    # Learned risk only ever raises the smoothed estimate.
    for item in page["items"]:
        assert item.features["p_hide"] >= item.features["s_hide"]
        assert item.features["p_report"] >= item.features["s_report"]
    # Other rankers keep the smoothed estimates.
    other = runtime.feed.serve([FeedRequest(user_id="u00003")])[0]
    assert other.versions["model"] == "smoothed-estimates-1"

    with runtime.database.write() as conn:
        activate(conn, runtime.audit, runtime.settings.data_dir, None, actor="t", reason="undo")
        records = conn.execute(select(table_of(AuditRecord))).all()
    actions = [(r.action, r.versions) for r in records if r.action.startswith("ranker_model.")]
    assert actions == [
        ("ranker_model.activated", {"from": "smoothed", "to": version}),
        ("ranker_model.deactivated", {"from": version, "to": "smoothed"}),
    ]
    versions, _ = learned_page(runtime)
    assert versions["model"] == "smoothed-estimates-1"


def test_activation_needs_a_known_version_and_a_reason(runtime: Runtime) -> None:
    with runtime.database.write() as conn, pytest.raises(NotFoundError):
        activate(conn, runtime.audit, runtime.settings.data_dir, "ranker-x", actor="t", reason="r")
    (models_root(runtime.settings.data_dir) / "ranker-y").mkdir(parents=True)
    (models_root(runtime.settings.data_dir) / "ranker-y" / "model.json").write_text("{}")
    with runtime.database.write() as conn, pytest.raises(InputError):
        activate(conn, runtime.audit, runtime.settings.data_dir, "ranker-y", actor="t", reason=" ")


def test_a_broken_active_model_falls_back_with_the_reason(
    runtime: Runtime, clock: ManualClock
) -> None:
    load_demo(runtime, clock)
    root = models_root(runtime.settings.data_dir)
    (root / "ranker-broken").mkdir(parents=True)
    (root / "ranker-broken" / "model.json").write_text('{"version": "ranker-broken"}')
    (root / "ACTIVE").write_text("ranker-broken\n")
    versions, page = learned_page(runtime)
    assert versions["model"] == "smoothed-estimates-1"
    assert "ranker-broken cannot be loaded" in page["trace"]["model_reason"]
    assert np.isfinite([i.score for i in page["items"]]).all()

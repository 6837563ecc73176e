"""The simulator's production binding drives the real feed engine end to end."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from safefeed.exceptions import ConfigError
from safefeed.settings import Settings
from safefeed.sim.config import SimConfig
from safefeed.sim.engine import FeedEngineRecommender
from safefeed.sim.rankers import close_recommender, resolve_recommender
from safefeed.sim.runner import run_seeds, run_simulation
from safefeed.store.feed_tables import FeedRequestRow
from safefeed.store.tables import table_of

TINY = SimConfig(
    users=30, steps=2, creators=20, initial_items=200, items_per_step=10, new_creators_per_step=0
)


def test_a_named_ranker_runs_the_world_through_the_real_engine() -> None:
    recommender = resolve_recommender("safety", 3, config=TINY)
    assert isinstance(recommender, FeedEngineRecommender)
    workdir = recommender.workdir
    try:
        result = run_simulation(recommender, TINY, 3)
        with recommender.runtime.database.read() as conn:
            from safefeed.store.event_log import EventLog

            stored = EventLog.count(conn)
    finally:
        close_recommender(recommender)
    # The world's events went through the real ingestion into the run's own store ...
    assert stored > TINY.initial_items
    # ... and the pages came back from the engine: impressions were served and measured.
    impressions = result.totals["impressions"]
    assert impressions > 0
    assert 0.0 <= result.totals["harmful_exposure_rate"] <= 1.0
    assert not workdir.exists()  # the scratch store is removed when the run is done


def test_the_scratch_store_is_reproducible_and_not_durable_unlike_production() -> None:
    recommender = FeedEngineRecommender("safety", TINY, 1)
    try:
        assert recommender.runtime.settings.durable is False
        assert recommender.runtime.feed.catalog.indexes[0].threads == 1
        with recommender.runtime.database.read() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 0  # OFF
    finally:
        recommender.close()
    production = Settings.from_env({})
    assert production.durable is True
    assert production.reproducible is False


def test_seeds_run_in_process_leave_no_scratch_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (result,) = run_seeds("safety", TINY.with_overrides(steps=1), [4], workers=1)
    assert result.totals["impressions"] > 0
    assert not list(tmp_path.glob("safefeed-sim-*"))


def test_overrides_tune_the_named_ranker_and_are_stamped_on_every_page() -> None:
    recommender = FeedEngineRecommender(
        "safety", TINY, 2, overrides={"weights": {"watch_time": 2.0}, "mmr_lambda": 0.5}
    )
    try:
        config = recommender.runtime.feed.config
        ranker = config.rankers["safety"]
        assert (ranker.weights["watch_time"], ranker.mmr_lambda) == (2.0, 0.5)
        assert ranker.weights["report"] == -12.0  # the rest of the weights are kept
        assert config.version.startswith("feed-")
        assert "+" in config.version
        run_simulation(recommender, TINY.with_overrides(steps=1), 2)
        requests = table_of(FeedRequestRow)
        with recommender.runtime.database.read() as conn:
            versions = [
                v["feed_config"] for v in conn.execute(select(requests.c.versions)).scalars()
            ]
        assert versions
        assert set(versions) == {config.version}
    finally:
        recommender.close()


def test_a_bad_override_fails_before_any_run() -> None:
    with pytest.raises(ConfigError, match="mmr_lambda"):
        FeedEngineRecommender("safety", TINY, 2, overrides={"mmr_lambda": 3.0})


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_an_override_that_is_no_number_fails_before_any_run(value: float) -> None:
    # NaN passes every comparison unchecked: a NaN weight would rank every page at random.
    with pytest.raises(ConfigError, match="watch_time"):
        FeedEngineRecommender("safety", TINY, 2, overrides={"weights": {"watch_time": value}})


def test_a_day_served_in_chunks_is_the_day_served_in_one_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import safefeed.sim.engine as binding

    def run() -> tuple[object, object]:
        recommender = resolve_recommender("safety", 5, config=TINY)
        try:
            result = run_simulation(recommender, TINY, 5)
        finally:
            close_recommender(recommender)
        return result.series, result.totals

    whole = run()
    monkeypatch.setattr(binding, "_SERVE_CHUNK", 4)  # 30 users: eight calls a day
    assert run() == whole

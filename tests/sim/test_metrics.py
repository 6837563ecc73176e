"""Each metric on a hand-made step whose answer is computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from safefeed.sim.catalog import Catalog
from safefeed.sim.config import SimConfig
from safefeed.sim.engagement import PageResponse
from safefeed.sim.metrics import REQUIRED_KEYS, TOTAL_KEYS, MetricsRecorder
from safefeed.sim.population import Population


def _world() -> tuple[SimConfig, Catalog, Population]:
    config = SimConfig(users=2, topics=2, creators=2, initial_items=4, items_per_step=0,
                       new_creators_per_step=0, steps=1, homogenization_pairs=1)  # fmt: skip
    rng = np.random.default_rng(0)
    catalog = Catalog.create(config, rng)
    catalog.extremeness[:4] = [0.1, 0.7, 0.9, 0.2]  # mainstream, borderline, harmful, mainstream
    catalog.creator[:4] = [0, 0, 1, 1]
    catalog.topic[:4] = [0, 1, 0, 1]
    population = Population.create(config, rng)
    population.position[:] = [0.2, 0.4]
    return config, catalog, population


def _response(opened: list[list[bool]], watch: list[list[float]]) -> PageResponse:
    shape = (2, 2)
    no = np.zeros(shape, dtype=bool)
    return PageResponse(
        valid=np.ones(shape, dtype=bool),
        opened=np.array(opened),
        completion=np.zeros(shape),
        watch_s=np.array(watch),
        liked=no,
        regret=np.array([[False, False], [False, True]]),
        hidden=np.array([[False, False], [True, False]]),
        reported=np.array([[False, False], [False, True]]),
    )


def test_one_step_by_hand() -> None:
    config, catalog, population = _world()
    recorder = MetricsRecorder.start(config, population, np.random.default_rng(0))
    users = np.array([0, 1])
    items = np.array([[0, 1], [2, 3]])
    response = _response([[True, True], [False, True]], [[60.0, 60.0], [0.0, 120.0]])
    population.consumed_topics[0] = [1, 1]
    population.consumed_topics[1] = [0, 1]
    recorder.record(0, users, items, response, catalog, population)
    s = {k: v[0] for k, v in recorder.series.items()}
    assert s["harmful_exposure_rate"] == 0.25  # item 2 of 4 impressions
    assert s["borderline_exposure_rate"] == 0.25  # item 1
    assert s["watch_time"] == pytest.approx(240 / 60 / 2)  # minutes per starting user
    assert s["watch_time_per_session"] == pytest.approx(2.0)
    assert s["open_rate"] == 0.75
    assert s["reports_per_1k_sessions"] == 500.0  # 1 report, 2 sessions
    assert s["hides_per_1k_sessions"] == 500.0
    assert s["satisfied_sessions"] == 0.5  # user 1 regretted and hid
    # User 0 consumed topics 0 and 1 (entropy 1), user 1 only topic 1 (entropy 0).
    assert s["topic_diversity"] == pytest.approx(0.5)
    assert s["creator_gini"] == 0.0  # both creators got 2 impressions
    assert s["extremeness_mean"] == pytest.approx(0.3)
    assert s["retention"] == 1.0
    # The one pair is (0, 1) in some order: consumed {0, 1} vs {3} share nothing.
    assert s["homogenization"] == 0.0
    assert s["new_creator_exposure"] == 0.0  # both creators are established

    totals = recorder.totals(population)
    assert set(TOTAL_KEYS) <= set(totals)
    assert set(REQUIRED_KEYS) <= set(totals)
    assert totals["topic_diversity"] == pytest.approx(0.5)
    assert totals["harmful_exposure_rate_max"] == 0.25


def test_concentrated_exposure_and_shared_consumption() -> None:
    config, catalog, population = _world()
    recorder = MetricsRecorder.start(config, population, np.random.default_rng(0))
    items = np.array([[0, 1], [0, 1]])  # both users see creator 0's items only
    response = _response([[True, False], [True, False]], [[10.0, 0.0], [10.0, 0.0]])
    recorder.record(0, np.array([0, 1]), items, response, catalog, population)
    assert recorder.series["creator_gini"][0] == pytest.approx(0.5)  # [4, 0] over 2 creators
    assert recorder.series["homogenization"][0] == 1.0  # both consumed exactly {item 0}
    assert recorder.series["harmful_exposure_rate"][0] == 0.0

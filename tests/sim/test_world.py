"""The world: deterministic by seed, drift follows consumption, labels follow coverage and lag."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from safefeed.exceptions import InputError
from safefeed.sim.catalog import LABEL_HARMFUL, LABEL_NONE
from safefeed.sim.config import SimConfig
from safefeed.sim.feedback import StepFeedback, item_id
from safefeed.sim.recommender import Recommender, SimRequest
from safefeed.sim.runner import run_simulation
from safefeed.sim.seams import PopularityRecommender, RandomRecommender
from safefeed.sim.world import World


class FixedOrderFeed:
    """Serves every user the same items, chosen by the world's hidden truth (tests only)."""

    def __init__(self, world: World, most_extreme: bool) -> None:
        self.name = "fixed"
        self.world = world
        self.most_extreme = most_extreme

    def observe(self, feedback: StepFeedback) -> None:
        pass

    def recommend(self, requests: Sequence[SimRequest]) -> list[list[str]]:
        cat = self.world.catalog
        x = cat.extremeness[: cat.n_items]
        order = np.argsort(-x if self.most_extreme else x, kind="stable")
        page = [item_id(int(i)) for i in order[: self.world.config.page_size]]
        return [page for _ in requests]


def _run(recommender: Recommender, config: SimConfig, seed: int) -> dict[str, float]:
    return run_simulation(recommender, config, seed).totals


def test_same_seed_same_metrics_other_seed_other_metrics(tiny: SimConfig) -> None:
    a = run_simulation(PopularityRecommender(seed=3), tiny, seed=3)
    b = run_simulation(PopularityRecommender(seed=3), tiny, seed=3)
    c = run_simulation(PopularityRecommender(seed=4), tiny, seed=4)
    assert a.series == b.series
    assert a.totals == b.totals
    assert a.totals != c.totals


def test_users_fed_extreme_content_drift_upward(tiny: SimConfig) -> None:
    config = tiny.with_overrides(steps=6, susceptibility_mean=0.1)
    extreme_world = World(config, seed=1)
    mild_world = World(config, seed=1)
    extreme = FixedOrderFeed(extreme_world, most_extreme=True)
    mild = FixedOrderFeed(mild_world, most_extreme=False)
    start = float(extreme_world.population.position.mean())
    for _ in range(config.steps):
        extreme_world.step(extreme)
        mild_world.step(mild)
    up = extreme_world.metrics.series["extremeness_mean"]
    down = mild_world.metrics.series["extremeness_mean"]
    assert up[-1] > start + 0.01
    assert up == sorted(up)  # monotone upward, step by step
    assert down[-1] < start
    # Everyone saw the same page: harmful exposure is that page's harmful share.
    cat = extreme_world.catalog
    top = np.argsort(-cat.extremeness[: config.initial_items], kind="stable")[: config.page_size]
    expected = float(cat.harmful(top).mean())
    assert expected > 0
    assert extreme_world.metrics.series["harmful_exposure_rate"][0] == pytest.approx(expected)
    assert mild_world.metrics.series["harmful_exposure_rate"][0] == 0.0


def test_susceptibility_zero_means_no_drift(tiny: SimConfig) -> None:
    world = World(tiny.with_overrides(susceptibility_mean=0.0), seed=2)
    before = world.population.position.copy()
    feed = FixedOrderFeed(world, most_extreme=True)
    for _ in range(3):
        world.step(feed)
    assert np.array_equal(world.population.position, before)


def _labels_by_step(config: SimConfig, seed: int = 0) -> tuple[World, list[StepFeedback]]:
    world = World(config, seed)
    feedbacks = [world.initial_feedback()]
    feed = RandomRecommender(seed=seed)
    feed.observe(feedbacks[0])
    for _ in range(config.steps):
        feedbacks.append(world.step(feed))
        feed.observe(feedbacks[-1])
    return world, feedbacks


def test_full_coverage_labels_every_harmful_item_exactly_lag_steps_later(tiny: SimConfig) -> None:
    config = tiny.with_overrides(
        label_coverage=1.0, classifier_fpr=0.0, borderline_recall=0.0, label_lag=2,
        report_review_threshold=0, steps=6, edgy_creator_share=0.5,
    )  # fmt: skip
    world, feedbacks = _labels_by_step(config)
    cat = world.catalog
    for feedback in feedbacks[1:]:
        # Labels delivered after step t take effect at t + 1: items published at t + 1 - lag.
        for label in feedback.labels:
            ordinal = int(label.content_id[1:])
            assert cat.published[ordinal] == feedback.step + 1 - config.label_lag
            assert label.policy_state == "not_recommendable"
    live = np.arange(cat.n_items)
    due = cat.published[live] + config.label_lag <= config.steps
    harmful = cat.harmful(live)
    assert harmful[due].any()
    assert (cat.label[live][harmful & due] == LABEL_HARMFUL).all()
    assert (cat.label[live][harmful & ~due] == LABEL_NONE).all()  # not yet: lag
    assert (cat.label[live][~harmful] == LABEL_NONE).all()  # no false positives at fpr 0


def test_coverage_is_the_classifiers_recall(tiny: SimConfig) -> None:
    config = tiny.with_overrides(
        initial_items=4000, edgy_creator_share=0.5, classifier_fpr=0.0, report_review_threshold=0
    )
    for coverage in (0.0, 0.5):
        world = World(config.with_overrides(label_coverage=coverage), seed=5)
        world.initial_feedback()
        cat = world.catalog
        live = np.arange(cat.n_items)
        harmful = cat.harmful(live)
        recall = float((cat.label[live][harmful] == LABEL_HARMFUL).mean())
        assert recall == pytest.approx(coverage, abs=0.06)


def test_false_positive_rate_labels_mainstream_items(tiny: SimConfig) -> None:
    config = tiny.with_overrides(initial_items=5000, classifier_fpr=0.1, borderline_recall=0.0)
    world = World(config, seed=6)
    world.initial_feedback()
    cat = world.catalog
    live = np.arange(cat.n_items)
    mainstream = ~cat.harmful(live) & ~cat.borderline(live)
    assert float((cat.label[live][mainstream] == LABEL_HARMFUL).mean()) == pytest.approx(
        0.1, abs=0.02
    )


def test_bots_inflate_engagement_but_are_not_users(tiny: SimConfig) -> None:
    world = World(tiny, seed=0)
    feed = RandomRecommender()
    feed.observe(world.initial_feedback())
    acts = world.step(feed).interactions
    bot_rows = acts.user >= tiny.users
    assert bot_rows.sum() == tiny.brigade_items_per_step * tiny.brigade_size
    assert acts.opened[bot_rows].all()
    assert (acts.session[bot_rows] == -1).all()
    assert world.metrics.series["impressions"][0] == (~bot_rows).sum()


def test_a_recommender_that_returns_unknown_ids_is_an_error(tiny: SimConfig) -> None:
    class Broken:
        name = "broken"

        def observe(self, feedback: StepFeedback) -> None:
            pass

        def recommend(self, requests: Sequence[SimRequest]) -> list[list[str]]:
            return [["nope"] for _ in requests]

    world = World(tiny, seed=0)
    world.initial_feedback()
    with pytest.raises(InputError, match="unknown content id 'nope'"):
        world.step(Broken())


def test_short_pages_are_fewer_impressions(tiny: SimConfig) -> None:
    class Short:
        name = "short"

        def observe(self, feedback: StepFeedback) -> None:
            pass

        def recommend(self, requests: Sequence[SimRequest]) -> list[list[str]]:
            return [["i0", "i1"] if n % 2 else [] for n in range(len(requests))]

    world = World(tiny, seed=0)
    world.initial_feedback()
    world.step(Short())
    sessions = world.metrics.series["sessions"][0]
    assert world.metrics.series["impressions"][0] == 2 * (sessions // 2)


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="borderline band"):
        SimConfig(harmful_threshold=0.2, borderline_band=0.3)
    with pytest.raises(ValueError, match="label_coverage"):
        SimConfig(label_coverage=1.5)
    with pytest.raises(ValueError, match="unknown_parameter"):
        SimConfig(unknown_parameter=1)  # type: ignore[call-arg]


def test_the_prescreen_scores_every_upload_and_flags_only_above_its_floor(
    tiny: SimConfig,
) -> None:
    config = tiny.with_overrides(initial_items=3000, edgy_creator_share=0.3, prescreen_noise=0.1)
    world = World(config, seed=8)
    published = world.initial_feedback().published
    cat = world.catalog
    live = np.arange(cat.n_items)
    assert not np.isnan(cat.prescreen[live]).any()
    # A noisy reading of the truth: harmful uploads score far above mainstream ones.
    harmful, mainstream = cat.harmful(live), ~cat.harmful(live) & ~cat.borderline(live)
    assert harmful.any()
    assert cat.prescreen[live][harmful].mean() > cat.prescreen[live][mainstream].mean() + 0.4
    flagged = {p.content_id: p.safety_score for p in published if p.safety_score is not None}
    expected = {item_id(int(i)) for i in live[cat.prescreen[live] >= config.prescreen_floor]}
    assert set(flagged) == expected
    assert 0 < len(flagged) < len(published)


def test_the_prescreen_draws_leave_the_rest_of_the_world_unchanged(tiny: SimConfig) -> None:
    on = World(tiny, seed=4)
    off = World(tiny.with_overrides(prescreen=False), seed=4)
    assert np.array_equal(on.catalog.extremeness, off.catalog.extremeness)
    assert np.isnan(off.catalog.prescreen[: off.catalog.n_items]).all()
    assert (
        run_simulation(RandomRecommender(seed=1), tiny, 4).totals
        == run_simulation(RandomRecommender(seed=1), tiny.with_overrides(prescreen=False), 4).totals
    )

"""The world's moderators work the platform's own review queue: the engine's review by
reach in production runs, a fixed queue on a test seam here."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import select

from safefeed.policy.records import MODERATOR_DECISION
from safefeed.sim.config import SimConfig
from safefeed.sim.events import EventRenderer
from safefeed.sim.feedback import StepFeedback
from safefeed.sim.rankers import close_recommender, resolve_recommender
from safefeed.sim.recommender import ReviewQueue
from safefeed.sim.runner import run_simulation
from safefeed.sim.seams import RandomRecommender
from safefeed.sim.world import World
from safefeed.store.tables import PolicyStateRow, table_of


class _QueueSeam(RandomRecommender):
    """A random feed whose platform queues a fixed list of items for review."""

    def __init__(self, queue: Sequence[str]) -> None:
        super().__init__(seed=1, name="random")
        self.queue = list(queue)
        self.asked: list[int] = []
        self.observed: list[StepFeedback] = []

    def due_for_review(self, limit: int) -> list[str]:
        self.asked.append(limit)
        return list(self.queue)

    def observe(self, feedback: StepFeedback) -> None:
        super().observe(feedback)
        self.observed.append(feedback)


def test_moderators_take_the_queue_in_order_up_to_capacity_and_decide_by_the_truth(
    tiny: SimConfig,
) -> None:
    config = tiny.with_overrides(reach_review_capacity=4, steps=2)
    world = World(config, seed=3)
    cat = world.catalog
    harmful = np.flatnonzero(cat.harmful(np.arange(cat.n_items)))[:2]
    everything = np.arange(cat.n_items)
    benign = np.flatnonzero(~cat.harmful(everything) & ~cat.borderline(everything))[:4]
    queue = [f"i{i}" for i in [harmful[0], benign[0], harmful[1], benign[1], benign[2]]]
    seam = _QueueSeam(queue)
    assert isinstance(seam, ReviewQueue)
    result = run_simulation(seam, config, seed=3)

    assert seam.asked == [4, 4]  # after each day, asked for the team's capacity
    nights = [f for f in seam.observed if f.reviews]
    assert len(nights) == 2
    first = nights[0].reviews
    # The first four of the queue, in its order; the fifth waits for capacity.
    assert [d.content_id for d in first] == queue[:4]
    assert {d.source for d in first} == {"moderator"}
    states = {d.content_id: d.policy_state for d in first}
    assert states[queue[0]] == states[queue[2]] == "not_recommendable"
    # A benign item is cleared, and that decision is recorded too.
    assert states[queue[1]] == states[queue[3]] == "allowed"
    assert result.totals["reach_reviews"] == 8
    assert result.totals["reach_reviews_harmful"] == 4

    # Rendered, the decisions are moderator policy changes after the day's overnight
    # labels, so the engine has them before the next day's pages.
    events = EventRenderer(config, 3).render(nights[0])
    policy = [e for e in events if e["type"] == "policy.changed"]
    assert [e["subject_id"] for e in policy] == queue[:4]
    assert {e["review_status"] for e in policy} == {MODERATOR_DECISION}
    assert all("T23:59:30." in e["ts"] for e in policy)


def test_moderators_make_mistakes_at_their_error_rate(tiny: SimConfig) -> None:
    config = tiny.with_overrides(moderator_error_rate=1.0, reach_review_capacity=4, steps=1)
    world = World(config, seed=3)
    cat = world.catalog
    everything = np.arange(cat.n_items)
    harmful = np.flatnonzero(cat.harmful(everything))[:2]
    benign = np.flatnonzero(~cat.harmful(everything) & ~cat.borderline(everything))[:2]
    queue = [f"i{i}" for i in [harmful[0], benign[0], harmful[1], benign[1]]]
    result = run_simulation(_QueueSeam(queue), config, seed=3)
    # Every decision wrong: the harmful items cleared, the benign ones limited — and
    # the misses counted, since a cleared item goes back into feeds.
    states = {d.content_id: d.policy_state for d in world.review(queue).reviews}
    assert states[queue[0]] == states[queue[2]] == "allowed"
    assert states[queue[1]] == states[queue[3]] == "limited_distribution"
    assert result.totals["reach_reviews_harmful"] == 2
    assert result.totals["reach_reviews_missed"] == 2

    # At a realistic rate, about that share of a large queue is decided wrongly.
    config = tiny.with_overrides(moderator_error_rate=0.2, reach_review_capacity=cat.n_items)
    world = World(config, seed=4)
    items = np.arange(world.catalog.n_items)
    truth = World(config.with_overrides(moderator_error_rate=0.0), seed=4)
    decided = world.review([f"i{i}" for i in items]).reviews
    right = truth.review([f"i{i}" for i in items]).reviews
    wrong = sum(a.policy_state != b.policy_state for a, b in zip(decided, right, strict=True))
    assert 0.15 < wrong / items.size < 0.25
    assert truth.labeller.catalog.label.tolist() != world.labeller.catalog.label.tolist()


def test_no_capacity_no_review(tiny: SimConfig) -> None:
    seam = _QueueSeam(["i0", "i1"])
    result = run_simulation(seam, tiny.with_overrides(reach_review_capacity=0, steps=2), seed=3)
    assert seam.asked == []
    assert result.totals["reach_reviews"] == 0


def test_the_engine_sends_what_spread_to_review_and_records_the_decisions() -> None:
    config = SimConfig(
        users=60,
        steps=3,
        creators=20,
        initial_items=200,
        items_per_step=10,
        new_creators_per_step=0,
    )
    totals = {}
    for ranker in ("safety", "engagement"):
        recommender = resolve_recommender(ranker, 1, config=config)
        try:
            result = run_simulation(recommender, config, 1)
            with recommender.runtime.database.read() as conn:
                rows = table_of(PolicyStateRow)
                decided = conn.execute(
                    select(rows.c.subject_id).where(rows.c.review_status == MODERATOR_DECISION)
                ).all()
        finally:
            close_recommender(recommender)
        totals[ranker] = (result.totals["reach_reviews"], len(decided))
    reviews, decided = totals["safety"]
    # Items spread past the engine's threshold, went to the moderators, and their
    # decisions are in the run's store (report reviews may add a few more).
    assert reviews > 0
    assert decided >= reviews
    # The baseline is the incident's platform: it reviews on reports alone.
    assert totals["engagement"][0] == 0


def test_the_review_leaves_a_run_without_a_queue_unchanged(tiny: SimConfig) -> None:
    plain = run_simulation(RandomRecommender(seed=1), tiny, seed=5)
    queued = run_simulation(_QueueSeam([]), tiny, seed=5)
    assert plain.totals == queued.totals

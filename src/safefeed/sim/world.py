"""The agent-based world: one step is a day of sessions against a recommender.

A step: users decide whether to come back (satisfaction), each returning user
opens one session on ``home`` or, for ``related_share`` of them, on ``related``
from the last item they opened; the recommender answers all requests in one
batch; users respond (`safefeed.sim.engagement`); satisfaction, positions and
interests update and some users leave; bots brigade; overnight creators join and
publish, the classifier and moderators label; the metrics record the step. The
returned `StepFeedback` is what the recommender observes before the next step.

Randomness comes from one seeded ``numpy`` generator per concern, so the same
seed and config reproduce a run exactly, given a deterministic recommender.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from safefeed.exceptions import InputError
from safefeed.sim.bots import brigade
from safefeed.sim.catalog import Catalog
from safefeed.sim.classifier import SafetyLabeller
from safefeed.sim.config import SimConfig
from safefeed.sim.engagement import PageResponse, respond, sigmoid
from safefeed.sim.feedback import (
    Interactions,
    PublishedItem,
    StepFeedback,
    creator_id,
    item_id,
    user_id,
)
from safefeed.sim.metrics import MetricsRecorder
from safefeed.sim.population import Population
from safefeed.sim.recommender import Recommender, SimRequest

__all__ = ["World"]


def _row_bincount(
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    weights: NDArray[np.float64],
    shape: tuple[int, int],
) -> NDArray[np.float64]:
    """Sum ``weights`` into a dense ``shape`` matrix at (rows, cols); bincount is far faster
    than ``np.add.at`` on millions of cells."""
    flat = np.bincount(rows * shape[1] + cols, weights=weights, minlength=shape[0] * shape[1])
    return flat.astype(np.float64).reshape(shape)


class World:
    """The simulated platform for one seed."""

    def __init__(self, config: SimConfig, seed: int) -> None:
        self.config = config
        self.seed = seed
        # Spawned children depend only on their index: adding the pre-screen's and the
        # moderators' streams left the world's and the metrics' draws as they were.
        world_seq, metrics_seq, screen_seq, moderator_seq = np.random.SeedSequence(
            [seed, 0x5AFE]
        ).spawn(4)
        self.rng = np.random.default_rng(world_seq)
        self.screen_rng = np.random.default_rng(screen_seq)
        self.population = Population.create(config, self.rng)
        self.catalog = Catalog.create(config, self.rng)
        self.labeller = SafetyLabeller(self.catalog, np.random.default_rng(moderator_seq))
        self.labeller.prescreen(self.screen_rng, np.arange(self.catalog.n_items, dtype=np.int64))
        self.metrics = MetricsRecorder.start(
            config, self.population, np.random.default_rng(metrics_seq)
        )
        self.step_index = 0
        self._index: dict[str, int] = {item_id(i): i for i in range(self.catalog.n_items)}

    # ------------------------------------------------------------------ set-up

    def initial_feedback(self) -> StepFeedback:
        """The accounts, catalog and labels that exist before step 0."""
        cfg = self.config
        labels = self.labeller.run(self.rng, step=0)
        accounts = tuple(user_id(u) for u in range(cfg.users + cfg.bots))
        published = self._published(np.arange(self.catalog.n_items, dtype=np.int64))
        return StepFeedback(step=-1, accounts=accounts, published=published, labels=tuple(labels))

    def _published(self, items: NDArray[np.int64]) -> tuple[PublishedItem, ...]:
        cat, floor = self.catalog, self.config.prescreen_floor
        out = []
        for i in items.tolist():
            content = item_id(i)
            self._index[content] = i
            score = float(cat.prescreen[i])
            out.append(
                PublishedItem(
                    content_id=content,
                    creator_id=creator_id(int(cat.creator[i])),
                    topic=f"topic{int(cat.topic[i])}",
                    quality=round(float(cat.quality[i]), 4),
                    duration_s=round(float(cat.duration_s[i]), 1),
                    step=int(cat.published[i]),
                    safety_score=round(score, 4) if score >= floor else None,
                )
            )
        return tuple(out)

    # ------------------------------------------------------------------ a step

    def step(self, recommender: Recommender) -> StepFeedback:
        """Run one step against ``recommender``; returns what it should observe next."""
        cfg, pop, rng, t = self.config, self.population, self.rng, self.step_index
        p_return = sigmoid(cfg.return_bias + cfg.return_gain * pop.satisfaction)
        users = np.flatnonzero(pop.active & (rng.random(pop.size) < p_return)).astype(np.int64)
        anchors = pop.last_opened[users]
        related = (rng.random(users.size) < cfg.related_share) & (anchors >= 0)
        requests = [
            SimRequest(
                user_id=user_id(u),
                session_id=f"s{t}-{u}",
                surface="related" if rel else "home",
                page_size=cfg.page_size,
                step=t,
                anchor_id=item_id(a) if rel else None,
            )
            for u, rel, a in zip(users.tolist(), related.tolist(), anchors.tolist(), strict=True)
        ]
        items = self._to_matrix(recommender.recommend(requests), len(requests))
        response = respond(rng, cfg, pop, self.catalog, users, items)
        self._update_users(users, items, response)
        np.add.at(self.catalog.reports, items[response.reported], 1)
        self.catalog.escalate(items[response.opened])
        self.metrics.record(t, users, items, response, self.catalog, pop)
        interactions = self._interactions(users, items, related, response)
        left = tuple(user_id(u) for u in users[~pop.active[users]].tolist())

        # Overnight: new creators join, everyone publishes, labels land for tomorrow.
        self.catalog.add_creators(rng, cfg.new_creators_per_step, joined=t + 1)
        new_items = self.catalog.publish(rng, cfg.items_per_step, step=t + 1)
        self.labeller.prescreen(self.screen_rng, new_items)
        labels = self.labeller.run(rng, step=t + 1)
        self.step_index += 1
        return StepFeedback(
            step=t,
            published=self._published(new_items),
            labels=tuple(labels),
            interactions=interactions,
            left=left,
        )

    def _to_matrix(self, pages: Sequence[Sequence[str]], n: int) -> NDArray[np.int64]:
        cfg = self.config
        if len(pages) != n:
            raise InputError(f"recommender answered {len(pages)} pages for {n} requests")
        lengths = np.fromiter((len(p) for p in pages), dtype=np.int64, count=n)
        if n and int(lengths.max()) > cfg.page_size:
            raise InputError(f"recommender returned more than page_size={cfg.page_size} items")
        index = self._index
        try:
            flat = np.fromiter(
                (index[c] for page in pages for c in page), dtype=np.int64, count=int(lengths.sum())
            )
        except KeyError as exc:
            raise InputError(
                f"recommender returned an unknown content id {exc.args[0]!r}"
            ) from None
        matrix = np.full((n, cfg.page_size), -1, dtype=np.int64)
        # Boolean-mask assignment fills row by row, left to right: the pages' own order.
        matrix[np.arange(cfg.page_size)[None, :] < lengths[:, None]] = flat
        return matrix

    def _update_users(
        self, users: NDArray[np.int64], items: NDArray[np.int64], response: PageResponse
    ) -> None:
        cfg, pop, cat, rng = self.config, self.population, self.catalog, self.rng
        n, topics = users.size, cfg.topics
        opened = response.opened
        safe = np.where(response.valid, items, 0)

        # Satisfaction: watch time is worth something, regret costs more.
        utility = (
            cfg.watch_value_per_min * response.watch_s.sum(axis=1) / 60.0
            - cfg.regret_penalty * response.regret.sum(axis=1)
            - cfg.satisfaction_reference
        )
        sat = (1.0 - cfg.satisfaction_memory) * pop.satisfaction[users]
        sat += cfg.satisfaction_memory * utility
        pop.satisfaction[users] = sat
        leave = rng.random(n) < cfg.churn_base + cfg.churn_gain * np.maximum(0.0, -sat)
        pop.active[users[leave]] = False

        # Positions drift toward the watch-weighted extremeness of what was consumed.
        watch = response.watch_s
        total = watch.sum(axis=1)
        watched = total > 0
        consumed_x = (watch * cat.extremeness[safe]).sum(axis=1)[watched] / total[watched]
        pop.drift_toward(users[watched], consumed_x)

        # Interests follow consumption a little (the homogenizing pull of the feed).
        rows = np.broadcast_to(np.arange(n, dtype=np.int64)[:, None], items.shape)
        topic_watch = _row_bincount(
            rows[opened], cat.topic[items[opened]], watch[opened], (n, topics)
        )
        share = topic_watch[watched] / total[watched][:, None]
        target = users[watched]
        pop.interest[target] = (1.0 - cfg.interest_drift) * pop.interest[
            target
        ] + cfg.interest_drift * share
        opened_topics = _row_bincount(
            rows[opened], cat.topic[items[opened]], np.ones(int(opened.sum())), (n, topics)
        )
        pop.consumed_topics[users] += opened_topics

        # The anchor of a next "watch next" session: the last item opened.
        any_open = opened.any(axis=1)
        last_slot = items.shape[1] - 1 - np.argmax(opened[:, ::-1], axis=1)
        pop.last_opened[users[any_open]] = items[any_open, last_slot[any_open]]

    def _interactions(
        self,
        users: NDArray[np.int64],
        items: NDArray[np.int64],
        related: NDArray[np.bool_],
        response: PageResponse,
    ) -> Interactions:
        valid = response.valid
        rows, slots = np.nonzero(valid)
        served = Interactions(
            user=users[rows],
            item=items[rows, slots],
            session=rows.astype(np.int64),
            position=slots.astype(np.int64),
            related=related[rows],
            opened=response.opened[valid],
            watch_s=response.watch_s[valid],
            completion=response.completion[valid],
            liked=response.liked[valid],
            hidden=response.hidden[valid],
            reported=response.reported[valid],
        )
        bots = brigade(self.rng, self.config, self.catalog)
        if len(bots) == 0:
            return served
        return Interactions(
            **{
                name: np.concatenate([getattr(served, name), getattr(bots, name)])
                for name in served.__dataclass_fields__
            }
        )

    def review(self, content_ids: Sequence[str]) -> StepFeedback:
        """The night's decisions on the platform's review queue (``content_ids``, in its
        order, up to the moderators' capacity), as a feedback for the day just run."""
        take = list(content_ids)[: self.config.reach_review_capacity]
        try:
            items = np.fromiter((self._index[c] for c in take), dtype=np.int64, count=len(take))
        except KeyError as exc:
            raise InputError(f"review queue holds an unknown content id {exc.args[0]!r}") from None
        decisions = self.labeller.review(items, step=self.step_index)
        self.metrics.reviewed(items, self.catalog)
        return StepFeedback(step=self.step_index - 1, reviews=tuple(decisions))

    # ------------------------------------------------------------------ results

    def totals(self) -> dict[str, float]:
        """The run's totals so far."""
        return self.metrics.totals(self.population)

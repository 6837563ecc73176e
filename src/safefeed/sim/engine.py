"""The production binding of the simulator: the world drives the real feed engine.

Each run gets a store of its own (a SQLite file in a scratch directory) and a
`Runtime` on a manual clock. What the world does each step is rendered as v1 events
and ingested through the real `Ingestor` — so the catalog, the policy store, the
feed's state and statistics, the text signals and the risk funnel all see it exactly
as they would in production — and every page comes from `FeedEngine.serve`, the
feed's one batch entry point, with the named ranking configuration. Its review queue
is the engine's review by reach (`safefeed.feed.state.reach_review`), read from the same store.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from safefeed.clock import ManualClock
from safefeed.collector import collector_paused
from safefeed.exceptions import ConfigError
from safefeed.feed.config import default_feed_config, with_ranker_overrides
from safefeed.feed.contracts import FeedRequest
from safefeed.feed.serving import ReachTally
from safefeed.feed.state.reach_review import due_for_review
from safefeed.ingest.pipeline import IngestContext
from safefeed.runtime import Runtime
from safefeed.settings import Settings
from safefeed.sim.config import SimConfig
from safefeed.sim.events import EPOCH, EventRenderer
from safefeed.sim.feedback import StepFeedback
from safefeed.sim.recommender import SimRequest
from safefeed.store.database import sqlite_url

__all__ = ["FeedEngineRecommender"]

_CHUNK = 10_000
_SERVE_CHUNK = 2_000


class FeedEngineRecommender:
    """A `Recommender` that is the real engine under one named ranking configuration."""

    def __init__(
        self,
        ranker: str,
        config: SimConfig,
        seed: int,
        *,
        overrides: Mapping[str, Any] | None = None,
        workdir: Path | None = None,
    ) -> None:
        # Overrides change the named ranker's fields (a weight, the MMR lambda, a
        # mechanism switched off) in a copy of the shipped configuration, validated and
        # versioned like it: how `safefeed gate` tries a proposed change before it ships.
        feed_config = (
            with_ranker_overrides(default_feed_config(), ranker, overrides) if overrides else None
        )
        self._name = ranker
        self._owned = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="safefeed-sim-"))
        self.clock = ManualClock(EPOCH)
        settings = Settings(
            data_dir=self.workdir,
            database_url=sqlite_url(self.workdir / "sim.db"),
            text_classifier="keyword",
            max_batch_events=_CHUNK,
            durable=False,  # the scratch store goes with the run
            reproducible=True,  # a seed gives the same run, however busy the machine
        )
        self.runtime = Runtime(settings, clock=self.clock, feed_config=feed_config)
        self.runtime.migrate()
        self.renderer = EventRenderer(config, seed)
        self.context = IngestContext(actor=f"sim:{ranker}:{seed}")

    @property
    def name(self) -> str:
        return self._name

    def observe(self, feedback: StepFeedback) -> None:
        """Ingest the step's events through the real pipeline, then move the clock on."""
        # Rendering a step's events allocates as much as ingesting them (see `recommend`).
        with collector_paused():
            events = self.renderer.render(feedback)
            for start in range(0, len(events), _CHUNK):
                result = self.runtime.ingestor.ingest_records(
                    events[start : start + _CHUNK], self.context
                )
                if result.rejected:
                    raise ConfigError(f"simulated event rejected: {result.rejected[0].error}")
        if events:
            self.clock.set(datetime.fromisoformat(events[-1]["ts"].replace("Z", "+00:00")))

    def recommend(self, requests: Sequence[SimRequest]) -> list[list[str]]:
        """One page per request from `FeedEngine.serve`, under this ranker.

        A day's pages are served in calls of `_SERVE_CHUNK` sharing one reach tally:
        the same pages as one call, in memory bounded by the chunk (a call holds every
        page's candidates and trace until it ends: ~0.4 MB a page, so one call for
        100,000 users took over 24 GiB)."""
        tally = ReachTally()
        pages: list[list[str]] = []
        for start in range(0, len(requests), _SERVE_CHUNK):
            # A batch of pages allocates millions of short-lived, acyclic objects: with
            # the collector on, its full passes over the run's long-lived state (catalog,
            # memos, user state) cost ~15% of serving. Held off for the batch, it
            # collects what is left once the batch is done.
            with collector_paused():
                responses = self.runtime.feed.serve(
                    [
                        FeedRequest(
                            user_id=r.user_id,
                            surface=r.surface,
                            page_size=r.page_size,
                            item_id=r.anchor_id,
                            ranker=self._name,
                        )
                        for r in requests[start : start + _SERVE_CHUNK]
                    ],
                    tally=tally,
                )
                pages.extend([item.content_id for item in r.items] for r in responses)
        return pages

    def due_for_review(self, limit: int) -> list[str]:
        """Items due for human review by reach, if this configuration reviews by reach."""
        config = self.runtime.feed.config
        if not config.ranker(self._name).reach_review:
            return []
        with self.runtime.database.read() as conn:
            cases = due_for_review(conn, config.reach_review, limit=limit)
        return [case.content_id for case in cases]

    def close(self) -> None:
        """Release the store and delete the run's scratch directory (if it made one)."""
        self.runtime.close()
        if self._owned:
            shutil.rmtree(self.workdir, ignore_errors=True)

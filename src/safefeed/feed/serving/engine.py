"""The feed engine: one batch-first code path from requests to validated pages.

``FeedEngine.serve(requests)`` runs every stage over the whole batch — context
(user state for all users, the policy revision and the catalog revision in one
statement of one read transaction), candidate generation through the gate,
scoring, reranking, then a fresh policy snapshot and final validation for every
page, then one write of the served log. The server calls it with a batch of one,
the email digest and the simulator with thousands.

In background mode (a long-running server) the served log of home, following and
related pages is written behind the response by a `ServedLogWriter`; `flush` makes
it complete for whoever reads it next. Push and email pages are logged before they
return: the push frequency cap counts them, in any process. Pagination does not
depend on the log at all: the signed cursor carries what was served.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from safefeed.clock import Clock, to_us
from safefeed.exceptions import ConfigError, InputError, SafefeedError
from safefeed.feed.catalog.columns import CatalogView, FeedCatalog
from safefeed.feed.catalog.derived import DerivedLists, build_lists
from safefeed.feed.catalog.loader import REVISION_QUERY as CATALOG_REVISION
from safefeed.feed.catalog.loader import refresh_catalog
from safefeed.feed.catalog.verdicts import VerdictArrays
from safefeed.feed.config import SOURCE_NAMES, FeedConfig, RankerConfig, default_feed_config
from safefeed.feed.contracts import FeedItem, FeedMode, FeedRequest, FeedResponse
from safefeed.feed.ranking.features import TaskPredictor
from safefeed.feed.ranking.learned import ActiveModels
from safefeed.feed.ranking.ranker import Scored, score
from safefeed.feed.rerank.slate import rerank
from safefeed.feed.serving.cursor import CursorSigner, PageCursor, load_cursor_key
from safefeed.feed.serving.explain import explain
from safefeed.feed.serving.served_log import ServedLogWriter, rule_path, write_served
from safefeed.feed.serving.tally import ReachTally
from safefeed.feed.sources.base import SourceContext
from safefeed.feed.sources.generate import DEFAULT_SOURCES, CandidatePool, generate
from safefeed.feed.sources.similar import anchor_spaces
from safefeed.feed.state.controls import UserControls
from safefeed.feed.state.reach_review import held_pending_review
from safefeed.feed.state.user import UserState, UserStateReader, load_user_states
from safefeed.feed.validation.final import (
    Verdict,
    VettedFallback,
    validate,
    validate_fallback,
    vet_fallback,
)
from safefeed.localtime import zone_for
from safefeed.policy.gate import RequestContext, evaluate
from safefeed.policy.records import MODERATOR_DECISION
from safefeed.policy.rules import ACTION_NAMES, Action
from safefeed.policy.snapshot import PolicyCache, PolicySnapshot
from safefeed.policy.store import REVISION_QUERY as POLICY_REVISION
from safefeed.store.database import Database
from safefeed.types import PROACTIVE_SURFACES, Surface

__all__ = ["MODEL_VERSION", "FeedEngine"]

#: The task models in use: smoothed estimates from event statistics.
MODEL_VERSION = "smoothed-estimates-1"
_MAX_VALIDATION_ROUNDS = 4
_REREAD_SECONDS = 0.5
_UTC = ZoneInfo("UTC")
#: A new user's or unknown user's page: personalized sources run and find nothing.
_NO_PROFILE = "no profile or session yet"


@dataclass(slots=True)
class _Plan:
    """One request between the stages."""

    request: FeedRequest
    request_id: str
    user: UserState
    ranker_name: str
    ranker: RankerConfig
    page_size: int
    cursor: PageCursor
    mode: FeedMode
    mode_reason: str
    context: RequestContext
    excluded: frozenset[int] = frozenset()
    served: frozenset[int] = frozenset()
    pool: CandidatePool | None = None
    #: The anchors the similar source searched near (after the gate).
    anchors: np.ndarray | None = None
    scored: Scored | None = None
    trace: dict[str, Any] = field(default_factory=dict)
    model: str = MODEL_VERSION
    predictor: TaskPredictor | None = None


class FeedEngine:
    """Serves feed pages over one store, one policy cache and one catalog."""

    def __init__(
        self,
        database: Database,
        policy_cache: Callable[[], PolicyCache],
        clock: Clock,
        data_dir: Path,
        config: FeedConfig | None = None,
        *,
        reproducible: bool = False,
    ) -> None:
        self.database = database
        self.clock = clock
        self.config = config or default_feed_config()
        # Reproducible: the embedding index is built in one thread (see `AnnIndex`).
        self.catalog = FeedCatalog(
            self.config.embedding_dim, index_threads=1 if reproducible else 0
        )
        self.verdicts = VerdictArrays(self.catalog)
        self.sources = DEFAULT_SOURCES
        self._policy_cache = policy_cache
        self._data_dir = data_dir
        self._signer: CursorSigner | None = None
        self._lists: DerivedLists | None = None
        self._vetted: VettedFallback | None = None
        self._vetted_lists: DerivedLists | None = None
        self._catalog_checked: datetime | None = None
        self._catalog_fresh: datetime | None = None
        self._lock = threading.Lock()
        self.models = ActiveModels(data_dir)
        self._background = False
        self._rebuild = threading.Lock()
        self._served_writer: ServedLogWriter | None = None
        self._state_reader = UserStateReader(
            {"policy": POLICY_REVISION, "catalog": CATALOG_REVISION}
        )

    @property
    def signer(self) -> CursorSigner:
        if self._signer is None:
            self._signer = CursorSigner(load_cursor_key(self._data_dir))
        return self._signer

    # ------------------------------------------------------------ state

    def refresh(
        self, now: datetime, conn: Connection | None = None, revision: int | None = None
    ) -> CatalogView:
        """Bring the catalog up to the store (at most every ``refresh_seconds``).
        A failed read keeps the old catalog, which then ages toward its bound.

        Inside a caller's read transaction (``conn``), with the store's feed revision
        the caller read there (``revision``), nothing is read when the catalog is at
        that revision, and errors are the caller's to handle."""
        settings = self.config.catalog
        due = (
            self._catalog_checked is None
            or (now - self._catalog_checked).total_seconds() >= settings.refresh_seconds
        )
        if not due:
            return self.catalog.view
        self._catalog_checked = now
        if conn is not None:
            if revision != self.catalog.revision:
                refresh_catalog(conn, self.catalog)
            self._catalog_fresh = now
            return self.catalog.view
        try:
            with self.database.read() as own:
                refresh_catalog(own, self.catalog)
            self._catalog_fresh = now
        except SafefeedError:
            pass
        return self.catalog.view

    def catalog_fresh(self, now: datetime) -> bool:
        fresh = self._catalog_fresh
        limit = self.config.catalog.freshness_seconds
        return fresh is not None and (now - fresh).total_seconds() <= limit

    def mark_catalog_fresh(self, now: datetime) -> None:
        """For catalogs loaded in bulk outside the store (benchmarks, simulations)."""
        self._catalog_fresh = self._catalog_checked = now

    def lists(self, view: CatalogView, now_us: int) -> DerivedLists:
        """Derived lists for ``view``; rebuilt when the catalog changed, and trending
        at least once a minute as it decays. In background mode a stale set is served
        while a thread builds the next: lists only propose candidates (every row still
        passes the catalog checks, the gate and final validation), and a rebuild takes
        seconds on a large catalog."""
        lists = self._lists
        if self._background and lists is not None:
            if lists.revision != view.revision or now_us - lists.built_us > 60e6:
                self._rebuild_behind(view, now_us)
            return lists
        if lists is None or lists.revision != view.revision or now_us - lists.built_us > 60e6:
            with self._lock:
                lists = self._lists
                stale = lists is None or lists.revision != view.revision
                if stale or now_us - lists.built_us > 60e6:  # type: ignore[union-attr]
                    lists = build_lists(view, self.config, now_us)
                    self._lists = lists
        assert lists is not None
        return lists

    def _rebuild_behind(self, view: CatalogView, now_us: int) -> None:
        if not self._rebuild.acquire(blocking=False):
            return  # one rebuild at a time; this one will be as fresh

        def build() -> None:
            try:
                self._lists = build_lists(view, self.config, now_us)
            finally:
                self._rebuild.release()

        threading.Thread(target=build, name="feed-lists", daemon=True).start()

    def start_background(
        self, surfaces: Sequence[Surface] = ("home", "following", "related")
    ) -> threading.Thread:
        """Background mode, for a long-running server: derived lists are rebuilt off
        the request path, the served log is written behind the response (see the module
        docstring; `close` drains it), and `warm` runs for ``surfaces`` in a thread
        (requests before it ends ask the gate for what they need, as without it).
        Returns that thread."""
        self._background = True
        if self._served_writer is None:
            self._served_writer = ServedLogWriter(self.database)
        thread = threading.Thread(target=self.warm, args=(surfaces,), name="feed-warm", daemon=True)
        thread.start()
        return thread

    def flush(self) -> None:
        """Make the served log complete up to now: call before reading served data
        (exposure, traces, "why", metrics) in a process that serves in background."""
        if self._served_writer is not None:
            self._served_writer.flush()

    def close(self) -> None:
        """Write the queued served log and stop its writer (at shutdown); pages served
        after this are logged before they return."""
        writer = self._served_writer
        if writer is not None:
            writer.close()  # first: a `flush` meanwhile still waits for the drain
            self._served_writer = None

    def warm(self, surfaces: Sequence[Surface] = ("home", "following", "related")) -> None:
        """Build what the first requests would otherwise build on the request path:
        the policy snapshot, the derived lists, and the gate's verdicts for every
        catalog row on ``surfaces`` (at server start-up; seconds on a large catalog)."""
        now = self.clock.now()
        snapshot = self._policy_cache().snapshot()
        view = self.refresh(now)
        self.lists(view, to_us(now))
        for surface in surfaces:
            self.verdicts.warm(surface, snapshot, now)

    def _vet(
        self, view: CatalogView, lists: DerivedLists, snap: PolicySnapshot, now: datetime
    ) -> None:
        vetted = self._vetted
        if vetted is None or vetted.revision != snap.revision or self._vetted_lists is not lists:
            # Vetted again when policy or the fallback list changed; until then the old
            # vetting stays valid for the rows it covers (stale serving relies on it).
            self._vetted = vet_fallback(view, lists.fallback.tolist(), snap, now)
            self._vetted_lists = lists
        elif (now - vetted.vetted_at).total_seconds() > 60:
            self._vetted = replace(vetted, vetted_at=now)  # same policy revision: still valid

    # ------------------------------------------------------------ serving

    def serve(
        self,
        requests: Sequence[FeedRequest],
        *,
        record: bool = True,
        tally: ReachTally | None = None,
    ) -> list[FeedResponse]:
        """One page per request, in order (see the module docstring).

        A batch too large to hold at once (every page's candidates and trace are in
        memory until it ends) is served in calls that share one ``tally``: the pages
        are the same as one call's, and the reach hold counts them all."""
        now = self.clock.now()
        now_us = to_us(now)
        started = time.monotonic()
        snapshot, view, states = self._read_state(requests, now, now_us)
        lists = self.lists(view, now_us)
        policy_fresh = snapshot.is_fresh(now)
        if policy_fresh:
            self._vet(view, lists, snapshot, now)
        plans = [self._plan(r, states[r.user_id], snapshot, now) for r in requests]
        self._bind_models(plans)
        stale = not policy_fresh or not self.catalog_fresh(now)
        for plan in plans:
            if plan.mode in ("personalized", "non_personalized") and stale:
                plan.mode, plan.mode_reason = "fallback", _stale_reason(policy_fresh)
            if plan.mode in ("personalized", "non_personalized"):
                self._candidates_and_scores(plan, view, lists, snapshot, now_us)
        # Final validation reads policy afresh when ranking took long enough (a batch)
        # for a change meanwhile to matter; a single page uses the read it started with.
        cache = self._policy_cache()
        slow = time.monotonic() - started > _REREAD_SECONDS
        final = cache.snapshot() if slow else cache.current()
        responses = []
        # Viewers this batch has added per catalog row: the reach-review hold counts them
        # at once, so one batch of pages cannot carry a flagged item past its threshold.
        added = (tally or ReachTally()).viewers(view.n)
        for plan in plans:
            if plan.mode != "fallback" and plan.mode != "empty" and not final.is_fresh(now):
                plan.mode, plan.mode_reason = "fallback", _stale_reason(False)
            responses.append(self._finish(plan, view, lists, final, now, now_us, added))
        if record:
            self._record(responses, now_us)
        return responses

    def _record(self, responses: list[FeedResponse], now_us: int) -> None:
        writer = self._served_writer
        later = [r for r in responses if r.surface not in PROACTIVE_SURFACES]
        if writer is not None and later and writer.put(later, now_us):
            responses = [r for r in responses if r.surface in PROACTIVE_SURFACES]
        if responses:
            with self.database.write() as conn:
                write_served(conn, responses, now_us)

    def _read_state(
        self, requests: Sequence[FeedRequest], now: datetime, now_us: int
    ) -> tuple[PolicySnapshot, CatalogView, dict[str, UserState]]:
        """The policy snapshot, the catalog and the users' state, from one read
        transaction: one statement carries the user state and both revisions, so the
        policy cache and the catalog read more only when their revision moved.

        If that read fails, each part is read on its own, as before: an unreadable
        policy store must leave the snapshot aging toward stale (and so serving the
        fallback), not fail the request, while the user state still reads."""
        users = [r.user_id for r in requests]
        half_life = self.config.affinity.half_life_days
        push = any(r.surface == "push" for r in requests)
        cache = self._policy_cache()
        try:
            with self.database.read() as conn:
                states, revisions = self._state_reader.read(
                    conn, users, now_us, affinity_half_life_days=half_life, with_push_counts=push
                )
                view = self.refresh(now, conn, revisions["catalog"])
        except (SafefeedError, SQLAlchemyError):
            snapshot = cache.snapshot()
            view = self.refresh(now)
            with self.database.read() as conn:
                states = load_user_states(
                    conn, users, now_us, affinity_half_life_days=half_life, with_push_counts=push
                )
            return snapshot, view, states
        return cache.snapshot(revisions["policy"]), view, states

    def _bind_models(self, plans: list[_Plan]) -> None:
        """Rankers configured with ``model: active`` get the active learned task
        models, or the smoothed estimates and the reason why."""
        if not any(plan.ranker.model == "active" for plan in plans):
            return
        models, reason = self.models.current()
        for plan in plans:
            if plan.ranker.model == "active":
                plan.predictor = models
                plan.model = models.version if models is not None else MODEL_VERSION
                plan.trace["model_reason"] = reason

    def _plan(
        self, request: FeedRequest, user: UserState, snapshot: PolicySnapshot, now: datetime
    ) -> _Plan:
        surface = self.config.surface(request.surface)
        try:
            ranker_name = request.ranker or self.config.default_ranker
            ranker = self.config.ranker(ranker_name)
        except ConfigError as exc:
            raise InputError(str(exc)) from None
        page_size = request.page_size or surface.page_size
        if not 1 <= page_size <= surface.max_page_size:
            raise InputError(
                f"page_size must be between 1 and {surface.max_page_size} on {request.surface}"
            )
        if request.cursor:
            cursor = self.signer.decode(request.cursor, request.user_id, request.surface)
        else:
            cursor = self.signer.new(request.user_id, request.surface)
        if not ranker.user_controls:
            user = replace(user, controls=UserControls(push_opt_in=user.controls.push_opt_in))
        mode: FeedMode = "personalized"
        reason = "profile and session used" if _has_profile(user) else _NO_PROFILE
        if request.non_personalized or user.controls.non_personalized:
            mode, reason = "non_personalized", "the user chose a non-personalized feed"
        elif snapshot.kill_switch("personalized_ranking", "*", now):
            mode, reason = "non_personalized", "kill switch personalized_ranking is on"
        if mode == "non_personalized":
            # Provably no profile: the state the later stages get has none to read.
            user = UserState(
                user_id=user.user_id,
                age_band=user.age_band,
                region=user.region,
                controls=user.controls,
                muted=user.muted,
                seen=user.seen,
                hidden=user.hidden,
                reported=user.reported,
                pushes_last_day=user.pushes_last_day,
            )
        if request.surface == "push":
            blocked = _push_block(user, surface.quiet_hours, surface.max_per_day, now)
            if blocked:
                mode, reason = "empty", blocked
        context = RequestContext(
            surface=request.surface,
            now=now,
            age_band=user.age_band,
            region=user.region,
            muted_creators=user.muted,
        )
        return _Plan(
            request=request,
            request_id=request.request_id or uuid.uuid4().hex,
            user=user,
            ranker_name=ranker_name,
            ranker=ranker,
            page_size=page_size,
            cursor=cursor,
            mode=mode,
            mode_reason=reason,
            context=context,
        )

    def _exclusions(self, plan: _Plan, view: CatalogView) -> tuple[np.ndarray, np.ndarray]:
        user = plan.user
        excluded = view.catalog.rows_of(sorted(user.seen | user.hidden | user.reported))
        served = plan.cursor.served_hashes()
        plan.excluded = frozenset(excluded.tolist())
        plan.served = frozenset(served.tolist())
        return excluded, served

    def _candidates_and_scores(
        self,
        plan: _Plan,
        view: CatalogView,
        lists: DerivedLists,
        snapshot: PolicySnapshot,
        now_us: int,
    ) -> None:
        request = plan.request
        personalized = plan.mode == "personalized"
        excluded, served = self._exclusions(plan, view)
        catalog = view.catalog
        if request.item_id is not None:
            anchors = catalog.rows_of([request.item_id])
        elif personalized:
            anchors = catalog.rows_of(plan.user.session.items[:5])
        else:
            anchors = np.empty(0, np.int64)
        anchors = anchors[anchors < view.n]
        usable = plan.anchors = _usable_anchors(anchors, view, plan.context, snapshot)
        ctx = SourceContext(
            view=view,
            lists=lists,
            user=plan.user,
            request=request,
            surface=self.config.surface(request.surface),
            config=self.config,
            now_us=now_us,
            personalized=personalized,
            anchors=usable,
        )
        plan.pool = generate(
            ctx, excluded, served, plan.context, snapshot, self.sources, self.verdicts
        )
        if len(usable) < len(anchors):
            plan.pool.removed["anchor_not_eligible"] = len(anchors) - len(usable)
        plan.scored = score(
            plan.pool,
            view,
            plan.user,
            plan.ranker,
            self.config,
            ctx.surface,
            now_us,
            personalized,
            predictor=plan.predictor,
        )

    def _finish(
        self,
        plan: _Plan,
        view: CatalogView,
        lists: DerivedLists,
        snapshot: PolicySnapshot,
        now: datetime,
        now_us: int,
        added: np.ndarray,
    ) -> FeedResponse:
        verdicts: list[Verdict] = []
        picked: list[tuple[int, int, str]] = []  # (row, pool index or -1, source)
        if plan.mode == "fallback":
            self._exclusions(plan, view)
            picked, verdicts = self._fallback_page(plan, view, lists, now, now_us)
        elif plan.mode != "empty":
            picked, verdicts = self._validated_page(plan, view, snapshot, now_us, added)
        for row, _, _ in picked:
            if row < added.size:
                added[row] += 1.0
        scored = plan.scored
        at = [index for _, index, _ in picked if index >= 0]
        values = zip(
            _values_at(scored.components if scored is not None else {}, at),
            _values_at(scored.features if scored is not None else {}, at),
            strict=True,
        )
        items = []
        for position, (row, index, source) in enumerate(picked):
            parts, inputs = next(values) if index >= 0 else ({}, {})
            items.append(self._item(plan, view, row, index, source, position, parts, inputs))
        mode: FeedMode = plan.mode if items or plan.mode == "empty" else "empty"
        next_cursor = (
            self.signer.encode(plan.cursor.next(i.content_id for i in items)) if items else None
        )
        trace = _trace(plan, view, snapshot, verdicts, items)
        return FeedResponse(
            request_id=plan.request_id,
            user_id=plan.request.user_id,
            surface=plan.request.surface,
            items=items,
            mode=mode,
            page=plan.cursor.page,
            next_cursor=next_cursor,
            versions={
                "feed_config": self.config.version,
                "ranker": plan.ranker_name,
                "model": plan.model,
                "policy_config": snapshot.config.version,
                "policy_revision": str(snapshot.revision),
                "catalog_revision": str(view.revision),
            },
            explanation=plan.mode_reason,
            trace=trace,
        )

    def _validated_page(
        self,
        plan: _Plan,
        view: CatalogView,
        snapshot: PolicySnapshot,
        now_us: int,
        added: np.ndarray,
    ) -> tuple[list[tuple[int, int, str]], list[Verdict]]:
        pool, scored = plan.pool, plan.scored
        assert pool is not None
        assert scored is not None
        surface = self.config.surface(plan.request.surface)
        rejected = np.zeros(len(pool.rows), dtype=bool)
        if plan.ranker.reach_review and len(pool.rows):
            c = scored.columns
            reach = c["w_impressions"] + added[pool.rows]
            pending = held_pending_review(c["safety_score"], reach, self.config.reach_review)
            # A moderator's decision set through the policy API reaches the policy state
            # before any event resets the score: the policy state is what says "decided".
            for index in np.flatnonzero(pending).tolist():
                record = snapshot.state_of("content", view.catalog.ids[int(pool.rows[index])])
                if record is not None and record.review_status == MODERATOR_DECISION:
                    pending[index] = False
            rejected |= pending
            plan.trace["pending_review"] = int(pending.sum())
        checked: dict[int, Verdict] = {}
        verdicts: list[Verdict] = []
        picks: list[int] = []
        for _ in range(_MAX_VALIDATION_ROUNDS):
            slate = rerank(
                pool,
                scored,
                view,
                surface,
                plan.ranker,
                plan.page_size,
                now_us,
                exclude=rejected,
                sensitivity=plan.user.controls.sensitivity,
            )
            plan.trace["held_back"] = slate.held_back
            new = [i for i in slate.picks if i not in checked]
            fresh = validate(
                view,
                [int(pool.rows[i]) for i in new],
                [int(pool.source[i]) for i in new],
                plan.context,
                snapshot,
                plan.excluded,
                plan.served,
                now_us,
            )
            for index, verdict in zip(new, fresh, strict=True):
                checked[index] = verdict
                verdicts.append(verdict)
                if verdict.decision is not None:
                    # Ordinary items (and those ordinary but for an audience
                    # requirement) reached the pool on the memoized verdict alone:
                    # the trace shows final validation's rule outcomes for them.
                    pool.decisions.setdefault(verdict.row, verdict.decision)
                if not verdict.ok:
                    rejected[index] = True
            picks = slate.picks
            if all(checked[i].ok for i in picks):
                break
        else:
            picks = [i for i in picks if checked[i].ok]
        return [(int(pool.rows[i]), i, SOURCE_NAMES[pool.source[i]]) for i in picks], verdicts

    def _fallback_page(
        self, plan: _Plan, view: CatalogView, lists: DerivedLists, now: datetime, now_us: int
    ) -> tuple[list[tuple[int, int, str]], list[Verdict]]:
        if plan.request.surface in PROACTIVE_SURFACES:
            plan.mode_reason += "; nothing is pushed from fallback"
            return [], []
        vetted = self._vetted
        rows = [r for r in lists.fallback.tolist() if vetted is not None and r in vetted.rows]
        verdicts = validate_fallback(
            view,
            rows,
            vetted,
            self.config.fallback.max_age_seconds,
            now,
            now_us,
            plan.user.muted,
            plan.context.blocked_creators,
            plan.excluded,
            plan.served,
        )
        per_creator = self.config.surface(plan.request.surface).per_creator
        counts: dict[int, int] = {}
        picked = []
        for verdict in verdicts:
            creator = int(view.col("creator")[verdict.row])
            if verdict.ok and counts.get(creator, 0) < per_creator:
                counts[creator] = counts.get(creator, 0) + 1
                picked.append((verdict.row, -1, "fallback"))
            if len(picked) == plan.page_size:
                break
        return picked, verdicts

    def _item(
        self,
        plan: _Plan,
        view: CatalogView,
        row: int,
        index: int,
        source: str,
        position: int,
        components: dict[str, float],
        features: dict[str, float],
    ) -> FeedItem:
        """One served item; ``components`` and ``features`` are the scored pool's
        values at ``index`` (empty for a fallback item, ``index`` -1)."""
        catalog = view.catalog
        creator = catalog.creator_ids[int(view.col("creator")[row])]
        provenance: tuple[str, ...] = (source,)
        action = "allow"
        if index >= 0 and plan.pool is not None:
            provenance = _provenance(int(plan.pool.provenance[index]))
            action = ACTION_NAMES[int(plan.pool.action[index])]
        score_value = sum(components.values())
        topics = catalog.candidate(row).topics
        reasons = explain(source, provenance, components, features, creator, topics, action)
        return FeedItem(
            content_id=catalog.ids[row],
            creator_id=creator,
            position=position,
            source=source,
            sources=provenance,
            score=score_value,
            components=components,
            action=action,
            reasons=reasons,
            features=features,
        )


def _values_at(columns: dict[str, np.ndarray], at: list[int]) -> Iterator[dict[str, float]]:
    """``columns`` at each pool index of ``at``, one name -> value dict per index (one
    gather per column, where indexing each column per item cost some 50 µs an item)."""
    if not columns or not at:
        return iter([{} for _ in at])
    names = list(columns)
    index = np.array(at, np.intp)  # converted once, not per column
    table = np.array([np.asarray(columns[name])[index] for name in names], np.float64)
    return (dict(zip(names, values, strict=True)) for values in table.T.tolist())


@cache
def _provenance(mask: int) -> tuple[str, ...]:
    """The names of the sources in a provenance bit mask, in `SOURCE_NAMES` order."""
    return tuple(n for b, n in enumerate(SOURCE_NAMES) if mask >> b & 1)


def _stale_reason(policy_fresh: bool) -> str:
    what = "catalog" if policy_fresh else "policy state"
    return f"{what} could not be confirmed fresh: serving vetted fallback content only"


def _has_profile(user: UserState) -> bool:
    """Whether a personalized page has anything of the user's to go on."""
    return bool(
        user.follows
        or user.topic_affinity
        or user.creator_affinity
        or user.session.items
        or user.session.topics
        or user.controls.include_topics
    )


def _push_block(
    user: UserState, quiet_hours: tuple[int, int] | None, max_per_day: int | None, now: datetime
) -> str:
    """Why nothing may be pushed to this user now ("" when a push may go out)."""
    if not user.controls.push_opt_in:
        return "the user has not opted in to push"
    hours = user.controls.quiet_hours or quiet_hours
    if hours is not None:
        # The contract's local time: the account's zone, else its region's principal
        # zone; UTC only when neither is known.
        zone = zone_for(user.timezone, user.region) or _UTC
        hour = now.astimezone(zone).hour
        start, end = hours
        quiet = start <= hour < end if start <= end else (hour >= start or hour < end)
        if quiet:
            return "quiet hours for this user"
    if max_per_day is not None and user.pushes_last_day >= max_per_day:
        return "push frequency cap reached"
    return ""


def _usable_anchors(
    anchors: np.ndarray, view: CatalogView, context: RequestContext, snapshot: PolicySnapshot
) -> np.ndarray:
    """The anchors this request may be shown. "More like this" of a deleted, blocked,
    denylisted or kill-switched item (or one the user's age band or region may not
    see) would spread what the gate keeps out through its neighbours, so such an
    anchor seeds nothing."""
    if not len(anchors):
        return anchors
    live = anchors[view.col("live")[anchors]]
    decisions = evaluate([view.catalog.candidate(int(r)) for r in live], context, snapshot)
    keep = np.fromiter((d.action < Action.DROP for d in decisions), bool, len(decisions))
    usable: np.ndarray = live[keep]
    return usable


def _anchors_by_space(anchors: np.ndarray | None, view: CatalogView) -> dict[str, int]:
    """How many of the similar source's anchors each embedding space held."""
    if anchors is None or not len(anchors):
        return {}
    return {
        str(view.catalog.spaces[code]): len(group)
        for code, group in anchor_spaces(view.col("space"), anchors)
    }


def _trace(
    plan: _Plan,
    view: CatalogView,
    snapshot: PolicySnapshot,
    verdicts: list[Verdict],
    items: list[FeedItem],
) -> dict[str, Any]:
    """The debug trace of one request (auditor-only through the API)."""
    pool = plan.pool
    user = plan.user
    profile_used = plan.mode == "personalized" and _has_profile(user)
    per_item = []
    spaces = view.catalog.spaces
    for item in items:
        row = view.catalog.index_of[item.content_id]
        decision = pool.decisions.get(row) if pool is not None else None
        entry = {
            "content_id": item.content_id,
            "source": item.source,
            "sources": list(item.sources),
            "components": item.components,
            "action": item.action,
            "rules": rule_path(decision.outcomes) if decision else [],
        }
        if "similar" in item.sources:  # near an anchor in this space (and only in it)
            entry["embedding_space"] = str(spaces[int(view.col("space")[row])])
        per_item.append(entry)
    sources: dict[str, int] = {}
    if pool is not None and len(pool.source):
        # Counted per run of equal codes, in the order sources ran (each source's rows
        # are one run), where `np.unique` sorted the whole pool.
        ends = (np.flatnonzero(pool.source[1:] != pool.source[:-1]) + 1).tolist()
        for start, end in zip([0, *ends], [*ends, len(pool.source)], strict=True):
            name = SOURCE_NAMES[int(pool.source[start])]
            sources[name] = sources.get(name, 0) + end - start
    return {
        "mode": plan.mode,
        "mode_reason": plan.mode_reason,
        "profile_used": profile_used,
        "profile": {
            "topics": len(user.topic_affinity),
            "creators": len(user.creator_affinity),
            "follows": len(user.follows),
            "session_topics": len(user.session.topics),
        },
        "policy_revision": snapshot.revision,
        "catalog_revision": view.revision,
        "model": plan.model,
        "model_reason": plan.trace.get("model_reason", "smoothed estimates (ranker configuration)"),
        "candidates_by_source": sources,
        "similar_anchors": _anchors_by_space(plan.anchors, view),
        "sources_skipped": pool.skipped if pool is not None else {},
        "removed_before_ranking": pool.removed if pool is not None else {},
        "held_back_by_rerank": plan.trace.get("held_back", {}),
        "final_validation": [
            {"content_id": view.catalog.ids[v.row], "ok": v.ok, "reason": v.reason}
            for v in verdicts
            if v.row < view.n
        ],
        "items": per_item,
    }

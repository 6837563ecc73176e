from __future__ import annotations

from datetime import timedelta

import pytest

from safefeed.clock import ManualClock
from safefeed.policy import (
    PolicyCache,
    PolicyDelta,
    PolicyStore,
    StateChange,
    default_policy_config,
)
from safefeed.runtime import Runtime


def test_cache_sees_writes_on_the_next_snapshot(runtime: Runtime) -> None:
    cache = runtime.policy_cache
    assert cache.snapshot().state_of("content", "c1") is None
    with runtime.database.write() as conn:
        runtime.policy.set_state(
            conn,
            StateChange(subject=("content", "c1"), state="blocked", policy_version="p"),
            actor="a",
            reason="r",
        )
        runtime.policy.set_denylisted(conn, "creator", "cr1", active=True, actor="a", reason="r")
        runtime.policy.set_kill_switch(conn, "topic", "news", active=True, actor="a", reason="r")
    snap = cache.snapshot()
    assert snap.state_of("content", "c1").state == "blocked"  # type: ignore[union-attr]
    assert snap.denied("creator", "cr1")
    assert snap.kill_switch("topic", "news", runtime.clock.now()) is not None
    with runtime.database.write() as conn:
        runtime.policy.set_denylisted(conn, "creator", "cr1", active=False, actor="a", reason="r")
        runtime.policy.set_kill_switch(conn, "topic", "news", active=False, actor="a", reason="r")
    snap = cache.snapshot()
    assert not snap.denied("creator", "cr1")
    assert snap.kill_switch("topic", "news", runtime.clock.now()) is None


class BrokenSource:
    """A policy source whose store has gone away."""

    def __init__(self) -> None:
        self.calls = 0

    def current_revision(self) -> int:
        self.calls += 1
        raise ConnectionError("store unreachable")

    def changes_since(self, revision: int) -> PolicyDelta:
        raise AssertionError("not reached")


def test_an_unreadable_store_leaves_the_snapshot_aging_until_stale(clock: ManualClock) -> None:
    config = default_policy_config()
    source = BrokenSource()
    cache = PolicyCache(source, clock, config)
    snap = cache.snapshot()
    assert source.calls == 1
    assert cache.refresh_errors == 1
    assert not snap.is_fresh(clock.now())  # never read: stale from the start


class SeveredSource:
    """The real policy store behind a link that can be cut, as when the database goes away."""

    def __init__(self, inner: PolicyStore) -> None:
        self.inner = inner
        self.severed = False

    def current_revision(self) -> int:
        if self.severed:
            raise ConnectionError("store unreachable")
        return self.inner.current_revision()

    def changes_since(self, revision: int) -> PolicyDelta:
        return self.inner.changes_since(revision)


def test_snapshot_goes_stale_when_refreshes_start_failing(
    runtime: Runtime, clock: ManualClock
) -> None:
    source = SeveredSource(runtime.policy)
    cache = PolicyCache(source, clock, default_policy_config())
    assert cache.snapshot().is_fresh(clock.now())
    source.severed = True
    bound = default_policy_config().freshness_seconds
    clock.advance(bound / 2)
    assert cache.snapshot().is_fresh(clock.now())  # still inside the bound
    clock.advance(bound)
    snap = cache.snapshot()
    assert not snap.is_fresh(clock.now())
    assert snap.age(clock.now()) > timedelta(seconds=bound)
    source.severed = False
    assert cache.snapshot().is_fresh(clock.now())  # recovers on the next good read


def test_memoized_gate_verdicts_follow_every_kind_of_change(
    runtime: Runtime, clock: ManualClock
) -> None:
    """The gate memo is invisible: after each change the memoized answer equals a fresh one."""
    from dataclasses import replace

    from safefeed.policy import Candidate, RequestContext, evaluate

    items = [
        Candidate(content_id=f"c{i}", creator_id=f"cr{i % 2}", topics=("news",)) for i in range(4)
    ]
    context = RequestContext(surface="home", now=clock.now(), age_band="25_plus", region="US")
    cache = runtime.policy_cache

    def actions(memoized: bool) -> list[str]:
        snap = cache.snapshot()
        if not memoized:
            snap = replace(snap, memo=None)
        return [d.action.name for d in evaluate(items, replace(context, now=clock.now()), snap)]

    def change(apply) -> None:  # type: ignore[no-untyped-def]
        with runtime.database.write() as conn:
            apply(conn)
        assert actions(True) == actions(False)

    store = runtime.policy
    assert actions(True) == actions(False)
    for i in range(4):
        change(
            lambda c, i=i: store.set_state(
                c, StateChange(("content", f"c{i}"), "allowed", "p"), actor="a", reason="r"
            )
        )
    assert actions(True) == ["ALLOW"] * 4
    change(
        lambda c: store.set_state(
            c, StateChange(("content", "c1"), "blocked", "p"), actor="a", reason="r"
        )
    )
    change(
        lambda c: store.set_state(
            c, StateChange(("creator", "cr0"), "limited_distribution", "p"), actor="a", reason="r"
        )
    )
    change(lambda c: store.set_denylisted(c, "topic", "news", active=True, actor="a", reason="r"))
    assert actions(True) == ["DROP"] * 4
    change(lambda c: store.set_denylisted(c, "topic", "news", active=False, actor="a", reason="r"))
    change(
        lambda c: store.set_kill_switch(
            c, "item", "c3", active=True, actor="a", reason="r", ttl=timedelta(seconds=10)
        )
    )
    assert actions(True)[3] == "DROP"
    clock.advance(11)  # the switch lapses with no change in the store
    assert actions(True) == actions(False)
    assert actions(True)[3] == "ALLOW"


def test_a_full_gate_memo_evicts_its_oldest_verdicts_not_all(
    runtime: Runtime, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safefeed.policy import Candidate, RequestContext, evaluate
    from safefeed.policy import gate as gate_module

    monkeypatch.setattr(gate_module, "_MEMO_LIMIT", 8)
    monkeypatch.setattr(gate_module, "_MEMO_EVICT", 2)
    snap = runtime.policy_cache.snapshot()
    context = RequestContext(surface="home", now=clock.now(), age_band="25_plus", region="US")
    items = [Candidate(content_id=f"c{i}", creator_id="cr") for i in range(9)]
    evaluate(items, context, snap)
    assert snap.memo is not None
    assert len(snap.memo) == 7  # 8 filled it; the 9th evicted the two oldest
    assert ("c0", "home") not in snap.memo
    assert ("c8", "home") in snap.memo

"""The in-memory view of policy state that every feed stage reads.

A `PolicySnapshot` is what one request sees. `PolicyCache` keeps it current per
process: each `snapshot()` call checks the store's policy revision (one row) when
the refresh interval has passed and applies only the rows that changed. When the
store cannot be read, the snapshot keeps its last ``fresh_at`` and soon exceeds
its freshness bound — and then the gate drops everything: fail closed.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from safefeed.clock import Clock
from safefeed.policy.config import PolicyConfig
from safefeed.policy.records import DenylistRecord, KillSwitchRecord, PolicyRecord, topic_key
from safefeed.types import SubjectKey

__all__ = ["PolicyCache", "PolicyDelta", "PolicySnapshot", "PolicySource"]

#: Policy deltas remembered for `PolicySnapshot.changed_since`.
_CHANGE_LOG = 1024


@dataclass(frozen=True, slots=True)
class PolicySnapshot:
    """Policy state as of ``revision``, last confirmed current at ``fresh_at``.

    The mappings are shared with the cache and only ever move forward to newer
    revisions, so a long-lived snapshot can be fresher than its ``revision`` says,
    never staler.
    """

    revision: int
    fresh_at: datetime
    config: PolicyConfig
    states: Mapping[SubjectKey, PolicyRecord]
    denylist: Mapping[str, frozenset[str]]
    kill_switches: Mapping[tuple[str, str], KillSwitchRecord]
    #: Bumped by every change that can affect any item (configuration, topic or
    #: campaign denylist, kill switches beyond one item or creator).
    generation: int = 0
    #: The revision at which a content item's or creator's own policy last changed.
    subject_revisions: Mapping[SubjectKey, int] = field(default_factory=dict)
    #: Expiry times of active kill switches, ascending (memoized verdicts end at the next).
    switch_expiries: tuple[datetime, ...] = ()
    #: Per-process memo of item-level gate outcomes (None: evaluate every rule afresh).
    memo: dict[Any, Any] | None = None
    #: The recent deltas, oldest first: (from revision, to revision, the items and
    #: creators changed in between). What `changed_since` reads; bounded, so a
    #: long-gone revision has no answer.
    changes: tuple[tuple[int, int, frozenset[SubjectKey]], ...] = ()

    def age(self, now: datetime) -> timedelta:
        return now - self.fresh_at

    def is_fresh(self, now: datetime) -> bool:
        """True while the snapshot is within the configured freshness bound."""
        return self.age(now) <= timedelta(seconds=self.config.freshness_seconds)

    def state_of(self, subject_type: str, subject_id: str) -> PolicyRecord | None:
        return self.states.get((subject_type, subject_id))

    def denied(self, kind: str, value: str) -> bool:
        return value in self.denylist.get(kind, frozenset())

    def next_switch_expiry(self, now: datetime) -> datetime | None:
        """When the next kill switch in force lapses on its own, if any does."""
        at = bisect_right(self.switch_expiries, now)
        return self.switch_expiries[at] if at < len(self.switch_expiries) else None

    def changed_since(self, revision: int) -> frozenset[SubjectKey] | None:
        """The content items and creators whose own policy (state, denylist entry,
        kill switch) changed after ``revision`` up to this snapshot's. None when that
        is no longer known (too old): a memo keyed on ``revision`` must then be dropped
        whole. Changes that affect every item bump ``generation`` instead."""
        if revision >= self.revision:
            return frozenset()
        changes = self.changes
        # Every revision after ``revision`` must still be in the log.
        if revision < 0 or not changes or changes[0][0] > revision:
            return None
        changed: set[SubjectKey] = set()
        for _, to, subjects in changes:
            if revision < to <= self.revision:
                changed |= subjects
        return frozenset(changed)

    def kill_switch(self, scope: str, target: str, now: datetime) -> KillSwitchRecord | None:
        """The switch for (scope, target) if it is in force now."""
        switch = self.kill_switches.get((scope, target))
        return switch if switch is not None and switch.in_force(now) else None


@dataclass(slots=True)
class PolicyDelta:
    """Everything that changed in the store after some revision."""

    revision: int
    config: PolicyConfig | None = None
    states: list[PolicyRecord] = field(default_factory=list)
    denylist: list[DenylistRecord] = field(default_factory=list)
    kill_switches: list[KillSwitchRecord] = field(default_factory=list)


class PolicySource(Protocol):
    """Where the cache reads from (the policy store)."""

    def current_revision(self) -> int: ...

    def changes_since(self, revision: int) -> PolicyDelta: ...


class PolicyCache:
    """Holds one process's policy state in memory and keeps it fresh."""

    def __init__(self, source: PolicySource, clock: Clock, config: PolicyConfig) -> None:
        self._source = source
        self._clock = clock
        self._lock = threading.Lock()
        self._revision = -1
        self._config = config
        self._fresh_at = datetime.min.replace(tzinfo=clock.now().tzinfo)
        self._checked_at = self._fresh_at
        self._states: dict[SubjectKey, PolicyRecord] = {}
        self._denylist: dict[str, frozenset[str]] = {}
        self._kill_switches: dict[tuple[str, str], KillSwitchRecord] = {}
        self._generation = 0
        self._subject_revisions: dict[SubjectKey, int] = {}
        self._switch_expiries: tuple[datetime, ...] = ()
        self._memo: dict[Any, Any] = {}
        self._changes: tuple[tuple[int, int, frozenset[SubjectKey]], ...] = ()
        self.refresh_errors = 0

    def snapshot(self, revision: int | None = None) -> PolicySnapshot:
        """The current snapshot, refreshed first if the refresh interval has passed.

        ``revision`` is the store's policy revision when the caller has just read it
        (the feed reads it in the same statement as the user state): then the store
        is read only when that revision is new to this cache."""
        now = self._clock.now()
        if (now - self._checked_at).total_seconds() >= self._config.refresh_seconds:
            self.refresh(now, revision)
        return self._view()

    def current(self) -> PolicySnapshot:
        """The snapshot as of the last refresh, without reading the store: for a second
        look within one request (its freshness bound still applies)."""
        return self._view()

    def changed_since(self, revision: int) -> frozenset[SubjectKey] | None:
        """See `PolicySnapshot.changed_since` (as of the last refresh)."""
        return self._view().changed_since(revision)

    def refresh(self, now: datetime | None = None, revision: int | None = None) -> bool:
        """Catch up with the store (``revision``: as in `snapshot`). Returns False (and
        keeps the old data, which then ages toward the freshness bound) when the store
        cannot be read."""
        now = now or self._clock.now()
        with self._lock:
            self._checked_at = now
            try:
                if revision is None:
                    revision = self._source.current_revision()
                if revision != self._revision:
                    self._apply(self._source.changes_since(max(self._revision, 0)))
            except Exception:
                # Any failure to read must leave the snapshot aging, never crash serving.
                self.refresh_errors += 1
                return False
            self._fresh_at = now
            return True

    def invalidate(self) -> None:
        """Force the next `snapshot()` to check the store (after a local write)."""
        self._checked_at = datetime.min.replace(tzinfo=self._checked_at.tzinfo)

    def _apply(self, delta: PolicyDelta) -> None:
        if delta.config is not None and delta.config != self._config:
            self._config = delta.config
            self._generation += 1
        touched: set[SubjectKey] = set()
        for record in delta.states:
            self._states[record.subject] = record
            self._subject_revisions[record.subject] = delta.revision
            touched.add(record.subject)
            if record.subject[0] == "user":
                # The gate reads an account's state for its content as a creator's
                # (`gate._account_records`): whatever memoized the creator is stale.
                creator = ("creator", record.subject[1])
                self._subject_revisions[creator] = delta.revision
                touched.add(creator)
        for entry in delta.denylist:
            self._touch(entry.kind, entry.value, delta.revision, touched)
        for switch in delta.kill_switches:
            self._touch(switch.scope, switch.target, delta.revision, touched)
        if delta.denylist:
            changed: dict[str, set[str]] = {}
            for entry in delta.denylist:
                values = changed.setdefault(entry.kind, set(self._denylist.get(entry.kind, ())))
                value = _key(entry.kind, entry.value)
                if entry.active:
                    values.add(value)
                else:
                    values.discard(value)
            for kind, values in changed.items():
                self._denylist[kind] = frozenset(values)
        for switch in delta.kill_switches:
            key = (switch.scope, _key(switch.scope, switch.target))
            if switch.active:
                self._kill_switches[key] = switch
            else:
                self._kill_switches.pop(key, None)
        if delta.kill_switches:
            self._switch_expiries = tuple(
                sorted(s.expires_at for s in self._kill_switches.values() if s.expires_at)
            )
        if self._revision >= 0:  # the first load is everything: nothing memoized yet
            logged = (self._revision, delta.revision, frozenset(touched))
            self._changes = (*self._changes[-(_CHANGE_LOG - 1) :], logged)
        self._revision = delta.revision

    # Denylist kinds and kill-switch scopes that name one item or one creator.
    _ITEM_KINDS: Mapping[str, str] = {
        "content": "content",
        "item": "content",
        "creator": "creator",
    }

    def _touch(self, kind: str, value: str, revision: int, touched: set[SubjectKey]) -> None:
        """Record what a denylist or kill-switch change invalidates in the gate memo."""
        subject_type = self._ITEM_KINDS.get(kind)
        if subject_type is None:
            self._generation += 1  # a topic, campaign, category or mechanism: every item
        else:
            self._subject_revisions[(subject_type, value)] = revision
            touched.add((subject_type, value))

    def _view(self) -> PolicySnapshot:
        return PolicySnapshot(
            revision=self._revision,
            fresh_at=self._fresh_at,
            config=self._config,
            states=self._states,
            denylist=self._denylist,
            kill_switches=self._kill_switches,
            generation=self._generation,
            subject_revisions=self._subject_revisions,
            switch_expiries=self._switch_expiries,
            memo=self._memo,
            changes=self._changes,
        )


def _key(kind: str, value: str) -> str:
    """A denylist value or kill-switch target as the gate looks it up: topics and
    categories (labels) by `topic_key` (entries written before the store normalized
    them included)."""
    return topic_key(value) if kind in ("topic", "category") else value

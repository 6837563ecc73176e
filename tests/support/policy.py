"""Building policy snapshots directly, for gate tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from safefeed.policy import PolicyConfig, PolicyRecord, PolicySnapshot, default_policy_config
from safefeed.policy.records import KillSwitchRecord
from safefeed.types import PolicyState, Recommendability

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def record(
    subject_type: str,
    subject_id: str,
    state: PolicyState,
    surfaces: Mapping[str, Recommendability] | None = None,
    reasons: tuple[str, ...] = (),
) -> PolicyRecord:
    return PolicyRecord(
        subject=(subject_type, subject_id),
        state=state,
        policy_version="test",
        reasons=reasons,
        surfaces=dict(surfaces or {}),
    )


def snapshot(
    records: Iterable[PolicyRecord] = (),
    *,
    denylist: Mapping[str, Iterable[str]] | None = None,
    kill_switches: Iterable[tuple[str, str]] = (),
    fresh_at: datetime = NOW,
    config: PolicyConfig | None = None,
) -> PolicySnapshot:
    switches = {
        (scope, target): KillSwitchRecord(scope, target, "test", "test", fresh_at)  # type: ignore[arg-type]
        for scope, target in kill_switches
    }
    return PolicySnapshot(
        revision=1,
        fresh_at=fresh_at,
        config=config or default_policy_config(),
        states={r.subject: r for r in records},
        denylist={k: frozenset(v) for k, v in (denylist or {}).items()},
        kill_switches=switches,
    )


def stale_time(config: PolicyConfig | None = None) -> datetime:
    """A request time just past the freshness bound of a snapshot made at NOW."""
    bound = (config or default_policy_config()).freshness_seconds
    return NOW + timedelta(seconds=bound + 0.001)

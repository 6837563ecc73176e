from __future__ import annotations

from datetime import timedelta

import pytest

from safefeed.clock import ManualClock
from safefeed.exceptions import ConfigError, InputError, NotFoundError
from safefeed.policy import StateChange, default_policy_config
from safefeed.runtime import Runtime


def change(
    state: str = "limited_distribution", subject: tuple[str, str] = ("content", "c1")
) -> StateChange:
    return StateChange(subject=subject, state=state, policy_version="p1", reasons=("spam",))  # type: ignore[arg-type]


def test_state_changes_keep_history_bump_revision_and_are_audited(runtime: Runtime) -> None:
    store = runtime.policy
    before = store.current_revision()
    with runtime.database.write() as conn:
        store.set_state(conn, change("needs_review"), actor="mod:ana", reason="reported")
        store.set_state(conn, change("blocked"), actor="mod:ana", reason="confirmed")
    assert store.current_revision() == before + 2
    with runtime.database.read() as conn:
        record = store.get_state(conn, ("content", "c1"))
        history = store.history(conn, ("content", "c1"))
        audit = runtime.audit.entries(conn, action="policy.state_changed")
    assert record is not None
    assert record.state == "blocked"
    assert [(h["previous_state"], h["policy_state"]) for h in history] == [
        (None, "needs_review"),
        ("needs_review", "blocked"),
    ]
    assert [a.details["to"] for a in audit] == ["needs_review", "blocked"]
    assert audit[1].actor == "mod:ana"
    assert audit[1].reason == "confirmed"
    assert audit[1].versions["policy_config"] == default_policy_config().version
    assert audit[1].versions["policy_version"] == "p1"


@pytest.mark.parametrize(("actor", "reason"), [("", "why"), ("who", " ")])
def test_every_change_needs_who_and_why(runtime: Runtime, actor: str, reason: str) -> None:
    with pytest.raises(InputError), runtime.database.write() as conn:
        runtime.policy.set_state(conn, change(), actor=actor, reason=reason)


def test_invalid_changes_are_refused(runtime: Runtime) -> None:
    bad = StateChange(
        subject=("content", "c1"), state="allowed", policy_version="p", surfaces={"tv": True}
    )
    with pytest.raises(InputError, match="unknown surface"), runtime.database.write() as conn:
        runtime.policy.set_state(conn, bad, actor="a", reason="r")


def test_denylist_add_and_lift(runtime: Runtime) -> None:
    with runtime.database.write() as conn:
        runtime.policy.set_denylisted(
            conn, "campaign", "#Raid", active=True, actor="a", reason="brigade"
        )
    with runtime.database.read() as conn:
        assert [(e.kind, e.value) for e in runtime.policy.denylist(conn)] == [("campaign", "raid")]
    with runtime.database.write() as conn:
        runtime.policy.set_denylisted(
            conn, "campaign", "raid", active=False, actor="a", reason="over"
        )
    with runtime.database.read() as conn:
        assert runtime.policy.denylist(conn) == []
        assert len(runtime.policy.denylist(conn, include_inactive=True)) == 1
    with pytest.raises(NotFoundError), runtime.database.write() as conn:
        runtime.policy.set_denylisted(conn, "topic", "never", active=False, actor="a", reason="r")
    with pytest.raises(InputError, match="unknown denylist kind"), runtime.database.write() as conn:
        runtime.policy.set_denylisted(conn, "planet", "x", active=True, actor="a", reason="r")


def test_kill_switch_scopes_targets_and_ttl(runtime: Runtime, clock: ManualClock) -> None:
    with runtime.database.write() as conn:
        push = runtime.policy.set_kill_switch(
            conn, "push", "anything", active=True, actor="a", reason="r"
        )
        item = runtime.policy.set_kill_switch(
            conn, "item", "c1", active=True, actor="a", reason="r", ttl=timedelta(minutes=5)
        )
    assert push.target == "*"
    assert item.expires_at == clock.now() + timedelta(minutes=5)
    assert item.in_force(clock.now())
    assert not item.in_force(clock.now() + timedelta(minutes=6))
    with pytest.raises(InputError, match="needs a target"), runtime.database.write() as conn:
        runtime.policy.set_kill_switch(conn, "creator", "*", active=True, actor="a", reason="r")
    with runtime.database.write() as conn:
        runtime.policy.set_kill_switch(conn, "push", "*", active=False, actor="a", reason="r")
    with runtime.database.read() as conn:
        assert [(s.scope, s.target) for s in runtime.policy.kill_switches(conn)] == [("item", "c1")]


def test_policy_config_versions_are_validated_activated_and_audited(runtime: Runtime) -> None:
    document = default_policy_config().document()
    document["version"] = "v2"
    document["text_thresholds"]["profanity"]["limit"] = 0.9
    with runtime.database.write() as conn:
        runtime.policy.activate_config(conn, document, actor="lead", reason="tighter")
    with runtime.database.read() as conn:
        assert runtime.policy.active_config(conn).version == "v2"
        record = runtime.audit.entries(conn, action="policy_config.activated")[0]
    assert record.details["changes"]["text_thresholds.profanity.limit"] == [0.95, 0.9]
    with pytest.raises(InputError, match="exists"), runtime.database.write() as conn:
        runtime.policy.activate_config(conn, document, actor="lead", reason="again")
    unsafe = {**document, "version": "v3"}
    unsafe["surfaces"] = {**document["surfaces"], "push": {"rules": [{"name": "snapshot_fresh"}]}}
    with pytest.raises(ConfigError, match="mandatory"), runtime.database.write() as conn:
        runtime.policy.activate_config(conn, unsafe, actor="lead", reason="faster")

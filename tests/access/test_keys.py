"""API keys over the real store: who a key belongs to, and what a key's labels may be."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from safefeed.access.keys import ApiKeyStore, Principal, same_owner
from safefeed.exceptions import InputError
from safefeed.runtime import Runtime
from safefeed.store.tables import AuditRecord


def test_a_key_belongs_to_its_owner_and_says_so_everywhere(runtime: Runtime) -> None:
    with runtime.database.write() as conn:
        laptop = runtime.keys.issue(
            conn, "alice-laptop", ["moderator"], owner="alice", actor="cli:root", reason="new"
        )
        ci = runtime.keys.issue(conn, "alice-ci", ["service"], owner="alice", actor="t", reason="r")
    assert laptop.principal == Principal(
        laptop.principal.key_id, "alice-laptop", "alice", frozenset({"moderator"})
    )
    assert laptop.principal.actor == "key:alice-laptop"  # the audit actor stays the key
    with runtime.database.read() as conn:
        assert ApiKeyStore.authenticate(conn, ci.token) == ci.principal
        listed = {k["name"]: k["owner"] for k in runtime.keys.list(conn)}
        issued = conn.execute(
            select(AuditRecord.details).where(AuditRecord.action == "api_key.issued")
        ).scalars()
        assert [d["owner"] for d in issued] == ["alice", "alice"]
    assert listed == {"alice-laptop": "alice", "alice-ci": "alice"}


def test_a_key_without_an_owner_belongs_to_itself(runtime: Runtime) -> None:
    with runtime.database.write() as conn:
        issued = runtime.keys.issue(conn, "platform", ["service"], actor="t", reason="r")
    assert issued.principal.owner == "platform"
    with runtime.database.read() as conn:
        assert ApiKeyStore.authenticate(conn, issued.token) == issued.principal


@pytest.mark.parametrize(
    ("name", "owner", "message"),
    [
        ("k", "", "a key's owner must not be blank"),
        ("k", "   ", "a key's owner must not be blank"),
        ("k", " alice", "a key's owner ' alice' starts or ends with a space"),
        ("k", "alice\n", "a key's owner 'alice\\n' starts or ends with a space"),
        ("k", "al\tice", "a key's owner 'al\\tice' holds a control or other unprintable"),
        ("k", "a" * 257, "a key's owner is 257 characters long; at most 256"),
        ("", None, "a key's name must not be blank"),
        ("k ", None, "a key's name 'k ' starts or ends with a space"),
    ],
)
def test_a_blank_or_unprintable_owner_or_name_is_refused(
    runtime: Runtime, name: str, owner: str | None, message: str
) -> None:
    refused = pytest.raises(InputError, match="^" + re.escape(message))
    with refused, runtime.database.write() as conn:
        runtime.keys.issue(conn, name, ["viewer"], owner=owner, actor="t", reason="r")
    with runtime.database.read() as conn:
        assert runtime.keys.list(conn) == []


def test_owners_are_one_person_whatever_their_case() -> None:
    assert same_owner("alice", "alice")
    assert same_owner("Alice", "ALICE")
    assert same_owner("Straße", "STRASSE")
    assert not same_owner("alice", "alice-ci")

"""The hash chain's pure parts: canonical JSON, the record body and the record hash."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import safefeed.audit
from safefeed.audit.chain import (
    GENESIS,
    canonical_json,
    format_time,
    record_body,
    record_hash,
    to_json_value,
)

AT = datetime(2026, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def body(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "at": AT,
        "actor": "key:alice",
        "action": "policy.state_changed",
        "reason": "confirmed violation",
        "subject": ("content", "c1"),
        "versions": {"policy": "v3"},
        "details": {"from": "allowed", "to": "blocked"},
    }
    fields.update(overrides)
    return record_body(**fields)


def test_package_exports_exactly_the_public_names() -> None:
    assert set(safefeed.audit.__all__) == {
        "GENESIS",
        "AuditEntry",
        "AuditLog",
        "JsonValue",
        "Problem",
        "ProblemKind",
        "VerifyReport",
        "canonical_json",
        "format_time",
        "parse_anchor",
        "record_body",
        "record_hash",
        "to_json_value",
    }
    for name in safefeed.audit.__all__:
        assert getattr(safefeed.audit, name) is not None


def test_genesis_is_64_zeros() -> None:
    assert GENESIS == "0" * 64


def test_canonical_json_sorts_keys_at_every_level_and_has_no_whitespace() -> None:
    value = {"b": {"z": 1, "a": [2, {"y": None, "x": True}]}, "a": "text"}
    assert canonical_json(value) == b'{"a":"text","b":{"a":[2,{"x":true,"y":null}],"z":1}}'


def test_canonical_json_writes_non_ascii_as_utf8() -> None:
    assert canonical_json({"name": "Zoë ✓"}) == '{"name":"Zoë ✓"}'.encode()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_canonical_json_rejects_non_finite_numbers(bad: float) -> None:
    with pytest.raises(ValueError, match="no JSON form"):
        canonical_json({"score": [1.0, bad]})


def test_canonical_json_writes_times_as_utc_rfc3339() -> None:
    plus_two = datetime(2026, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert canonical_json({"at": plus_two}) == b'{"at":"2026-05-01T12:00:00.000000Z"}'


def test_integers_must_fit_in_64_bits() -> None:
    assert canonical_json([2**63 - 1, -(2**63)]) == b"[9223372036854775807,-9223372036854775808]"
    for bad in (2**63, -(2**63) - 1):
        with pytest.raises(ValueError, match="64 bits"):
            canonical_json({"n": bad})


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        canonical_json({"at": datetime(2026, 5, 1)})


@pytest.mark.parametrize("bad", [{1: "x"}, {"s": {1, 2}}, {"b": b"bytes"}, {"o": object()}])
def test_values_without_an_exact_json_form_are_rejected(bad: dict[Any, Any]) -> None:
    with pytest.raises(TypeError):
        canonical_json(bad)


def test_to_json_value_turns_tuples_into_lists_and_subclasses_into_plain_values() -> None:
    class Name(str):
        pass

    converted = to_json_value({"pair": ("a", 1), "name": Name("n")})
    assert converted == {"pair": ["a", 1], "name": "n"}
    assert isinstance(converted, dict)
    assert type(converted["name"]) is str


def test_format_time_always_has_six_fraction_digits() -> None:
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"
    assert format_time(AT) == "2026-05-01T12:00:00.250000Z"


def test_record_body_holds_the_content_but_not_the_sequence_number() -> None:
    assert body() == {
        "at": "2026-05-01T12:00:00.250000Z",
        "actor": "key:alice",
        "action": "policy.state_changed",
        "reason": "confirmed violation",
        "subject": ["content", "c1"],
        "versions": {"policy": "v3"},
        "details": {"from": "allowed", "to": "blocked"},
    }
    assert body(subject=None)["subject"] is None


def test_record_hash_is_sha256_over_prev_hash_then_canonical_body() -> None:
    expected = hashlib.sha256(GENESIS.encode() + canonical_json(body())).hexdigest()
    assert record_hash(GENESIS, body()) == expected
    assert len(expected) == 64


def test_record_hash_ignores_key_order() -> None:
    reordered = dict(reversed(list(body().items())))
    assert record_hash(GENESIS, reordered) == record_hash(GENESIS, body())


@pytest.mark.parametrize(
    "change",
    [
        {"at": AT + timedelta(microseconds=1)},
        {"actor": "key:mallory"},
        {"action": "policy.state_reverted"},
        {"reason": "confirmed violation."},
        {"subject": ("content", "c2")},
        {"subject": None},
        {"versions": {"policy": "v4"}},
        {"details": {"from": "allowed", "to": "restricted"}},
    ],
)
def test_any_change_to_the_body_changes_the_hash(change: dict[str, Any]) -> None:
    assert record_hash(GENESIS, body(**change)) != record_hash(GENESIS, body())


def test_the_hash_depends_on_the_previous_hash() -> None:
    assert record_hash("1" * 64, body()) != record_hash(GENESIS, body())


@given(json_values)
def test_canonical_json_is_stable_through_a_json_round_trip(value: Any) -> None:
    # What the store hands back must hash exactly as what was appended.
    once = canonical_json(value)
    assert canonical_json(json.loads(once)) == once

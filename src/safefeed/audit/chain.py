"""The hash chain: canonical JSON for an audit record's body and the record hash.

A record's hash is SHA-256 over the previous record's hash followed by the record's
canonical body, so changing, removing or moving any record breaks every link after it.
The first record follows `GENESIS`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from safefeed.clock import utc

__all__ = [
    "GENESIS",
    "JsonValue",
    "canonical_json",
    "format_time",
    "record_body",
    "record_hash",
    "to_json_value",
]

#: What the first record of a chain follows.
GENESIS = "0" * 64

# Integers beyond 64 bits do not survive the store's JSON codec nor most parsers.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1

#: A value with an exact JSON form (what `to_json_value` returns).
JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


def format_time(when: datetime) -> str:
    """RFC 3339 in UTC with exactly six fractional digits: one spelling per instant.

    >>> from datetime import timedelta, timezone
    >>> format_time(datetime(2026, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2))))
    '2026-05-01T10:30:00.000000Z'
    """
    return utc(when).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def to_json_value(value: object) -> JsonValue:
    """``value`` as plain JSON data: tuples become lists, times RFC 3339 strings.

    Raises `ValueError` for NaN, infinities, integers beyond 64 bits and naive
    datetimes, `TypeError` for non-string object keys and for anything else JSON
    cannot hold exactly.

    >>> from datetime import UTC
    >>> to_json_value({"at": datetime(2026, 5, 1, tzinfo=UTC), "ids": ("a", 1)})
    {'at': '2026-05-01T00:00:00.000000Z', 'ids': ['a', 1]}
    """
    # Exact types first: verify runs this over every record ever written.
    if value is None or type(value) is str or type(value) is bool:
        return value
    if type(value) is dict or isinstance(value, Mapping):
        return {_key(key): to_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise ValueError(f"{value} does not fit in 64 bits")
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no JSON form")
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, datetime):
        return format_time(value)
    raise TypeError(f"a {type(value).__name__} has no exact JSON form")


def _key(key: object) -> str:
    if type(key) is str:
        return key
    if isinstance(key, str):
        return str.__str__(key)
    raise TypeError(f"JSON object keys must be strings, not {type(key).__name__}")


def canonical_json(value: object) -> bytes:
    """The one byte string for ``value``: UTF-8, sorted keys, no whitespace, no NaN.

    >>> canonical_json({"b": 1, "a": [True, None, "é"]}).decode()
    '{"a":[true,null,"é"],"b":1}'
    >>> canonical_json({"score": float("nan")})
    Traceback (most recent call last):
    ...
    ValueError: nan has no JSON form
    """
    text = json.dumps(
        to_json_value(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return text.encode("utf-8")


def record_body(
    *,
    at: datetime,
    actor: str,
    action: str,
    reason: str,
    subject: tuple[str, str] | None,
    versions: Mapping[str, Any],
    details: Mapping[str, Any],
) -> dict[str, Any]:
    """The hashed content of one audit record.

    The sequence number is deliberately not part of it: order is carried by the
    ``prev_hash`` links, so renumbering records shows up as broken links (deleted,
    inserted, reordered) rather than as edits of every renumbered record.
    """
    return {
        "at": format_time(at),
        "actor": actor,
        "action": action,
        "reason": reason,
        "subject": None if subject is None else list(subject),
        "versions": dict(versions),
        "details": dict(details),
    }


def record_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    """SHA-256 (hex) over ``prev_hash`` followed by the canonical JSON of ``body``.

    >>> record_hash(GENESIS, {"actor": "alice"})
    '90a473f830771f250f03e24234c2bcfb964f7befdcc8261a72a04c59ffbc06ef'
    """
    digest = hashlib.sha256(prev_hash.encode("utf-8"))
    digest.update(canonical_json(body))
    return digest.hexdigest()

"""Field types: the timestamp fast path decides exactly as the general RFC 3339 path."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from safefeed.events.fields import _parse_rfc3339, _parse_rfc3339_general

# Near misses on purpose: any digit (not only ASCII), every separator and offset
# spelling, long fractions, a missing offset, a trailing newline.
_STAMP_LIKE = st.from_regex(
    r"\A\d{4}-\d{2}-\d{2}[Tt _]\d{2}:\d{2}(:\d{2})?([.,]\d{1,9})?([Zz]|[+-]\d{2}:?\d{2})?\n?\Z"
)
# Real date-times (most of them valid), spelled with and without offsets and fractions.
_REAL = st.builds(
    lambda moment, sep, spec, tail: moment.isoformat(sep=sep, timespec=spec) + tail,
    st.datetimes(timezones=st.none() | st.timezones()),
    st.sampled_from("Tt "),
    st.sampled_from(["seconds", "milliseconds", "microseconds", "minutes"]),
    st.sampled_from(["", "Z", "z", "+02:00", "123"]),
)


def _outcome(parse: Any, value: object) -> tuple[object, ...]:
    try:
        parsed = parse(value)
    except ValueError as exc:
        return ("rejected", str(exc))
    return ("parsed", parsed, parsed.tzinfo)


@given(st.one_of(_STAMP_LIKE, _REAL, st.text(max_size=30)))
@example("2026-05-01T21:14:03Z")
@example("2026-05-01T21:14:03")
@example("2026-05-01T23:14:03.123456+02:00")
@example("2026-05-01T23:14:03.123456789+02:00")
@example("2026-02-30T00:00:00Z")
@example("2026-05-01T23:59:60Z")
@example("2026-05-01T21:14:03+24:00")
@example("2026-05-01T21:14:03Z\n")
def test_fast_path_agrees_with_the_general_path(value: str) -> None:
    assert _outcome(_parse_rfc3339, value) == _outcome(_parse_rfc3339_general, value)


@pytest.mark.parametrize("value", [1714598043, None, b"2026-05-01T21:14:03Z"])
def test_non_strings_take_the_general_path(value: object) -> None:
    assert _outcome(_parse_rfc3339, value) == _outcome(_parse_rfc3339_general, value)

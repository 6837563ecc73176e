"""Field types shared by the event models: strict ids, RFC 3339 times, bounded numbers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

__all__ = [
    "Id",
    "NonNegative",
    "RegionCode",
    "Timestamp",
    "TimezoneName",
    "UnitInterval",
    "Version",
]

# RFC 3339 date-time: a full date, a time, optional fraction and a mandatory offset.
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)


# The shape nearly every log uses, which `datetime.fromisoformat` reads unchanged: one
# anchored ASCII match replaces the general path's checks for every event.
_RFC3339_PLAIN = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)


def _parse_rfc3339(value: Any) -> Any:
    if value.__class__ is str and _RFC3339_PLAIN.fullmatch(value) is not None:
        try:
            return _representable(datetime.fromisoformat(value), value)
        except ValueError:
            pass  # an impossible date: the general path below words the error
    return _representable(_parse_rfc3339_general(value), value)


def _representable(when: datetime, value: Any) -> datetime:
    # The store keeps instants in UTC: 0001-01-01T00:00+01:00 parses but falls
    # before year 1 there, and once stored it broke every read of the log.
    if when.year in (1, 9999):
        try:
            when.astimezone(UTC)
        except OverflowError:
            raise ValueError(
                f"{value!r} is outside the years 1 to 9999 once converted to UTC"
            ) from None
    return when


def _parse_rfc3339_general(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamp needs a time zone offset")
        return value
    if not isinstance(value, str):
        raise ValueError("timestamp must be an RFC 3339 string, e.g. 2026-05-01T21:14:03Z")
    match = _RFC3339.match(value)
    if match is None:
        raise ValueError(
            f"{value!r} is not an RFC 3339 timestamp with offset, e.g. 2026-05-01T21:14:03Z"
        )
    text = value
    fraction = match.group(1)
    if fraction is not None and len(fraction) > 7:
        # Python keeps microseconds; nanosecond digits are truncated, not rejected.
        text = text.replace(fraction, fraction[:7], 1)
    if text[10] != "T" or text[-1] == "z":
        text = text[:10] + "T" + text[11:].replace("z", "Z")
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid date-time: {exc}") from None


@lru_cache(maxsize=1024)
def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_zone(name: str) -> str:
    if not _known_zone(name):
        raise ValueError(f"{name!r} is not an IANA time zone name")
    return name


def _version_text(value: Any) -> Any:
    # Platforms number policy versions as integers or strings; both mean the same.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Id = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=256)]
Timestamp = Annotated[datetime, BeforeValidator(_parse_rfc3339)]
RegionCode = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Z]{2}$")]
TimezoneName = Annotated[str, StringConstraints(strict=True), AfterValidator(_check_zone)]
UnitInterval = Annotated[float, Field(strict=True, ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(strict=True, ge=0.0)]
Version = Annotated[
    str, BeforeValidator(_version_text), StringConstraints(strict=True, min_length=1)
]

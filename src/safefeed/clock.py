"""Clocks. Domain code takes a `Clock` instead of reading the wall time itself,
so that replay can run on the events' own clock and tests can move time by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock", "from_us", "to_us", "utc"]


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: replay sets it from event times.

    >>> clock = ManualClock(datetime(2026, 5, 1, tzinfo=UTC))
    >>> clock.advance(seconds=90).isoformat()
    '2026-05-01T00:01:30+00:00'
    """

    def __init__(self, start: datetime) -> None:
        self._now = utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        """Move the clock to ``when``; it never goes backwards."""
        when = utc(when)
        if when > self._now:
            self._now = when

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by ``seconds`` and return the new time."""
        self._now += timedelta(seconds=seconds)
        return self._now


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def utc(when: datetime) -> datetime:
    """Return ``when`` in UTC; a naive datetime is rejected rather than guessed."""
    if when.tzinfo is None:
        raise ValueError("naive datetime: a time zone offset is required")
    return when.astimezone(UTC)


def to_us(when: datetime) -> int:
    """Microseconds since the Unix epoch: the store's portable, sortable time column.

    >>> to_us(datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC))
    1000000
    """
    if when.tzinfo is None:
        raise ValueError("naive datetime: a time zone offset is required")
    # Aware subtraction handles any offset; integer division keeps it exact.
    return (when - _EPOCH) // _MICROSECOND


def from_us(us: int) -> datetime:
    """Inverse of `to_us`.

    >>> from_us(1_000_000).isoformat()
    '1970-01-01T00:00:01+00:00'
    """
    return _EPOCH + timedelta(microseconds=us)

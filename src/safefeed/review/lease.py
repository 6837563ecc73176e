"""Claim leases: a claim holds a case for its moderator until ``claim_expires_us``.

Nothing sweeps lapsed claims: every query reads the lease, so a case whose claim
lapsed counts as waiting again (listed as waiting, offered by claim-next, counted in
the metrics and the overload check) while its row still says ``claimed``. The row is
rewritten only when someone claims the case: its holder renews the lease, anyone
else takes the case over. Until then the holder may still decide or release it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_

from safefeed.store.risk_tables import RiskCase
from safefeed.store.tables import table_of

__all__ = ["held", "lapsed", "status_at", "waiting"]

_cases = table_of(RiskCase)


def lapsed(status: str, expires_us: int | None, now_us: int) -> bool:
    """Whether a claim has lapsed; a claim without a lease (none is made so) has.

    >>> lapsed("claimed", 2_000, now_us=1_999), lapsed("claimed", 2_000, now_us=2_000)
    (False, True)
    >>> lapsed("waiting", None, now_us=0)
    False
    """
    return status == "claimed" and (expires_us is None or expires_us <= now_us)


def status_at(status: str, expires_us: int | None, now_us: int) -> str:
    """The status a case has for its readers at ``now_us``: a lapsed claim waits.

    >>> status_at("claimed", 2_000, now_us=1_000), status_at("claimed", 2_000, now_us=2_000)
    ('claimed', 'waiting')
    """
    return "waiting" if lapsed(status, expires_us, now_us) else status


def waiting(now_us: int) -> ColumnElement[bool]:
    """`status_at` is ``waiting``, in SQL: nobody holds the case."""
    expires = _cases.c.claim_expires_us
    return or_(
        _cases.c.status == "waiting",
        and_(_cases.c.status == "claimed", or_(expires.is_(None), expires <= now_us)),
    )


def held(now_us: int) -> ColumnElement[bool]:
    """`status_at` is ``claimed``, in SQL: the claim's lease still runs."""
    return and_(_cases.c.status == "claimed", _cases.c.claim_expires_us > now_us)

"""How much one user's engagement counts toward an item's statistics.

Trending and the engagement estimates must not be bought by fresh accounts or
scripts. Each user's events in a batch get one weight: full for an established
account, less for a brand-new or unknown one, little for a bot-like burst.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["BOT_BURST_EVENTS", "LOW_TRUST", "trust_weights"]

#: Engagement events within one minute above which a user's activity looks scripted.
BOT_BURST_EVENTS = 40
#: Weights below this count as low-trust engagement (the trending cooldown reads it).
LOW_TRUST = 0.5
_NEW_ACCOUNT_US = 24 * 3600 * 1_000_000


def trust_weights(
    event_times: Mapping[str, Sequence[int]],
    account_created_us: Mapping[str, int],
    now_us: int,
) -> dict[str, float]:
    """A weight in (0, 1] per user, from account age and burstiness.

    >>> day = 24 * 3600 * 1_000_000
    >>> created = {"old": 0, "new": 5 * day + day // 2}
    >>> trust_weights({"old": [0], "new": [0], "ghost": [0]}, created, 6 * day)
    {'old': 1.0, 'new': 0.4, 'ghost': 0.2}
    >>> trust_weights({"bot": list(range(0, 50_000_000, 1_000_000))}, {"bot": 0}, 10 * day)
    {'bot': 0.05}
    """
    weights: dict[str, float] = {}
    for user, times in event_times.items():
        created = account_created_us.get(user)
        if created is None:
            weight = 0.2  # no account event: nothing vouches for this user
        elif now_us - created < _NEW_ACCOUNT_US:
            weight = 0.4
        else:
            weight = 1.0
        if _bursty(times):
            weight = min(weight, 0.05)
        weights[user] = weight
    return weights


def _bursty(times: Sequence[int]) -> bool:
    if len(times) <= BOT_BURST_EVENTS:
        return False
    ordered = sorted(times)
    span = 60 * 1_000_000
    return any(
        ordered[i + BOT_BURST_EVENTS] - ordered[i] < span
        for i in range(len(ordered) - BOT_BURST_EVENTS)
    )

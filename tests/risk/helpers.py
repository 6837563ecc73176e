"""Small logs for the risk and review tests: generated and seeded, or written by hand."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

from safefeed.events.models import EVENT_ADAPTER, Event
from safefeed.risk.scenarios import ScenarioParams, generate_scenarios

__all__ = [
    "FOREIGN_ADULT",
    "FOREIGN_MINORS",
    "SMALL",
    "STREAMER",
    "Live",
    "foreign_log",
    "ingest",
    "parsed",
    "small_log",
    "streamer_log",
    "with_phase",
]

#: A small platform: one escalating creator, one adult seeking minors, one brigade.
SMALL = ScenarioParams(
    days=12.0,
    viewers=250,
    ordinary_creators=5,
    escalating=1,
    seekers=1,
    late_night=1,
    harmful_trends=1,
    big_stable=1,
    teen_creators=1,
    viral_spikes=0,
    brigaded=1,
    benign_trends=0,
    adult_fans=1,
    small_creators=20,
)


@cache
def small_log(seed: int = 3) -> tuple[tuple[dict[str, Any], ...], dict[str, Any]]:
    events, truth = generate_scenarios(seed, SMALL)
    return tuple(events), truth


def parsed(events: tuple[dict[str, Any], ...]) -> list[Event]:
    return [EVENT_ADAPTER.validate_python(e) for e in events]


def ingest(runtime: Any, clock: Any, events: tuple[dict[str, Any], ...], chunk: int = 4000) -> None:
    """Ingest through the real pipeline, the manual clock following the events."""

    from safefeed.ingest import IngestContext

    for start in range(0, len(events), chunk):
        part = list(events[start : start + chunk])
        clock.set(datetime.fromisoformat(part[-1]["ts"].replace("Z", "+00:00")))
        result = runtime.ingestor.ingest_records(part, IngestContext(actor="test"))
        assert not result.rejected


def with_phase(runtime: Any, phase: str) -> Any:
    """Rewire the runtime's risk consumer to a rollout phase (as configuration would)."""
    from safefeed.risk.config import load_risk_config
    from safefeed.risk.consumer import RiskConsumer

    runtime.ingestor.consumers.remove(runtime.risk)
    runtime.risk = RiskConsumer(
        runtime.policy, runtime.audit, runtime.clock, load_risk_config(phase=phase)
    )
    runtime.ingestor.consumers.append(runtime.risk)
    return runtime


# Written by hand, not by the scenario generator, whose habits the code may be fitted to.

FOREIGN_MINORS = {"ユーザー_七": "13_15", "x" * 256: "under_13", "user/with spaces & ü": "16_17"}
FOREIGN_ADULT = "0000123"  # numeric-looking, leading zeros: must stay a string


def foreign_log(days: int = 4) -> list[dict[str, Any]]:
    """An adult account inviting the same minors to private contact in a live each day,
    as another platform's converter might write it: offsets other than Z, fractions,
    ids of any shape, no optional field, and fields the contract does not name."""
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    zones = [timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)), UTC]
    events: list[dict[str, Any]] = []

    def add(minutes: int, event_type: str, **fields: Any) -> None:
        n = len(events)
        at = (start + timedelta(minutes=minutes, microseconds=n)).astimezone(zones[n % 3])
        stamp = at.isoformat(timespec="microseconds")
        events.append({"event_id": f"{n:07d}", "type": event_type, "ts": stamp, **fields})

    add(0, "account.created", user_id=FOREIGN_ADULT, age_band="25_plus", kst_rank={"tier": 3})
    for user, band in FOREIGN_MINORS.items():
        add(0, "account.created", user_id=user, age_band=band)
    for day in range(days):
        session, at = f"LIVE#{day:05d}", day * 1440 + 60
        add(at, "live.started", live_session_id=session, creator_id="🎥host")
        for user, band in FOREIGN_MINORS.items():
            add(at + 1, "live.viewer_joined", live_session_id=session, user_id=user, age_band=band)
        add(
            at + 2,
            "live.viewer_joined",
            live_session_id=session,
            user_id=FOREIGN_ADULT,
            age_band="25_plus",
        )
        for i, (user, band) in enumerate(FOREIGN_MINORS.items()):
            add(
                at + 5 + i,
                "live.interaction",
                live_session_id=session,
                from_user_id=FOREIGN_ADULT,
                to_user_id=user,
                from_age_band="25_plus",
                to_age_band=band,
                kind="dm_request" if day % 2 else "private_invite",
            )
        add(at + 30, "live.ended", live_session_id=session)
    return events


STREAMER = "streamer 🎮"


@dataclass(frozen=True, slots=True)
class Live:
    """One live of the hand-written streamer: when, who joins, who seeks private contact."""

    hour: float
    teens: int
    adults: int
    private_contacts: int = 0
    #: Adult viewers reaching the streamer: a gift, a DM request, a private invite in turn.
    reach_streamer: int = 0


def streamer_log(
    lives: Sequence[Live], *, teens_first: bool, band: str = "25_plus"
) -> list[dict[str, Any]]:
    """A creator's daily lives (an adult's unless ``band`` says otherwise), one a day
    at the local ``hour`` of each.

    Teens chat and gift, the streamer thanks them by chat mention (a performer and
    their audience addressing each other); ``private_contacts`` adult viewers send
    a minor a DM request or a private invite. With ``teens_first`` the session's
    teen viewers join before its adults (as a platform may emit them, grouped by
    band); else the joins are shuffled. The streamer's zone comes from the account
    (São Paulo, UTC-3 all year), the stamps carry UTC-3 offsets.
    """
    zone = timezone(timedelta(hours=-3))
    start = datetime(2026, 4, 1, tzinfo=zone)
    events: list[dict[str, Any]] = []

    def add(at: datetime, event_type: str, **fields: Any) -> None:
        stamp = at.isoformat(timespec="seconds")
        events.append({"event_id": f"st-{len(events)}", "type": event_type, "ts": stamp, **fields})

    def interact(
        at: datetime, session: str, sender: tuple[str, str], receiver: tuple[str, str], kind: str
    ) -> None:
        add(
            at,
            "live.interaction",
            live_session_id=session,
            from_user_id=sender[0],
            to_user_id=receiver[0],
            from_age_band=sender[1],
            to_age_band=receiver[1],
            kind=kind,
        )

    teens = [(f"teen {i}", ("13_15", "16_17")[i % 2]) for i in range(60)]
    adults = [(f"adult {i}", ("18_24", "25_plus")[i % 2]) for i in range(80)]
    add(
        start,
        "account.created",
        user_id=STREAMER,
        age_band=band,
        region="BR",
        timezone="America/Sao_Paulo",
        is_creator=True,
    )
    for user, band in teens + adults:
        add(start, "account.created", user_id=user, age_band=band, region="BR")
    for day, live in enumerate(lives):
        session = f"live {day}"
        at = start + timedelta(days=day + 1, hours=live.hour)
        add(at, "live.started", live_session_id=session, creator_id=STREAMER, category="gaming")
        # The same regulars come back, a few new faces each day.
        seen_teens = [teens[(3 * day + i) % len(teens)] for i in range(live.teens)]
        seen_adults = [adults[(5 * day + i) % len(adults)] for i in range(live.adults)]
        audience = seen_teens + seen_adults
        if not teens_first:
            random.Random(day).shuffle(audience)
        for i, (user, band) in enumerate(audience):
            add(
                at + timedelta(seconds=10 + 5 * i),
                "live.viewer_joined",
                live_session_id=session,
                user_id=user,
                age_band=band,
            )
        talk = at + timedelta(minutes=20)
        host = (STREAMER, band)
        for k in range(min(20, live.teens)):
            kind = "gift" if k % 3 else "chat_mention"
            interact(talk + timedelta(minutes=k), session, seen_teens[k], host, kind)
            thanks = talk + timedelta(minutes=k, seconds=20)
            interact(thanks, session, host, seen_teens[k], "chat_mention")
        for k in range(min(live.private_contacts, live.teens, live.adults)):
            kind = "dm_request" if k % 2 else "private_invite"
            seek = talk + timedelta(minutes=k, seconds=40)
            interact(seek, session, seen_adults[k], seen_teens[-1 - k], kind)
        for k in range(min(live.reach_streamer, live.adults)):
            kind = ("gift", "dm_request", "private_invite")[k % 3]
            interact(talk + timedelta(minutes=k, seconds=50), session, seen_adults[k], host, kind)
        add(at + timedelta(hours=2), "live.ended", live_session_id=session)
    # One offset throughout, so the stamps sort as text; a stable sort keeps causal order.
    return sorted(events, key=lambda event: str(event["ts"]))

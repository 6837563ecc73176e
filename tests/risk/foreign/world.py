"""An outside live-streaming world, written without reading safefeed's scenario
generator or detectors: from EVENTS.md and the category descriptions only.

It exists to test the live categories (age-related exposure, contextual
vulnerability) on a platform that is not the one the funnel was tuned on: its
conventions differ on purpose —

- stamps carry the platform's own offset (-03:00) and milliseconds;
- many accounts have no time zone, in regions that span several, across daylight
  saving changes; a tenth of viewers never had an ``account.created``;
- joins come in bursts, most viewers never get a ``viewer_left``, a quarter of lives
  never get ``live.ended``; an interaction may precede its sender's join within the
  same second, and some senders never join at all;
- audiences from 3 to 400 viewers (2,000 with the full mix);

and its look-alikes are its own: teen creators streaming to teen friends late at
night, family lives with children present, classes, adult gamers and popular
creators with teens in chat, channel moderators who DM viewers, relatives, parents,
young adults among 16-17-year-old friends, night owls and creators whose evening is
late in UTC. Harmful: slow-burn and bursty groomers, viewers spread thin across many
creators' lives, creators inviting their young viewers to private contact, young
adults seeking 13-15-year-olds, and late-night lives (an adult's audience turning
young, a minor's turning adult). Subjects hosting harmful viewers are ``involved``.

    python -m tests.risk.foreign.world OUT_DIR SEED [--full]
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["FULL", "SMALL", "Mix", "generate"]

T0 = datetime(2026, 3, 2, tzinfo=UTC)
SERVER = timezone(timedelta(hours=-3))
REGIONS = {
    "US": ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"],
    "BR": ["America/Sao_Paulo"],
    "GB": ["Europe/London"],
    "DE": ["Europe/Berlin"],
    "IN": ["Asia/Kolkata"],
    "JP": ["Asia/Tokyo"],
    "AU": ["Australia/Sydney", "Australia/Perth", "Australia/Brisbane"],
    "PH": ["Asia/Manila"],
    "MX": ["America/Mexico_City"],
    "ID": ["Asia/Jakarta"],
}
MINOR = ("under_13", "13_15", "16_17")
ADULT = ("18_24", "25_plus")
CHAT = ["gg", "lol", "hi everyone", "nice one", "what game is this", "brb", "good night all"]


@dataclass(frozen=True, slots=True)
class Mix:
    """How many of each kind (harmful kinds after the benign ones)."""

    days: int = 35
    pool: tuple[int, int, int, int] = (500, 900, 800, 2600)  # under-13, 13-15, 16-17, adults
    teen_late: int = 26
    hosts: int = 14
    families: int = 14
    classes: int = 10
    gamers: int = 22
    popular: int = 5
    popular_audience: tuple[int, int] = (400, 2000)
    moderators: int = 10
    evening: int = 24
    small: int = 230
    adult_viewers: int = 60
    slow_burn: int = 6
    bursty: int = 5
    spread: int = 5
    inviters: int = 4
    young_adults: int = 3
    late_adult: int = 4
    late_young: int = 4


FULL = Mix()
SMALL = Mix(
    days=28,
    pool=(150, 300, 250, 900),
    teen_late=12,
    hosts=6,
    families=6,
    classes=3,
    gamers=10,
    popular=2,
    popular_audience=(150, 400),
    moderators=5,
    evening=8,
    small=30,
    adult_viewers=20,
    slow_burn=3,
    bursty=3,
    spread=2,
    inviters=3,
    young_adults=2,
    late_adult=3,
    late_young=4,
)


@dataclass(slots=True)
class Account:
    uid: str
    band: str
    region: str | None
    zone: str  # where the person lives, whatever the platform was told
    creator: bool = False


@dataclass(slots=True)
class World:
    rng: random.Random
    events: list[tuple[float, int, int, dict[str, Any]]] = field(default_factory=list)
    truth: list[dict[str, Any]] = field(default_factory=list)
    first_contact: dict[str, datetime] = field(default_factory=dict)
    serial: int = 0

    def new_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial:05d}"

    def emit(self, at: datetime, event: dict[str, Any], order: int = 5) -> None:
        self.serial += 1
        self.events.append((round(at.timestamp(), 3), order, self.serial, event))

    def account(
        self,
        band: str,
        *,
        region: str | None = None,
        zone: str | None = None,
        creator: bool = False,
    ) -> Account:
        rng = self.rng
        region = region or rng.choice(list(REGIONS))
        acc = Account(self.new_id("k"), band, region, zone or rng.choice(REGIONS[region]), creator)
        if not creator and rng.random() < 0.1:
            return acc  # never announced: its band only on joins and interactions
        event: dict[str, Any] = {"type": "account.created", "user_id": acc.uid, "age_band": band}
        if creator or rng.random() > 0.04:
            event["region"] = region
            if rng.random() < 0.45:
                event["timezone"] = acc.zone
        if creator:
            event["is_creator"] = True
        self.emit(T0 - timedelta(days=rng.uniform(1, 400)), event)
        return acc

    def local(self, acc: Account, day: float, hour: float) -> datetime:
        """UTC instant of local ``hour`` (may pass 24) on ``day`` where ``acc`` lives."""
        zone = ZoneInfo(acc.zone)
        midnight = (T0 + timedelta(days=int(day))).astimezone(zone).replace(hour=0, minute=0)
        at = midnight + timedelta(hours=hour, seconds=self.rng.randint(0, 600))
        return at.astimezone(UTC)

    def label(self, acc: Account, label: str, kind: str, after: datetime | None = None) -> None:
        subject_type = "creator" if acc.creator else "user"
        row: dict[str, Any] = {
            "subject_type": subject_type,
            "subject_id": acc.uid,
            "label": label,
            "scenario": kind,
            "region": acc.region,
        }
        if after is not None and acc.uid not in self.first_contact:
            return  # it never reached a minor in this draw
        if after is not None:  # the platform's own pipeline acts some hours later
            acted = after + timedelta(hours=self.rng.uniform(4, 36))
            row["violation_at"] = acted.isoformat()
            row["first_signal_at"] = self.first_contact[acc.uid].isoformat()
            self.emit(
                acted,
                {
                    "type": "enforcement.violation",
                    "subject_type": subject_type,
                    "subject_id": acc.uid,
                    "category": "child_safety",
                    "severity": "high",
                },
            )
        self.truth.append(row)

    def live(
        self,
        creator: Account,
        start: datetime,
        minutes: float,
        viewers: list[Account],
        acts: list[tuple[float, Account, Account, str]],
        category: str = "just_chatting",
    ) -> datetime:
        """One live; the time it ends."""
        rng = self.rng
        sid = self.new_id("lv")
        span = minutes * 60.0
        self.emit(
            start,
            {
                "type": "live.started",
                "live_session_id": sid,
                "creator_id": creator.uid,
                "category": category,
            },
        )
        first: dict[str, float] = {}
        for offset, sender, receiver, kind in acts:
            first[sender.uid] = min(offset, first.get(sender.uid, offset))
            if sender.band in ADULT and receiver.band in MINOR:
                at = start + timedelta(seconds=int(offset))
                self.first_contact[sender.uid] = min(at, self.first_contact.get(sender.uid, at))
            self.emit(
                start + timedelta(seconds=int(offset)),
                {
                    "type": "live.interaction",
                    "live_session_id": sid,
                    "from_user_id": sender.uid,
                    "to_user_id": receiver.uid,
                    "from_age_band": sender.band,
                    "to_age_band": receiver.band,
                    "kind": kind,
                },
                order=3,
            )
        burst = rng.uniform(5, 40)
        for viewer in {v.uid: v for v in viewers if v.uid != creator.uid}.values():
            joined: float
            if viewer.uid in first and rng.random() < 0.3:
                joined = float(int(first[viewer.uid]))  # written after its first interaction
                self.emit(start + timedelta(seconds=joined), _viewer(sid, viewer, True), order=7)
            elif viewer.uid in first and rng.random() < 0.05:
                continue  # the join was lost
            else:
                joined = burst if rng.random() < 0.5 else rng.uniform(0, span * 0.8)
                if viewer.uid in first:
                    joined = max(0.0, min(joined, first[viewer.uid] - rng.uniform(1, 120)))
                self.emit(start + timedelta(seconds=int(joined)), _viewer(sid, viewer, True))
            if rng.random() < 0.35:  # most viewers never get a viewer_left
                left = max(rng.uniform(joined, span), first.get(viewer.uid, 0.0) + 5.0)
                self.emit(start + timedelta(seconds=min(left, span)), _viewer(sid, viewer, False))
        for viewer in viewers[:40]:
            if rng.random() < 0.15:
                self.emit(
                    start + timedelta(seconds=rng.uniform(30, span)),
                    {
                        "type": "live.chat",
                        "live_session_id": sid,
                        "user_id": viewer.uid,
                        "text": rng.choice(CHAT),
                    },
                )
        end = start + timedelta(seconds=span)
        if rng.random() < 0.75:
            self.emit(end, {"type": "live.ended", "live_session_id": sid})
        return end

    def lines(self) -> list[dict[str, Any]]:
        ordered = sorted(self.events, key=lambda e: (e[0], e[1], e[2]))
        out = []
        for n, (t, _, _, event) in enumerate(ordered):
            stamp = (
                datetime.fromtimestamp(t, UTC).astimezone(SERVER).isoformat(timespec="milliseconds")
            )
            out.append({"event_id": f"kx-{n:07d}", "ts": stamp, **event})
        return out


Interaction = tuple[float, Account, Account, str]
#: A creator, its regular audience, its usual local hour.
Channel = tuple[Account, list[Account], float]


def _viewer(sid: str, viewer: Account, joined: bool) -> dict[str, Any]:
    kind = "live.viewer_joined" if joined else "live.viewer_left"
    return {"type": kind, "live_session_id": sid, "user_id": viewer.uid, "age_band": viewer.band}


def generate(seed: int, mix: Mix = FULL) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The event log (time-ordered) and its truth."""
    w = World(random.Random(seed))
    rng = w.rng
    days = mix.days

    def pool(n: int, band: str) -> list[Account]:
        return [w.account(band) for _ in range(n)]

    def some(xs: list[Account], k: int) -> list[Account]:
        return rng.sample(xs, min(max(0, k), len(xs)))

    def spread(minutes: float, n: int) -> list[float]:
        return sorted(rng.uniform(60, minutes * 60 - 30) for _ in range(n))

    def lives(n: tuple[int, int]) -> list[int]:
        return sorted(rng.sample(range(days), min(days, rng.randint(*n))))

    kids, young, old = (
        pool(mix.pool[0], "under_13"),
        pool(mix.pool[1], "13_15"),
        pool(mix.pool[2], "16_17"),
    )
    adults = [
        w.account(rng.choice(("18_24", "25_plus", "18_24", "25_plus", "unknown")))
        for _ in range(mix.pool[3])
    ]
    teens = young + old

    def fans(n: int, minor_share: float) -> list[Account]:
        m = round(n * minor_share)
        return some(teens + kids[:100], m) + some(adults, n - m)

    # -- benign: teens streaming late to teen friends; their parents and 18-24 friends
    teen_late: list[Channel] = []
    for _ in range(mix.teen_late):
        c = w.account(rng.choice(("13_15", "16_17", "16_17")), creator=True)
        friends = some(teens, rng.randint(3, 28)) + (some(adults, 1) if rng.random() < 0.4 else [])
        teen_late.append((c, friends, rng.uniform(21.5, 24.5)))
        for day in lives((6, 16)):
            minutes = rng.uniform(40, 150)
            here = some(friends, max(2, int(len(friends) * rng.uniform(0.4, 0.9))))
            acts = []
            for t in spread(minutes, rng.randint(2, 12)):
                a, b = rng.sample([*here, c], 2)
                acts.append(
                    (t, a, b, rng.choice(("chat_mention", "chat_mention", "gift", "follow")))
                )
            w.live(
                c,
                w.local(c, day, teen_late[-1][2] + rng.uniform(-0.7, 0.7)),
                minutes,
                here,
                acts,
                "gaming",
            )
        w.label(c, "benign", "teen_late_streamer")
    for c, friends, _ in teen_late[: len(teen_late) * 2 // 5]:
        parent = w.account("25_plus", region=c.region, zone=c.zone)
        friends.append(parent)
        for day in lives((5, 10)):
            minutes = rng.uniform(30, 90)
            here = [*some(friends[:-1], 4), parent]
            acts = [
                (t, parent, c, rng.choice(("gift", "chat_mention", "chat_mention", "dm_request")))
                for t in spread(minutes, rng.randint(1, 3))
            ]
            acts += [
                (t, rng.choice(here[:-1] or here), c, "chat_mention") for t in spread(minutes, 3)
            ]
            w.live(c, w.local(c, day, rng.uniform(17, 22)), minutes, here, acts)
        w.label(parent, "benign", "parent_of_teen_creator")
    for c, friends, _ in teen_late[len(teen_late) * 2 // 5 :]:
        mates = [f for f in friends if f.band == "16_17"][:3]
        if c.band != "16_17" or not mates:
            continue
        pal = w.account("18_24", region=c.region, zone=c.zone)
        for day in lives((4, 9)):
            minutes = rng.uniform(40, 120)
            acts = [
                (
                    t,
                    pal,
                    rng.choice([*mates, c]),
                    rng.choice(("chat_mention", "chat_mention", "gift", "dm_request")),
                )
                for t in spread(minutes, rng.randint(1, 4))
            ]
            acts += [(t, rng.choice(mates), pal, "chat_mention") for t in spread(minutes, 2)]
            w.live(
                c,
                w.local(c, day, rng.uniform(21, 24)),
                minutes,
                [*mates, pal, *some(friends, 3)],
                acts,
                "gaming",
            )
        w.label(pal, "benign", "young_adult_friend")

    # -- teens whose lives harmful viewers frequent (involved: counted neither way)
    hosts: list[Channel] = []
    for _ in range(mix.hosts):
        c = w.account(rng.choice(("13_15", "13_15", "16_17")), creator=True)
        hosts.append((c, some(teens, rng.randint(5, 25)), rng.uniform(15, 23)))
        for day in lives((5, 12)):
            minutes = rng.uniform(40, 150)
            here = some(hosts[-1][1], max(2, int(len(hosts[-1][1]) * rng.uniform(0.4, 0.9))))
            acts = [
                (t, rng.choice(here), c, rng.choice(("chat_mention", "gift")))
                for t in spread(minutes, rng.randint(1, 6))
            ]
            w.live(
                c, w.local(c, day, hosts[-1][2] + rng.uniform(-1, 1)), minutes, here, acts, "gaming"
            )
        w.label(c, "involved", "teen_host")

    # -- benign: family lives with children present; classes
    for _ in range(mix.families):
        c = w.account("25_plus", creator=True)
        children = [
            w.account("under_13", region=c.region, zone=c.zone) for _ in range(rng.randint(1, 3))
        ] + some(kids, rng.randint(1, 5))
        relatives = [
            w.account(rng.choice(ADULT), region=c.region) for _ in range(rng.randint(3, 10))
        ]
        for day in lives((4, 10)):
            minutes = rng.uniform(30, 100)
            acts = []
            for t in spread(minutes, rng.randint(3, 14)):
                relative, to = rng.choice(relatives), rng.choice([*children, c])
                acts.append(
                    (
                        t,
                        relative,
                        to,
                        rng.choice(("chat_mention", "chat_mention", "gift", "follow")),
                    )
                )
                if to is not c and rng.random() < 0.3:  # "thanks grandma!"
                    acts.append((t + rng.uniform(5, 60), to, relative, "chat_mention"))
            here = children + relatives + some(kids[:150] + teens[:500] + adults, rng.randint(0, 8))
            w.live(c, w.local(c, day, rng.uniform(10, 20)), minutes, here, acts, "family")
        w.label(c, "benign", "family_stream")
        for relative in relatives[:2]:
            w.label(relative, "benign", "family_relative")
    for _ in range(mix.classes):
        c = w.account("25_plus", creator=True)
        pupils = some(young + kids, rng.randint(30, 320))
        for day in range(days):
            if (T0 + timedelta(days=day)).weekday() >= 5 or rng.random() < 0.4:
                continue
            minutes = rng.uniform(40, 90)
            here = some(pupils, int(len(pupils) * rng.uniform(0.5, 0.9))) + some(adults, 3)
            acts = [
                (t, c, rng.choice(here), "chat_mention")
                for t in spread(minutes, rng.randint(3, 15))
            ]
            acts += [
                (t, rng.choice(here), c, "chat_mention")
                for t in spread(minutes, rng.randint(3, 20))
            ]
            w.live(c, w.local(c, day, rng.uniform(9, 15)), minutes, here, acts, "education")
        w.label(c, "benign", "education_stream")

    # -- benign: adult gamers and popular creators with teens in chat; their moderators
    channels: list[Channel] = []
    for i in range(mix.gamers):
        popular = i < mix.popular
        c = w.account(rng.choice(ADULT), creator=True)
        size = rng.randint(*mix.popular_audience) if popular else rng.randint(20, 300)
        channels.append((c, fans(size, rng.uniform(0.15, 0.45)), rng.uniform(19, 25.5)))
        for day in lives((4, 7) if popular else (6, 16)):
            minutes = rng.uniform(60, 240)
            here = some(channels[-1][1], int(size * rng.uniform(0.3, 0.7)))
            young_here = [v for v in here if v.band in MINOR]
            kinds: tuple[str, ...] = (
                ("chat_mention", "gift", "gift", "follow")
                if popular
                else ("chat_mention", "chat_mention", "gift")
            )
            acts = [
                (t, rng.choice(here), c, rng.choice(kinds))
                for t in spread(minutes, rng.randint(5, 40))
            ]
            if young_here:  # "thanks for the gift!"
                acts += [
                    (t, c, rng.choice(young_here), "chat_mention")
                    for t in spread(minutes, rng.randint(2, 12))
                ]
            w.live(
                c,
                w.local(c, day, channels[-1][2] + rng.uniform(-1, 1)),
                minutes,
                here,
                acts,
                "gaming",
            )
        w.label(c, "benign", "popular_creator" if popular else "adult_gamer")
    for c, audience, hour in channels[: mix.moderators]:
        mod = w.account(rng.choice(ADULT), region=c.region)
        for day in lives((5, 10)):
            minutes = rng.uniform(60, 180)
            here = some(audience, int(min(len(audience), 300) * rng.uniform(0.3, 0.6)))
            acts = [
                (t, mod, rng.choice(here), rng.choice(("dm_request", "dm_request", "chat_mention")))
                for t in spread(minutes, rng.randint(3, 15))
            ]
            acts += [(t, rng.choice(here), c, "chat_mention") for t in spread(minutes, 8)]
            w.live(
                c, w.local(c, day, hour + rng.uniform(-1, 1)), minutes, [*here, mod], acts, "gaming"
            )
        w.label(mod, "benign", "channel_moderator")

    # -- benign: evenings that are late in UTC; night owls; small creators; viewers
    evening: list[Channel] = []
    for i in range(mix.evening):
        owl = i >= mix.evening * 7 // 12
        c = w.account(
            rng.choice(ADULT),
            region=rng.choice(("JP", "AU", "IN", "PH", "ID", "US", "BR")),
            creator=True,
        )
        evening.append(
            (
                c,
                fans(rng.randint(8, 120), rng.uniform(0.05, 0.3)),
                rng.uniform(23, 26.5) if owl else rng.uniform(18.5, 22.5),
            )
        )
        for day in lives((6, 14)):
            minutes = rng.uniform(45, 200)
            here = some(evening[-1][1], int(len(evening[-1][1]) * rng.uniform(0.4, 0.9)))
            acts = (
                [
                    (
                        t,
                        rng.choice(here),
                        rng.choice([*here, c]),
                        rng.choice(("chat_mention", "gift")),
                    )
                    for t in spread(minutes, rng.randint(2, 15))
                ]
                if len(here) > 1
                else []
            )
            w.live(c, w.local(c, day, evening[-1][2] + rng.uniform(-0.5, 0.5)), minutes, here, acts)
        w.label(c, "benign", "night_owl" if owl else "local_evening")
    for _ in range(mix.small):
        c = w.account(rng.choices([*MINOR, *ADULT], [0.03, 0.07, 0.1, 0.4, 0.4])[0], creator=True)
        for _ in range(rng.randint(1, 3)):
            minutes = rng.uniform(10, 60)
            here = some(
                teens if c.band in MINOR else kids[:150] + teens[:500] + adults, rng.randint(3, 9)
            )
            acts = [
                (t, rng.choice(here), c, "chat_mention") for t in spread(minutes, rng.randint(0, 3))
            ]
            w.live(c, w.local(c, rng.randrange(days), rng.uniform(8, 25)), minutes, here, acts)
        w.label(c, "benign", "small_creator")
    for viewer in some([a for a in adults if a.band != "unknown"], mix.adult_viewers):
        for _ in range(rng.randint(3, 10)):
            c, audience, hour = rng.choice(channels + evening)
            minutes = rng.uniform(20, 90)
            here = some(audience, rng.randint(5, 40))
            acts = [
                (
                    t,
                    viewer,
                    rng.choice([c, *here]),
                    rng.choice(("chat_mention", "gift", "chat_mention")),
                )
                for t in spread(minutes, rng.randint(1, 3))
            ]
            w.live(
                c,
                w.local(c, rng.randrange(days), hour + rng.uniform(-1, 1)),
                minutes,
                [*here, viewer],
                acts,
            )
        w.label(viewer, "benign", "adult_viewer")

    # ================= harmful
    def visit(
        host: Channel, day: float, visitor: Account, acts: list[Interaction], extra: list[Account]
    ) -> datetime:
        c, audience, hour = host
        minutes = rng.uniform(40, 120)
        acts = [(rng.uniform(120, minutes * 60 - 60), a, b, k) for _, a, b, k in acts]
        return w.live(
            c,
            w.local(c, day, hour + rng.uniform(-1.5, 1.5)),
            minutes,
            [*some(audience, 8), *extra, visitor],
            acts,
            "gaming",
        )

    for i in range(mix.slow_burn):  # one minor at a time, chat to gift to DM to invite
        g = w.account("25_plus")
        band = "13_15" if i % 2 else "16_17"
        when, last = rng.uniform(1, 6), T0
        for target_no in range(3):
            host = rng.choice([h for h in hosts if h[0].band == band] or hosts)
            minors = [f for f in host[1] if f.band in MINOR]
            target = rng.choice([host[0], *minors]) if i % 3 else rng.choice(kids)
            for step in (
                "chat_mention",
                "chat_mention",
                "gift",
                "gift",
                "dm_request",
                "private_invite",
            ):
                last = visit(
                    host, when, g, [(0, g, target, step), (0, g, host[0], "chat_mention")], [target]
                )
                when += rng.uniform(1.0, 2.5)
            if when > days - 4 or (target_no >= 1 and rng.random() < 0.6):
                break
        w.label(g, "harmful", "slow_burn_groomer", last)
    for i in range(mix.bursty):  # many minors over a few days, privately
        g = w.account(rng.choice(ADULT))
        when, last = rng.uniform(3, days - 8), T0
        for _ in range(rng.randint(6, 12)):
            host = rng.choice(hosts + channels[mix.moderators :])
            minors = [f for f in host[1] if f.band in (("under_13", "13_15") if i % 2 else MINOR)]
            if minors:
                targets = some(minors, rng.randint(1, 4))
                acts = [
                    (
                        0,
                        g,
                        rng.choice(targets),
                        rng.choice(("dm_request", "private_invite", "gift")),
                    )
                    for _ in range(rng.randint(2, 6))
                ]
                last = visit(host, when, g, acts, targets)
            when += rng.uniform(0.2, 0.6)
        w.label(g, "harmful", "bursty_groomer", last)
    for _ in range(mix.spread):  # one light touch in each of many creators' lives
        g = w.account("25_plus")
        when, last = rng.uniform(1, 8), T0
        while when < days - 3:
            host = rng.choice(channels + hosts)
            minors = [v for v in host[1] if v.band in ("under_13", "13_15")] or some(young, 1)
            target = rng.choice(minors)
            last = visit(
                host,
                when,
                g,
                [(0, g, target, rng.choice(("gift", "dm_request", "chat_mention", "dm_request")))],
                [target],
            )
            when += rng.uniform(0.4, 1.6)
        w.label(g, "harmful", "spread_viewer", last)
    for i in range(mix.inviters):  # a creator inviting its young viewers to private contact
        c = w.account(rng.choice(ADULT), creator=True)
        bands = ("under_13",) if i % 2 else ("13_15",)
        audience = fans(rng.randint(15, 80), 0.55) + some(kids if i % 2 else young, 10)
        last = T0
        for n, day in enumerate(sorted(rng.sample(range(2, days - 5), rng.randint(6, 12)))):
            minutes = rng.uniform(50, 120)
            here = some(audience, int(len(audience) * 0.6))
            young_here = [v for v in here if v.band in bands]
            acts = [
                (t, rng.choice(here), c, rng.choice(("chat_mention", "gift")))
                for t in spread(minutes, 8)
            ]
            if young_here and n >= 1:
                kinds = (
                    ("chat_mention", "gift") if n < 3 else ("dm_request", "private_invite", "gift")
                )
                acts += [
                    (t, c, rng.choice(young_here), rng.choice(kinds))
                    for t in spread(minutes, rng.randint(1, 3))
                ]
            last = w.live(c, w.local(c, day, rng.uniform(15, 21)), minutes, here, acts, "gaming")
        w.label(c, "harmful", "creator_inviter", last)
    for _ in range(mix.young_adults):  # an 18-24 seeking 13-15-year-olds in one teen's lives
        g = w.account("18_24")
        host = rng.choice([h for h in hosts if h[0].band == "13_15"] or hosts)
        reachable = [f for f in host[1] if f.band == "13_15"] + some(young, 6)
        when, last = rng.uniform(2, 10), T0
        for k in range(rng.randint(5, 9)):
            targets = some(reachable, rng.randint(1, 3))
            kinds = (
                ("chat_mention", "gift")
                if k < 2
                else ("dm_request", "private_invite", "dm_request")
            )
            acts = [
                (0, g, rng.choice(targets), rng.choice(kinds)) for _ in range(rng.randint(1, 4))
            ]
            last = visit(host, when, g, acts, targets)
            when += rng.uniform(1, 3)
        w.label(g, "harmful", "young_adult_targeting_13_15", last)
    for _ in range(mix.late_adult):  # an adult's unusual late lives turn young; adults reach them
        c = w.account(rng.choice(ADULT), creator=True)
        audience = fans(rng.randint(30, 150), rng.uniform(0.05, 0.15))
        night = some(teens + kids[:50], rng.randint(15, 60))
        lurkers = [w.account("25_plus") for _ in range(rng.randint(2, 5))]
        hour, nights, last = rng.uniform(13, 19), 0, T0
        for day in range(1, days - 1):
            if rng.random() < 0.35:
                minutes = rng.uniform(60, 150)
                here = some(audience, int(len(audience) * rng.uniform(0.4, 0.8)))
                w.live(
                    c,
                    w.local(c, day, hour + rng.uniform(-1, 1)),
                    minutes,
                    here,
                    [(t, rng.choice(here), c, "chat_mention") for t in spread(minutes, 6)],
                )
            if day > 8 and rng.random() < 0.3:
                minutes = rng.uniform(50, 120)
                here = (
                    some(audience, int(len(audience) * 0.3))
                    + some(night, int(len(night) * 0.7))
                    + lurkers
                )
                young_here = [v for v in here if v.band in MINOR]
                acts = [
                    (
                        t,
                        rng.choice([*lurkers, c]),
                        rng.choice(young_here),
                        rng.choice(("gift", "dm_request", "chat_mention", "private_invite")),
                    )
                    for t in spread(minutes, rng.randint(3, 10))
                ]
                start = w.local(c, day, rng.uniform(24.5, 27.5))
                w.first_contact.setdefault(c.uid, start)
                last, nights = w.live(c, start, minutes, here, acts), nights + 1
                if nights >= rng.choice((3, 4, 5)):
                    break
        w.label(c, "harmful", "late_night_adult_creator", last)
    for _ in range(mix.late_young):  # a minor's unusual late lives, where adults pile in
        c = w.account(rng.choice(("13_15", "13_15", "16_17")), creator=True)
        friends = some(teens, rng.randint(5, 20))
        strangers = [w.account("25_plus") for _ in range(rng.randint(4, 12))]
        hour, nights, last = rng.uniform(15, 19), 0, T0
        for day in range(1, days - 1):
            if rng.random() < 0.4:
                minutes = rng.uniform(30, 100)
                here = some(friends, int(len(friends) * 0.7))
                w.live(
                    c,
                    w.local(c, day, hour + rng.uniform(-1, 1)),
                    minutes,
                    here,
                    [
                        (t, rng.choice(here), c, rng.choice(("chat_mention", "gift")))
                        for t in spread(minutes, 4)
                    ],
                )
            if day > 6 and rng.random() < 0.3:
                minutes = rng.uniform(40, 110)
                present = some(strangers, max(3, int(len(strangers) * 0.8)))
                acts = [
                    (
                        t,
                        rng.choice(present),
                        c,
                        rng.choice(
                            ("gift", "gift", "dm_request", "private_invite", "chat_mention")
                        ),
                    )
                    for t in spread(minutes, rng.randint(4, 12))
                ]
                start = w.local(c, day, rng.uniform(24.3, 27))
                w.first_contact.setdefault(c.uid, start)
                last, nights = (
                    w.live(c, start, minutes, [*some(friends, 3), *present], acts),
                    nights + 1,
                )
                if nights >= rng.choice((3, 4)):
                    break
        w.label(c, "harmful", "late_night_young_creator", last)
    return w.lines(), {"subjects": w.truth}


def main(argv: list[str]) -> None:
    out, seed = Path(argv[0]), int(argv[1])
    events, truth = generate(seed, FULL if "--full" in argv else SMALL)
    out.mkdir(parents=True, exist_ok=True)
    (out / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (out / "truth.json").write_text(json.dumps(truth, indent=1))
    harmful = sum(1 for s in truth["subjects"] if s["label"] == "harmful")
    print(f"{len(events)} events, {len(truth['subjects'])} subjects, {harmful} harmful")


if __name__ == "__main__":
    main(sys.argv[1:])

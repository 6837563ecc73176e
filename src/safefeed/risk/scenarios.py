"""Scenario event logs with ground truth, for evaluating the funnel.

`generate_scenarios` writes a v1 event log of a small live platform in which
harmful patterns unfold — escalating creators, adults seeking out minors across
sessions, late-night audience shifts, a spreading harmful trend — each ending in
an ``enforcement.violation`` where a post-violation pipeline would act, among
benign look-alikes: big stable creators, teen creators with teen audiences, a
one-off viral spike, a creator mass-reported by a brigade of new accounts, benign
new trends, adult fans of teen creators, ordinary creators and many small
creators (so that each group's false-positive rate can be estimated). Regions
and languages are dealt to each scenario kind's subjects in turn, so every group
has the same mix of kinds; time zones follow the region. The truth file names
every subject with its label, severity, group and times. Everything is drawn
from one seeded `random.Random`.

Parameters (`ScenarioParams`) change the mix and the timing so that the funnel
can be checked on variants it was not tuned on.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from safefeed.localtime import PRINCIPAL_ZONES, utc_offset_seconds, zone_for
from safefeed.risk.cases import iso

__all__ = ["ScenarioParams", "Subject", "generate_scenarios"]

_H = 3600.0
_DAY = 86400.0
_REGIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("US", ("en", "es")),
    ("GB", ("en",)),
    ("DE", ("de",)),
    ("BR", ("pt",)),
    ("IN", ("hi", "en")),
    ("JP", ("ja",)),
    ("MX", ("es",)),
    ("FR", ("fr",)),
    ("ID", ("id",)),
    ("NG", ("en",)),
)
_CATEGORIES = ("gaming", "music", "just_chatting", "cooking", "fitness", "art", "sports")
_TOPIC_TAGS = ("#gaming", "#music", "#chill", "#live", "#fyp", "#cooking", "#art", "#gg")
_CHAT = ("hello", "lol", "nice one", "love this", "gg", "so good", "haha", "where are you from")
_SYLLABLES = ("ka", "zu", "mi", "ro", "tek", "vo", "lin", "sha", "dro", "pex", "qui", "nor")


@dataclass(frozen=True)
class ScenarioParams:
    """The mix and timing of a scenario log (defaults: the reference mix)."""

    days: float = 24.0
    viewers: int = 2500
    ordinary_creators: int = 60
    escalating: int = 5
    seekers: int = 5
    late_night: int = 5
    harmful_trends: int = 2
    big_stable: int = 4
    teen_creators: int = 5
    viral_spikes: int = 3
    brigaded: int = 4
    benign_trends: int = 3
    adult_fans: int = 6
    #: Small benign creators with a few short lives each: cheap, and enough of them
    #: that each region's and language's false-positive rate can be estimated.
    small_creators: int = 2400
    small_audience: tuple[int, int] = (3, 9)
    small_sessions: tuple[int, int] = (1, 3)
    audience: tuple[int, int] = (15, 45)
    noise_flag_rate: float = 0.04
    escalation_days: tuple[float, float] = (7.0, 12.0)
    minor_share: float = 0.15


@dataclass
class Subject:
    subject_type: str
    subject_id: str
    label: str
    scenario: str
    severity: int
    region: str
    language: str
    first_signal_at: float | None = None
    violation_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        row = asdict(self)
        for key in ("first_signal_at", "violation_at"):
            row[key] = None if row[key] is None else iso(row[key])
        return row


@dataclass
class _Account:
    user_id: str
    band: str
    region: str
    language: str
    offset: float


@dataclass
class _Creator:
    account: _Account
    category: str
    hour: float
    every_days: float
    audience: tuple[int, int]
    minor_share: float
    flag_rate: float
    friends: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


class _Builder:
    def __init__(self, seed: int, params: ScenarioParams) -> None:
        self.rng = random.Random(seed)
        self.p = params
        self.start = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
        self.end = self.start + params.days * _DAY
        self.events: list[tuple[float, int, dict[str, Any]]] = []
        self.truth: list[Subject] = []
        self.n = 0
        self.adults: list[_Account] = []
        self.minors: list[_Account] = []
        self.creators: list[_Creator] = []
        self.trend_adopters: list[_Creator] = []
        self.used_tags: set[str] = set()
        self.cycle: Counter[str] = Counter()

    # ------------------------------------------------------------ basics

    def emit(self, t: float, event: dict[str, Any]) -> None:
        self.n += 1
        self.events.append((t, self.n, event))

    def uid(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n:06d}"

    def account(
        self,
        band: str,
        t: float,
        *,
        creator: bool = False,
        prefix: str = "u",
        kind: str | None = None,
    ) -> _Account:
        if kind is None:
            region, languages = self.rng.choice(_REGIONS)
            language = self.rng.choice(languages)
        else:
            # Subjects of each scenario kind take regions and languages in turn, so
            # every group gets the same mix of kinds: otherwise a group's false-positive
            # rate would measure which kinds it happened to draw, not how it is treated.
            turn = self.cycle[kind]
            self.cycle[kind] += 1
            region, languages = _REGIONS[turn % len(_REGIONS)]
            language = languages[(turn // len(_REGIONS)) % len(languages)]
        zone = zone_for(None, region)
        offset = utc_offset_seconds(zone, self.start) if zone else 0.0
        acct = _Account(self.uid(prefix), band, region, language, offset)
        event: dict[str, Any] = {
            "type": "account.created",
            "user_id": acct.user_id,
            "age_band": band,
        }
        event |= {"region": region, "language": acct.language, "is_creator": creator}
        if self.rng.random() < 0.5:
            event["timezone"] = PRINCIPAL_ZONES[region]
        self.emit(t, event)
        return acct

    def viewers(self) -> None:
        t0 = self.start - 60 * _DAY
        for _ in range(self.p.viewers):
            if self.rng.random() < self.p.minor_share:
                band = self.rng.choice(("13_15", "16_17", "13_15", "under_13"))
                self.minors.append(self.account(band, t0 + self.rng.random() * 50 * _DAY))
            else:
                band = self.rng.choice(("18_24", "25_plus", "25_plus", "unknown"))
                self.adults.append(self.account(band, t0 + self.rng.random() * 50 * _DAY))

    def creator(
        self,
        *,
        band: str = "25_plus",
        minor_share: float | None = None,
        audience: tuple[int, int] | None = None,
        flag_rate: float | None = None,
        hour: float | None = None,
        kind: str | None = None,
    ) -> _Creator:
        acct = self.account(band, self.start - 90 * _DAY, creator=True, prefix="c", kind=kind)
        creator = _Creator(
            acct,
            self.rng.choice(_CATEGORIES),
            hour if hour is not None else self.rng.uniform(15.0, 20.5),
            self.rng.uniform(1.0, 2.0),
            audience or self.p.audience,
            minor_share if minor_share is not None else self.rng.uniform(0.05, 0.25),
            flag_rate if flag_rate is not None else self.p.noise_flag_rate,
            tags=self.rng.sample(_TOPIC_TAGS, 2),
        )
        self.creators.append(creator)
        return creator

    def local_start(self, creator: _Creator, day: float, hour: float) -> float:
        """UTC time of ``hour`` local on ``day`` (days since start) for the creator."""
        midnight_local = self.start + int(day) * _DAY - creator.account.offset
        return midnight_local + hour * _H + self.rng.uniform(-0.4, 0.4) * _H

    def benign(self, creator: _Creator, scenario: str) -> None:
        self.truth.append(
            Subject(
                "creator",
                creator.account.user_id,
                "benign",
                scenario,
                0,
                creator.account.region,
                creator.account.language,
            )
        )

    # ------------------------------------------------------------ a live session

    def session(
        self,
        creator: _Creator,
        t: float,
        *,
        hour_shift: float = 0.0,
        minor_share: float | None = None,
        size: float = 1.0,
        adult_minor_rate: float = 0.0,
        extra_tags: tuple[str, ...] = (),
        flags: int = 0,
        flag_severity: str = "low",
        flag_score: float = 0.3,
        reports: int = 0,
        toxic_chat: int = 0,
    ) -> str:
        rng = self.rng
        sid = self.uid("s")
        duration = rng.uniform(1.0, 2.5) * _H
        self.emit(
            t,
            {
                "type": "live.started",
                "live_session_id": sid,
                "creator_id": creator.account.user_id,
                "category": creator.category,
            },
        )
        share = creator.minor_share if minor_share is None else minor_share
        count = max(3, int(rng.randint(*creator.audience) * size))
        present: list[_Account] = []
        for _ in range(count):
            viewer = rng.choice(self.minors if rng.random() < share else self.adults)
            join = t + rng.random() * duration * 0.7
            present.append(viewer)
            base = {"live_session_id": sid, "user_id": viewer.user_id, "age_band": viewer.band}
            self.emit(join, {"type": "live.viewer_joined", **base})
            self.emit(join + rng.uniform(0.1, 0.3) * duration, {"type": "live.viewer_left", **base})
        friends = [f for f in creator.friends if rng.random() < 0.3]
        for friend in friends:
            self.emit(
                t + rng.random() * duration * 0.5,
                {
                    "type": "live.viewer_joined",
                    "live_session_id": sid,
                    "user_id": friend,
                    "age_band": "25_plus",
                },
            )
        tags = [*creator.tags, *extra_tags]
        for _ in range(max(2, count // 2)):
            viewer = rng.choice(present)
            line: dict[str, Any] = {
                "type": "live.chat",
                "live_session_id": sid,
                "user_id": viewer.user_id,
                "text": rng.choice(_CHAT),
            }
            if rng.random() < 0.5:
                line["hashtags"] = [rng.choice(tags)]
            self.emit(t + rng.random() * duration, line)
        for tag in extra_tags:
            self.emit(
                t + rng.random() * duration,
                {
                    "type": "live.chat",
                    "live_session_id": sid,
                    "user_id": creator.account.user_id,
                    "text": "try this",
                    "hashtags": [tag],
                },
            )
        for _ in range(toxic_chat):
            self.emit(
                t + rng.random() * duration,
                {
                    "type": "live.chat",
                    "live_session_id": sid,
                    "user_id": creator.account.user_id,
                    "text": "shut up you idiot, damn",
                },
            )
        # Ordinary interactions: viewers to the creator, the creator back to viewers.
        for _ in range(max(1, count // 4)):
            viewer = rng.choice(present)
            kind = rng.choice(("chat_mention", "gift", "follow"))
            self.interaction(t + rng.random() * duration, sid, viewer, creator.account, kind)
            if rng.random() < 0.4:
                self.interaction(
                    t + rng.random() * duration, sid, creator.account, viewer, "chat_mention"
                )
        adults = [v for v in present if v.band in ("18_24", "25_plus")]
        minors = [v for v in present if v.band not in ("18_24", "25_plus", "unknown")]
        for _ in range(int(adult_minor_rate * count)):
            if adults and minors:
                kind = rng.choice(("chat_mention", "gift", "dm_request"))
                self.interaction(
                    t + rng.random() * duration, sid, rng.choice(adults), rng.choice(minors), kind
                )
        for _ in range(flags):
            self.flag(
                t + rng.random() * duration,
                "live_session",
                sid,
                "classifier",
                flag_severity,
                flag_score,
            )
        for _ in range(reports):
            self.flag(
                t + rng.random() * duration,
                "live_session",
                sid,
                "viewer_report",
                "low",
                None,
                reporter=rng.choice(present).user_id,
            )
        if rng.random() < creator.flag_rate * size:
            self.flag(
                t + rng.random() * duration,
                "live_session",
                sid,
                "classifier",
                "low",
                rng.uniform(0.2, 0.5),
            )
        self.emit(t + duration, {"type": "live.ended", "live_session_id": sid})
        return sid

    def interaction(self, t: float, sid: str, a: _Account, b: _Account, kind: str) -> None:
        self.emit(
            t,
            {
                "type": "live.interaction",
                "live_session_id": sid,
                "from_user_id": a.user_id,
                "to_user_id": b.user_id,
                "from_age_band": a.band,
                "to_age_band": b.band,
                "kind": kind,
            },
        )

    def flag(
        self,
        t: float,
        subject_type: str,
        subject_id: str,
        source: str,
        severity: str,
        score: float | None,
        reporter: str | None = None,
        category: str = "harassment",
    ) -> None:
        event: dict[str, Any] = {
            "type": "moderation.flag",
            "subject_type": subject_type,
            "subject_id": subject_id,
            "source": source,
            "category": category,
            "severity": severity,
        }
        if score is not None:
            event["score"] = round(score, 3)
            event["model_version"] = "scenario-classifier-1"
        if reporter is not None:
            event["reporter_id"] = reporter
        self.emit(t, event)

    def violation(self, t: float, subject_type: str, subject_id: str, category: str) -> None:
        self.emit(
            t,
            {
                "type": "enforcement.violation",
                "subject_type": subject_type,
                "subject_id": subject_id,
                "category": category,
                "severity": "high",
                "action": "restrict",
            },
        )

    def schedule(self, creator: _Creator, until_day: float | None = None, **kw: Any) -> list[float]:
        """Regular sessions at the creator's usual hour; returns their start times."""
        starts = []
        day = self.rng.uniform(0.0, 1.5)
        last = self.p.days - 0.5 if until_day is None else until_day
        while day < last:
            t = self.local_start(creator, day, creator.hour)
            self.session(creator, t, **kw)
            starts.append(t)
            day += creator.every_days * self.rng.uniform(0.8, 1.2)
        return starts

    # ------------------------------------------------------------ scenarios

    def ordinary(self) -> None:
        for _ in range(self.p.ordinary_creators):
            creator = self.creator(kind="ordinary_creator")
            self.benign(creator, "ordinary_creator")
        for i, c in enumerate(self.creators):  # collaboration groups: the interaction graph
            group = self.creators[(i // 5) * 5 : (i // 5) * 5 + 5]
            c.friends = [g.account.user_id for g in group if g is not c]
        for c in list(self.creators):
            self.schedule(c)

    def escalating(self) -> None:
        for _ in range(self.p.escalating):
            c = self.creator(kind="escalating_creator")
            span = self.rng.uniform(*self.p.escalation_days)
            begin = self.rng.uniform(4.0, self.p.days - span - 1.0)
            self.schedule(c, until_day=begin)
            t = self.start + begin * _DAY
            t_violation = t + span * _DAY
            gap = span * 0.3
            step = 0
            first = None
            while t < t_violation - 2 * _H:
                progress = (t - (t_violation - span * _DAY)) / (span * _DAY)
                severity = "low" if progress < 0.5 else ("medium" if progress < 0.85 else "high")
                sid = self.session(
                    c,
                    t,
                    flags=1 + (step // 3),
                    flag_severity=severity,
                    flag_score=min(0.95, 0.3 + 0.6 * progress),
                    toxic_chat=step // 2,
                )
                first = first or t
                step += 1
                t += max(2 * _H, gap * _DAY * self.rng.uniform(0.8, 1.2))
                gap *= 0.72
                _ = sid
            self.violation(t_violation, "creator", c.account.user_id, "harassment")
            self.schedule_after(c, t_violation)
            self.truth.append(
                Subject(
                    "creator",
                    c.account.user_id,
                    "harmful",
                    "escalating_creator",
                    2,
                    c.account.region,
                    c.account.language,
                    first,
                    t_violation,
                )
            )

    def schedule_after(self, c: _Creator, t: float) -> None:
        day = (t - self.start) / _DAY + 1.0
        while day < self.p.days - 0.5:
            self.session(c, self.local_start(c, day, c.hour))
            day += c.every_days

    def seekers(self) -> None:
        mixed = [c for c in self.creators if c.minor_share >= 0.12] or self.creators
        for _ in range(self.p.seekers):
            seeker = self.account("25_plus", self.start - 200 * _DAY, kind="seeker")
            begin = self.rng.uniform(2.0, self.p.days - 12.0)
            visits = self.rng.randint(6, 9)
            t = self.start + begin * _DAY
            first = None
            kinds = (
                "chat_mention",
                "chat_mention",
                "gift",
                "gift",
                "dm_request",
                "dm_request",
                "private_invite",
                "private_invite",
                "private_invite",
            )
            for visit in range(visits):
                host = self.rng.choice(mixed)
                t = self.local_start(host, (t - self.start) / _DAY, host.hour)
                sid = self.session(host, t)
                self.emit(
                    t + 600,
                    {
                        "type": "live.viewer_joined",
                        "live_session_id": sid,
                        "user_id": seeker.user_id,
                        "age_band": seeker.band,
                    },
                )
                for _ in range(self.rng.randint(1, 3)):
                    target = self.rng.choice(self.minors)
                    self.interaction(
                        t + self.rng.uniform(900, 3000),
                        sid,
                        seeker,
                        target,
                        kinds[min(visit, len(kinds) - 1)],
                    )
                first = first or t + 900
                t += self.rng.uniform(0.7, 1.6) * _DAY
            t_violation = t + self.rng.uniform(0.3, 1.0) * _DAY
            self.violation(t_violation, "user", seeker.user_id, "child_safety")
            self.truth.append(
                Subject(
                    "user",
                    seeker.user_id,
                    "harmful",
                    "adult_seeking_minors",
                    3,
                    seeker.region,
                    seeker.language,
                    first,
                    t_violation,
                )
            )

    def adult_fans(self) -> None:
        teen = [c for c in self.creators if c.account.band == "16_17"]
        for _ in range(self.p.adult_fans if teen else 0):
            fan = self.account("25_plus", self.start - 300 * _DAY, kind="adult_fan")
            host = self.rng.choice(teen)
            day = self.rng.uniform(0.0, 3.0)
            while day < self.p.days - 1:
                t = self.local_start(host, day, host.hour)
                sid = self.session(host, t)
                self.emit(
                    t + 300,
                    {
                        "type": "live.viewer_joined",
                        "live_session_id": sid,
                        "user_id": fan.user_id,
                        "age_band": fan.band,
                    },
                )
                self.interaction(
                    t + 1200, sid, fan, host.account, self.rng.choice(("gift", "chat_mention"))
                )
                if self.rng.random() < 0.6:
                    self.interaction(t + 1500, sid, host.account, fan, "chat_mention")
                day += self.rng.uniform(2.0, 4.0)
            self.truth.append(
                Subject(
                    "user",
                    fan.user_id,
                    "benign",
                    "adult_fan_of_teen_creator",
                    0,
                    fan.region,
                    fan.language,
                )
            )

    def late_night(self) -> None:
        for _ in range(self.p.late_night):
            c = self.creator(
                minor_share=self.rng.uniform(0.05, 0.12),
                hour=self.rng.uniform(17, 20),
                kind="late_night_shift",
            )
            begin = self.rng.uniform(5.0, self.p.days - 9.0)
            self.schedule(c, until_day=begin)
            sessions = self.rng.randint(5, 7)
            day = begin
            first = None
            for k in range(sessions):
                t = self.local_start(c, day, self.rng.uniform(23.0, 25.5))
                self.session(
                    c,
                    t,
                    minor_share=self.rng.uniform(0.35, 0.6),
                    adult_minor_rate=0.05 + 0.03 * k,
                    flags=1 if k >= sessions - 2 else 0,
                )
                first = first or t
                day += self.rng.uniform(0.8, 1.4)
            t_violation = self.local_start(c, day, 23.0)
            self.violation(t_violation, "creator", c.account.user_id, "child_safety")
            self.truth.append(
                Subject(
                    "creator",
                    c.account.user_id,
                    "harmful",
                    "late_night_shift",
                    2,
                    c.account.region,
                    c.account.language,
                    first,
                    t_violation,
                )
            )

    def big_stable(self) -> None:
        for _ in range(self.p.big_stable):
            c = self.creator(audience=(150, 250), flag_rate=0.0, kind="big_stable")
            self.schedule(c, flags=1, flag_score=0.35, reports=1)
            self.benign(c, "big_stable_creator")

    def teen_creators(self) -> None:
        for _ in range(self.p.teen_creators):
            c = self.creator(
                band="16_17",
                minor_share=self.rng.uniform(0.6, 0.8),
                hour=self.rng.uniform(15.0, 19.0),
                kind="teen_creator",
            )
            self.schedule(c)
            self.benign(c, "teen_creator_teen_audience")

    def viral_spikes(self) -> None:
        for _ in range(self.p.viral_spikes):
            c = self.creator(kind="viral_spike")
            spike_day = self.rng.uniform(4.0, self.p.days - 4.0)
            self.schedule(c, until_day=spike_day)
            self.session(
                c,
                self.local_start(c, spike_day, c.hour),
                size=8.0,
                minor_share=c.minor_share * 1.5,
                flags=2,
                reports=4,
            )
            self.schedule_after(c, self.local_start(c, spike_day, c.hour))
            self.benign(c, "one_off_viral_spike")

    def brigaded(self) -> None:
        for _ in range(self.p.brigaded):
            c = self.creator(kind="brigaded")
            self.schedule(c)
            for wave in range(self.rng.randint(1, 2)):
                t = self.start + self.rng.uniform(3.0, self.p.days - 2.0) * _DAY
                for _ in range(self.rng.randint(40, 90)):
                    troll = self.account("unknown", t - self.rng.uniform(1, 48) * _H)
                    self.flag(
                        t + self.rng.uniform(0, 3) * _H,
                        "creator",
                        c.account.user_id,
                        "viewer_report",
                        self.rng.choice(("medium", "high")),
                        None,
                        reporter=troll.user_id,
                    )
                _ = wave
            self.benign(c, "brigaded_benign_creator")

    def small_creators(self) -> None:
        """Many small creators with a few short lives each, some of them teens."""
        low, high = self.p.small_sessions
        for _ in range(self.p.small_creators):
            teen = self.rng.random() < 0.1
            c = self.creator(
                band="16_17" if teen else "25_plus",
                minor_share=self.rng.uniform(0.5, 0.8) if teen else None,
                audience=self.p.small_audience,
                kind="small_creator",
            )
            # Not a host, adopter or collaborator in the other scenarios: their mix
            # stays the reference one whatever the number of small creators.
            self.creators.remove(c)
            for _ in range(self.rng.randint(low, high)):
                day = self.rng.uniform(0.0, self.p.days - 0.5)
                self.session(c, self.local_start(c, day, c.hour))
            self.benign(c, "small_creator")

    def new_tag(self) -> str:
        """A trend tag no earlier trend used (numbered variants end in a digit, so
        they cannot meet a new tag).

        Tags are three of twelve syllables: over many seeds two trends draw the same
        tag, and one token labelled both harmful and benign makes the truth
        contradict itself (the benign one counted as a false positive).
        """
        if len(self.used_tags) >= len(_SYLLABLES) ** 3:
            raise ValueError("more trends than distinct trend tags")
        while True:
            tag = "#" + "".join(self.rng.choice(_SYLLABLES) for _ in range(3)) + "challenge"
            if tag not in self.used_tags:
                self.used_tags.add(tag)
                return tag

    def trends(self, harmful: bool) -> None:
        count = self.p.harmful_trends if harmful else self.p.benign_trends
        for _ in range(count):
            tag = self.new_tag()
            begin = self.rng.uniform(3.0, self.p.days - 9.0)
            pool = self.creators[:]
            seed = self.rng.choice(pool)
            adopters = [seed]
            t = self.start + begin * _DAY
            first = t
            span = self.rng.uniform(5.0, 8.0)
            wave = 0
            first_use: dict[str, float] = {}
            while t < first + span * _DAY:
                for c in list(adopters):
                    if harmful:
                        self.trend_adopters.append(c)
                    variant = tag if not harmful or wave < 3 else tag + str(wave % 3)
                    at = t + self.rng.uniform(0, 6) * _H
                    first_use[variant] = min(first_use.get(variant, at), at)
                    self.session(
                        c,
                        at,
                        extra_tags=(variant,),
                        flags=1 if harmful and self.rng.random() < 0.5 else 0,
                        flag_severity="medium",
                        flag_score=0.6,
                    )
                # Spreads along collaboration ties first, then to random creators.
                nxt = [f for c in adopters for f in c.friends]
                candidates = [c for c in self.creators if c.account.user_id in nxt] or pool
                adopters.append(self.rng.choice(candidates))
                adopters.append(self.rng.choice(pool))
                adopters = adopters[-8:]
                t += self.rng.uniform(0.6, 1.1) * _DAY
                wave += 1
            region, language = seed.account.region, seed.account.language
            if harmful:
                # Creators whose sessions carried the harmful trend and drew flags are
                # part of it: neither harmful targets nor benign bystanders.
                publisher = self.trend_adopters[-1].account.user_id
                involved = {c.account.user_id for c in self.trend_adopters}
                for subject in self.truth:
                    if subject.subject_id in involved and subject.label == "benign":
                        subject.label = "involved"
                self.trend_adopters.clear()
                content = self.uid("k")
                t_violation = t + self.rng.uniform(0.2, 1.0) * _DAY
                self.emit(
                    t_violation - _H,
                    {
                        "type": "content.published",
                        "content_id": content,
                        "creator_id": publisher,
                        "format": "short",
                        "topics": ["challenge"],
                        "hashtags": [tag],
                    },
                )
                self.violation(t_violation, "content", content, "dangerous_challenge")
                for name, used in sorted(first_use.items()):
                    self.truth.append(
                        Subject(
                            "trend",
                            name,
                            "harmful",
                            "harmful_trend",
                            2,
                            region,
                            language,
                            used,
                            t_violation,
                        )
                    )
            else:
                self.truth.append(
                    Subject("trend", tag, "benign", "benign_trend", 0, region, language)
                )


def generate_scenarios(
    seed: int, params: ScenarioParams | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The event log (time order, ids assigned) and its ground truth."""
    p = params or ScenarioParams()
    b = _Builder(seed, p)
    b.viewers()
    b.ordinary()
    b.teen_creators()
    b.big_stable()
    b.viral_spikes()
    b.brigaded()
    b.escalating()
    b.late_night()
    b.seekers()
    b.adult_fans()
    b.small_creators()
    b.trends(harmful=True)
    b.trends(harmful=False)
    b.events.sort(key=lambda item: (item[0], item[1]))
    events = []
    for n, (t, _, event) in enumerate(b.events):
        events.append({"event_id": f"sc{seed}-{n:08d}", "ts": _ts(t), **event})
    truth = {
        "version": 1,
        "seed": seed,
        "params": asdict(p),
        "subjects": [s.as_dict() for s in b.truth],
    }
    return events, truth


def _ts(t: float) -> str:
    return (
        datetime.fromtimestamp(round(t, 3), UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )

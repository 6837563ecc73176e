"""An outside world for escalation and emerging trends, not made by our own generator.

Written from EVENTS.md and the category descriptions only, by someone who had not
read `safefeed.risk.scenarios` or the detectors: a short-video platform as an outside
evaluator imagines it, converted to the v1 contract. Its conventions differ from
our generator's on purpose:

- the classifier emits only above its own threshold, so nearly every classifier flag
  scores 0.90-1.00, benign or not; a legacy model sends no score and says ``low``;
  the current one derives severity from the score;
- a retry re-sends a flag under a new event id; a tenth of viewer reports arrive
  twice (a feed ``report`` and a ``viewer_report`` flag); some flags are delivered
  hours late, out of order; a classifier outage is back-filled at once;
- categories in the platform's own taxonomy, spelled several ways;
- large benign creators draw reports on every post by reach; new benign accounts
  post in bursts and trip a velocity rule; viewer-report brigades come from aged
  and new accounts alike; a news day gets many benign creators flagged at once;
- harmful accounts escalate by slow ramps, sudden switches after weeks without a
  flag, and relapses after a quiet spell; harmful tags spread over small accounts
  whose posts are seldom flagged, before large ones take them up; benign tags look
  like them.

`generate(seed, FlagsWorld())` returns the events (in the order a converter wrote
them) and a truth document for `safefeed.risk.evaluation.evaluate`. The larger
version this was cut from, its three-seed figures and what it taught are in
docs/risk.md ("An outside world: flags and trends").
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["FlagsWorld", "generate"]

DAY = 86400.0
HOUR = 3600.0
T0 = datetime(2026, 3, 2, tzinfo=UTC).timestamp()

_REGIONS = [("BR", "pt"), ("IN", "hi"), ("JP", "ja"), ("DE", "de"), ("EG", "ar"), ("US", "en")]
_EVERGREEN = ["fyp", "food", "dance", "música", "猫", "viagem", "gaming", "ootd", "кухня", "diy"]
_STRAY = ["spam", "nudity", "harassment/bullying", "hate", "misinformation", "Spam"]
_HARM = ["hate", "Hate_Speech", "HATE", "harassment/bullying"]
_TREND_HARM = ["self-harm", "Self_Harm", "dangerous_acts", "suicide/self-injury"]
_FAMILIES = [
    ("bluelipschallenge", ["BlueLipsChallenge", "bluelips_challenge", "синиегубы"], "bluelipstick"),
    ("skipdayz", ["SkipDayz", "skip_dayz", "断食チャレンジ"], "skipdance"),
    ("glassjump", ["GlassJump", "glass_jump", "कांचकूद"], "glassjam"),
    ("ghostpill", ["GhostPill", "ghost_pill", "призрачнаятаблетка"], "ghostpepper"),
]
_REPORT_SEVERITY = {"hate": "high", "harassment/bullying": "high", "self-harm": "high"}


@dataclass(frozen=True, slots=True)
class FlagsWorld:
    """How many of each kind of subject; the defaults replay in about a second."""

    days: int = 35
    viewers: int = 400
    small: int = 90
    large: int = 5
    brigaded: int = 5
    new_accounts: int = 8
    news_creators: int = 20
    ramps: int = 4
    switches: int = 4
    relapses: int = 2
    harmful_trends: int = 3


class _Builder:
    def __init__(self, seed: int, world: FlagsWorld) -> None:
        self.rng = random.Random(seed)
        self.world = world
        self.lines: list[tuple[float, int, dict[str, Any]]] = []
        self.truth: list[dict[str, Any]] = []
        self.created: dict[str, float] = {}
        self.involved: set[str] = set()
        self.outage = (T0 + 22 * DAY, T0 + 24 * DAY + 9 * HOUR)

    def ts(self, at: float) -> str:
        return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def emit(self, at: float, body: dict[str, Any], written: float | None = None) -> None:
        event = {"event_id": f"k-{len(self.lines):07d}", "ts": self.ts(at), **body}
        self.lines.append((at if written is None else written, len(self.lines), event))

    def account(self, created: float, creator: bool, band: str = "25_plus") -> str:
        uid = f"u_{self.rng.getrandbits(40):010x}"
        region, language = self.rng.choice(_REGIONS)
        body = {"type": "account.created", "user_id": uid, "age_band": band, "region": region}
        self.emit(created, {**body, "language": language, "is_creator": creator})
        self.created[uid] = created
        return uid

    def subject(self, uid: str, label: str, scenario: str, **times: float) -> None:
        row: dict[str, Any] = {"subject_type": "creator", "subject_id": uid, "label": label}
        row["scenario"] = scenario
        row.update({name: self.ts(at) for name, at in times.items()})
        self.truth.append(row)

    # -- flags ------------------------------------------------------------------

    def classifier(self, at: float, stype: str, sid: str, category: str, bad: float) -> None:
        r = self.rng
        written = at
        if self.outage[0] <= at < self.outage[1]:  # back-filled at once
            at = written = self.outage[1] + r.uniform(0, 2 * HOUR)
        body: dict[str, Any] = {
            "type": "moderation.flag",
            "subject_type": stype,
            "subject_id": sid,
            "source": "classifier",
            "category": category,
        }
        if r.random() < 0.15:
            body.update(model_version="clf-3", severity="low")
        else:
            score = round(min(0.999, 0.9 + 0.1 * r.random() ** (1.5 - bad)), 3)
            body.update(model_version="clf-4", score=score)
            body["severity"] = "high" if score >= 0.95 else "medium"
        if r.random() < 0.06:  # raised on time, delivered hours later
            written = at + r.uniform(1, 12) * HOUR
        self.emit(at, body, written)
        if r.random() < 0.08:  # a retry under a new event id
            self.emit(at, dict(body), written)

    def report(self, at: float, stype: str, sid: str, reporter: str, reason: str) -> None:
        body = {
            "type": "moderation.flag",
            "subject_type": stype,
            "subject_id": sid,
            "source": "viewer_report",
            "category": reason,
            "severity": _REPORT_SEVERITY.get(reason, "medium"),
            "reporter_id": reporter,
        }
        self.emit(at, body)
        if stype == "content" and self.rng.random() < 0.1:
            self.emit(
                at + 1, {"type": "report", "user_id": reporter, "content_id": sid, "reason": reason}
            )

    def rule(self, at: float, stype: str, sid: str, category: str, severity: str) -> None:
        self.emit(
            at,
            {
                "type": "moderation.flag",
                "subject_type": stype,
                "subject_id": sid,
                "source": "rule",
                "category": category,
                "severity": severity,
            },
        )

    def publish(self, uid: str, at: float, tags: list[str], text: str | None = None) -> str:
        cid = f"v_{self.rng.getrandbits(48):012x}"
        body: dict[str, Any] = {
            "type": "content.published",
            "content_id": cid,
            "creator_id": uid,
            "format": "short",
            "topics": ["lifestyle"],
            "hashtags": [("#" + t) if self.rng.random() < 0.6 else t for t in tags],
        }
        if text:
            body["text"] = text
        self.emit(at, body)
        return cid

    def stray(self, cid: str, at: float, rate: float) -> None:
        r = self.rng
        if r.random() < rate:
            delay = r.lognormvariate(math.log(1200), 1.0)
            self.classifier(at + delay, "content", cid, r.choice(_STRAY), 0.2)
        if r.random() < rate * 0.6:
            reporter = r.choice(self.viewers)
            self.report(at + r.uniform(600, 2 * DAY), "content", cid, reporter, r.choice(_STRAY))

    def times(self, start: float, end: float, per_day: float) -> list[float]:
        out, t = [], start
        while True:
            t += self.rng.expovariate(per_day / DAY)
            if t >= end:
                return out
            out.append(t)

    # -- populations ------------------------------------------------------------

    def build(self) -> None:
        w, r = self.world, self.rng
        self.end = T0 + w.days * DAY
        self.viewers = [
            self.account(T0 - r.uniform(40, 1500) * DAY, False, "18_24") for _ in range(w.viewers)
        ]
        self.brigaders = [self.account(T0 - r.uniform(300, 1200) * DAY, False) for _ in range(60)]
        self.brigaders += [self.account(T0 + r.uniform(-6, 20) * DAY, False) for _ in range(30)]
        self.small = [self.account(T0 - r.uniform(40, 900) * DAY, True) for _ in range(w.small)]
        self.large = [self.account(T0 - r.uniform(400, 2000) * DAY, True) for _ in range(w.large)]
        for uid in self.small:
            for at in self.times(T0, self.end, r.uniform(0.3, 1.6)):
                self.stray(self.publish(uid, at, r.sample(_EVERGREEN, 2)), at, 0.03)
        for uid in self.large:
            for at in self.times(T0, self.end, r.uniform(3, 6)):
                cid = self.publish(uid, at, r.sample(_EVERGREEN, 2), "daily upload")
                if r.random() < 0.15:
                    self.classifier(
                        at + r.uniform(300, 7200), "content", cid, r.choice(_STRAY), 0.3
                    )
                for _ in range(int(r.expovariate(1 / 1.2))):
                    reporter = r.choice(self.viewers)
                    self.report(
                        at + r.uniform(600, DAY), "content", cid, reporter, r.choice(_STRAY)
                    )
            self.subject(uid, "benign", "large_reach")
        brigaded = set(r.sample(self.small, w.brigaded))
        news = set(r.sample(sorted(set(self.small) - brigaded), w.news_creators))
        for uid in self.small:
            kind = "brigaded" if uid in brigaded else "news_day" if uid in news else "ordinary"
            self.subject(uid, "benign", kind)
        for uid in brigaded:
            self.brigade(uid)
        self.news_day(sorted(news) + self.large[:3])
        for _ in range(w.new_accounts):
            self.new_account()
        self.escalators: list[str] = []
        for kind, n in (("ramp", w.ramps), ("switch", w.switches), ("relapse", w.relapses)):
            for _ in range(n):
                self.escalation(kind)
        for family in r.sample(_FAMILIES, w.harmful_trends):
            self.harmful_trend(*family)

    def brigade(self, uid: str) -> None:
        r = self.rng
        start = T0 + r.uniform(6, 30) * DAY
        span = r.uniform(6, 36) * HOUR
        pool = [b for b in self.brigaders if self.created[b] < start]
        reason = r.choice(["hate", "harassment/bullying"])
        victim = self.publish(uid, start - r.uniform(1, 5) * DAY, r.sample(_EVERGREEN, 2))
        for i, at in enumerate(
            sorted(start + r.uniform(0, span) for _ in range(r.randint(25, 120)))
        ):
            target = ("content", victim) if r.random() < 0.7 else ("creator", uid)
            self.report(at, *target, r.choice(pool), reason)
            if i in (20, 60):  # the platform's own rule on the report count
                self.rule(at + 30, "creator", uid, "mass_reports", "medium")

    def news_day(self, creators: list[str]) -> None:
        r = self.rng
        day = T0 + 17 * DAY + r.uniform(2, 8) * HOUR
        for uid in creators:
            for _ in range(r.randint(1, 3)):
                at = day + r.expovariate(1 / (8 * HOUR))
                cid = self.publish(uid, at, ["quake", "sismo"], "praying for everyone 🙏")
                if r.random() < 0.45:
                    self.classifier(
                        at + r.uniform(60, 3600), "content", cid, "graphic_violence", 0.6
                    )

    def new_account(self) -> None:
        r = self.rng
        created = T0 + r.uniform(2, 28) * DAY
        uid = self.account(created, True, "18_24")
        burst_end = created + r.uniform(1.5, 3) * DAY
        for at in self.times(created, burst_end, r.uniform(8, 25)):
            cid = self.publish(uid, at, r.sample(_EVERGREEN, 2), "first posts!!")
            if r.random() < 0.3:
                self.rule(at + 5, "content", cid, "spam", r.choice(["low", "medium"]))
            self.stray(cid, at, 0.03)
        for at in self.times(burst_end, self.end, r.uniform(0.5, 2)):
            self.stray(self.publish(uid, at, r.sample(_EVERGREEN, 2)), at, 0.03)
        self.subject(uid, "benign", "new_account")

    def escalation(self, kind: str) -> None:
        r = self.rng
        uid = self.account(T0 - r.uniform(60, 900) * DAY, True)
        self.escalators.append(uid)
        category, rate = r.choice(_HARM), r.uniform(0.8, 2.0)
        level: Callable[[float], float]
        if kind == "ramp":
            start, length = T0 + r.uniform(4, 12) * DAY, r.uniform(10, 20) * DAY
            violation = start + length

            def level(t: float) -> float:
                return max(0.0, min(1.0, (t - start) / length))
        elif kind == "switch":
            start = T0 + r.uniform(12, 28) * DAY
            violation = start + r.uniform(2, 5) * DAY

            def level(t: float) -> float:
                return 0.9 if t >= start else 0.0
        else:
            start = T0 + r.uniform(2, 6) * DAY
            quiet, back = start + 5 * DAY, start + r.uniform(13, 19) * DAY
            violation = back + r.uniform(3, 6) * DAY

            def level(t: float) -> float:
                return 0.45 if start <= t < quiet else 0.95 if t >= back else 0.0

        violation = min(violation, self.end - DAY / 2)
        t = T0
        while (t := t + r.expovariate(rate * (1 + 1.5 * level(t)) / DAY)) < violation:
            bad = level(t)
            cid = self.publish(uid, t, r.sample(_EVERGREEN, 2), "say it louder" if bad else None)
            if not bad:
                self.stray(cid, t, 0.03)
                continue
            if r.random() < 0.35 + 0.5 * bad:
                self.classifier(
                    t + r.lognormvariate(math.log(900), 1.0),
                    "content",
                    cid,
                    category if r.random() < 0.7 else r.choice(_HARM),
                    bad,
                )
            for _ in range(int(r.expovariate(1 / (0.3 + 1.5 * bad)))):
                self.report(
                    t + r.uniform(600, 12 * HOUR),
                    "content",
                    cid,
                    r.choice(self.viewers),
                    r.choice(["hate", "harassment/bullying"]),
                )
        self.emit(
            violation,
            {
                "type": "enforcement.violation",
                "subject_type": "creator",
                "subject_id": uid,
                "category": category,
                "severity": "high",
            },
        )
        self.subject(
            uid, "harmful", f"escalation_{kind}", first_signal_at=start, violation_at=violation
        )

    def harmful_trend(self, base: str, variants: list[str], lookalike: str) -> None:
        r = self.rng
        start = T0 + r.uniform(3, 16) * DAY
        violation = start + r.uniform(6, 10) * DAY
        carriers = r.sample(self.small, 4)
        adopters = r.sample([u for u in self.small if u not in carriers], 14)
        first_violation = None
        for day in range(int((violation - start) / DAY) + 3):
            now = start + day * DAY
            carriers += [adopters.pop() for _ in range(min(len(adopters), int(1.6**day)))]
            if day == 5:
                carriers.append(r.choice(self.large))
            for uid in carriers:
                if r.random() > 0.55:
                    continue
                at = now + r.uniform(0, DAY)
                self.involved.add(uid)
                tag = base if r.random() < 0.5 else r.choice(variants)
                cid = self.publish(uid, at, [tag, r.choice(_EVERGREEN)], "hold it 💫")
                if at >= violation and r.random() < 0.3:
                    self.emit(
                        at + HOUR,
                        {
                            "type": "enforcement.violation",
                            "subject_type": "content",
                            "subject_id": cid,
                            "category": r.choice(_TREND_HARM),
                            "severity": "high",
                        },
                    )
                    first_violation = min(first_violation or math.inf, at + HOUR)
                elif r.random() < 0.2:
                    self.classifier(
                        at + r.uniform(300, 4 * HOUR), "content", cid, r.choice(_TREND_HARM), 0.7
                    )
                elif r.random() < 0.15:
                    self.report(
                        at + r.uniform(600, 8 * HOUR),
                        "content",
                        cid,
                        r.choice(self.viewers),
                        "self-harm",
                    )
        self.truth.append(
            {
                "subject_type": "trend",
                "subject_id": "#" + base,
                "label": "harmful",
                "scenario": "harmful_trend",
                "first_signal_at": self.ts(start),
                "violation_at": self.ts(first_violation or violation),
            }
        )
        # A benign look-alike, on small and large creators alike.
        begin = T0 + r.uniform(2, 20) * DAY
        users = r.sample(self.small, 20) + r.sample(self.large, 2)
        for uid in users:
            for _ in range(r.randint(1, 3)):
                at = begin + r.uniform(0, 8) * DAY
                self.stray(self.publish(uid, at, [lookalike, "fyp"], "try this 😂"), at, 0.03)
        self.truth.append(
            {
                "subject_type": "trend",
                "subject_id": "#" + lookalike,
                "label": "benign",
                "scenario": "benign_lookalike",
            }
        )


def generate(seed: int, world: FlagsWorld) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The events of one seeded world, as written (mostly time-ordered), and its truth."""
    builder = _Builder(seed, world)
    builder.build()
    for row in builder.truth:  # creators who carried a harmful tag count neither way
        if row["subject_id"] in builder.involved and row["label"] == "benign":
            row["label"] = "involved"
    builder.lines.sort(key=lambda line: (line[0], line[1]))
    return [event for _, _, event in builder.lines], {"subjects": builder.truth}

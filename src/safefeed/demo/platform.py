"""A small synthetic platform as a v1 event log: accounts, catalog, policy, feed, live.

The output is plain event dicts in time order, exactly what a platform would send,
so the embedded demo ingests it through the same path as real traffic. Everything
is drawn from one seeded `random.Random`, and no set or hash order reaches the
output, so a seed always gives the same log.

Besides ordinary activity the log carries what the safety loops need to find:
rude posts and chat lines (mild, ordinary profanity), every policy state, user
reports that concentrate on risky items, and one live session where an adult's
interactions with a minor escalate before a report and a confirmed violation.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any, TypeVar

from safefeed.types import POLICY_STATES, AgeBand, PolicyState, Surface

__all__ = ["DEMO_START", "TOPICS", "generate_demo_events"]

#: Where the demo log starts unless told otherwise: a fixed instant, for reproducibility.
DEMO_START = datetime(2026, 5, 1, tzinfo=UTC)

TOPICS: tuple[str, ...] = (
    "news", "sports", "cooking", "gaming", "music", "fitness", "politics", "science",
    "travel", "fashion", "finance", "pets", "diy", "comedy", "education", "health",
    "art", "tech", "cars", "books",
)  # fmt: skip

_T = TypeVar("_T")
_HOUR = 3600
# Tuned so the default sizes give about 50k events, most of them feed engagement.
_SESSIONS_PER_USER_DAY = 0.12
_DAY = 24 * _HOUR

# region, share of accounts, time zones, languages
_REGIONS: tuple[tuple[str, float, tuple[str, ...], tuple[str, ...]], ...] = (
    ("US", 0.35, ("America/New_York", "America/Chicago", "America/Los_Angeles"), ("en",)),
    ("GB", 0.12, ("Europe/London",), ("en",)),
    ("DE", 0.12, ("Europe/Berlin",), ("de",)),
    ("BR", 0.14, ("America/Sao_Paulo",), ("pt",)),
    ("IN", 0.17, ("Asia/Kolkata",), ("en", "hi")),
    ("JP", 0.10, ("Asia/Tokyo",), ("ja",)),
)
_USER_AGES: dict[AgeBand, float] = {
    "under_13": 0.02, "13_15": 0.08, "16_17": 0.09, "18_24": 0.26, "25_plus": 0.45, "unknown": 0.10,
}  # fmt: skip
_CREATOR_AGES: dict[AgeBand, float] = {
    "16_17": 0.05, "18_24": 0.30, "25_plus": 0.60, "unknown": 0.05,
}  # fmt: skip
_ADULT: tuple[AgeBand, ...] = ("18_24", "25_plus")
_MINOR: tuple[AgeBand, ...] = ("13_15", "16_17")

_FORMATS: dict[str, float] = {
    "post": 0.25, "article": 0.10, "video": 0.30, "short": 0.25, "live_replay": 0.04,
    "podcast": 0.06,
}  # fmt: skip
_TOPIC_FORMATS: dict[str, dict[str, float]] = {
    "news": {"article": 0.40, "post": 0.30, "video": 0.25, "podcast": 0.05},
    "politics": {"article": 0.35, "post": 0.35, "video": 0.20, "podcast": 0.10},
    "books": {"article": 0.35, "post": 0.30, "podcast": 0.20, "video": 0.15},
    "gaming": {"video": 0.35, "short": 0.35, "live_replay": 0.20, "post": 0.10},
    "music": {"video": 0.35, "short": 0.40, "podcast": 0.10, "live_replay": 0.15},
}
_DURATIONS: dict[str, tuple[int, int]] = {
    "article": (120, 900),  # reading time
    "video": (60, 1200),
    "short": (6, 60),
    "live_replay": (900, 7200),
    "podcast": (1200, 5400),
}
_TEXT_FORMATS = ("post", "article")

_NOUNS: dict[str, tuple[str, ...]] = {
    "news": ("election update", "city council vote", "weather warning", "transit strike"),
    "sports": ("derby match", "transfer rumour", "marathon", "penalty shootout"),
    "cooking": ("sourdough loaf", "one-pot curry", "lemon tart", "ramen broth"),
    "gaming": ("speedrun", "boss fight", "indie platformer", "patch notes"),
    "music": ("new album", "guitar riff", "festival lineup", "piano cover"),
    "fitness": ("leg day", "5k plan", "mobility routine", "kettlebell workout"),
    "politics": ("budget debate", "policy proposal", "town hall", "coalition talks"),
    "science": ("comet sighting", "gene study", "battery research", "deep sea survey"),
    "travel": ("night train", "hostel", "mountain hike", "city break"),
    "fashion": ("thrift haul", "spring jacket", "sneaker drop", "capsule wardrobe"),
    "finance": ("index fund", "household budget", "interest rates", "savings plan"),
    "pets": ("rescue puppy", "cat tower", "parrot", "dog walk"),
    "diy": ("bookshelf build", "tile repair", "garden bed", "paint job"),
    "comedy": ("stand-up set", "sketch", "prank video", "roast"),
    "education": ("study method", "math lesson", "language course", "exam prep"),
    "health": ("sleep routine", "hydration habit", "posture fix", "walking challenge"),
    "art": ("watercolour", "sketchbook", "mural", "clay sculpture"),
    "tech": ("phone review", "home server", "laptop upgrade", "coding tutorial"),
    "cars": ("road trip", "electric hatchback", "engine swap", "track day"),
    "books": ("mystery novel", "reading list", "poetry collection", "book club pick"),
}
_ADJECTIVES = ("great", "surprising", "relaxing", "tricky", "brilliant", "underrated", "fun")
_SENTENCES = (
    "Just tried a {noun} and honestly it was {adj}.",
    "Three things I learned about the {noun} this week.",
    "Anyone else excited about the {noun}?",
    "Quick tip: plan ahead before your next {noun}.",
    "My honest take on the {noun}: {adj}, with a few caveats.",
    "Big day for {noun} fans, details below.",
    "Saving this {noun} for the weekend.",
)
_RUDE_SENTENCES = (
    "This {noun} is total crap, what a waste of time.",
    "Whoever planned this {noun} is a damn idiot.",
    "Shut up about the {noun} already, you morons.",
    "What the hell is this {noun}, total garbage.",
    "This {noun} sucks, stupid from start to finish.",
    "Honestly the whole {noun} thing is bullshit.",
)
_CHAT = (
    "hi from {region}!", "love this {noun}", "first time here", "so {adj}", "gg", "lol", "nice",
)  # fmt: skip
_RUDE_CHAT = (
    "this stream sucks", "shut up you idiot", "what a load of crap", "damn this is stupid",
)  # fmt: skip

_SURFACE_MIX: dict[Surface, float] = {
    "home": 0.60, "following": 0.15, "related": 0.10, "search": 0.07, "push": 0.05, "email": 0.03,
}  # fmt: skip
_SLATE: dict[Surface, int] = {
    "home": 6, "following": 5, "related": 4, "search": 5, "push": 1, "email": 1,
}  # fmt: skip
_REPORT_REASONS = ("spam", "misleading", "offensive", "harassment", "violence", "other")
_TIMED_FORMATS = ("video", "short", "live_replay", "podcast")

# Shares of policy changes per state; every state is also guaranteed at least once.
_POLICY_MIX: dict[PolicyState, float] = {
    "allowed": 0.50, "limited_distribution": 0.13, "needs_review": 0.10, "restricted": 0.06,
    "age_or_region_restricted": 0.06, "search_only": 0.05, "not_recommendable": 0.06,
    "blocked": 0.03, "deleted": 0.01,
}  # fmt: skip
_REASONS: dict[PolicyState, tuple[str, ...]] = {
    "allowed": ("reviewed_no_violation",),
    "needs_review": ("classifier_flag", "user_reports"),
    "restricted": ("graphic_content", "mature_themes"),
    "age_or_region_restricted": ("regulated_goods", "regional_law"),
    "limited_distribution": ("borderline", "misleading", "low_quality"),
    "search_only": ("sensitive_news",),
    "not_recommendable": ("engagement_bait", "repetitive"),
    "blocked": ("harassment", "spam", "violent_content"),
    "deleted": ("harassment", "copyright"),
}
# Overrides only ever narrow a state's default reach (the policy ceilings win anyway).
_SURFACE_OVERRIDES: dict[PolicyState, dict[str, bool | str]] = {
    "allowed": {"push": False},
    "limited_distribution": {"home": "limited", "push": False, "email": False},
    "restricted": {"home": False},
    "age_or_region_restricted": {"push": False, "email": False},
    "search_only": {"following": False},
    "not_recommendable": {"following": "limited"},
}
_RUDE_STATES: tuple[PolicyState, ...] = ("needs_review", "limited_distribution", "restricted")
_REVIEW_OUTCOMES: tuple[PolicyState, ...] = (
    "allowed", "allowed", "limited_distribution", "blocked",
)  # fmt: skip
_CREATOR_STATES: tuple[PolicyState, ...] = (
    "limited_distribution", "not_recommendable", "needs_review", "restricted",
)  # fmt: skip
_HARMFUL: frozenset[PolicyState] = frozenset(
    {"restricted", "limited_distribution", "not_recommendable", "blocked", "deleted"}
)


@dataclass(slots=True, eq=False)  # identity, not field, equality: accounts are entities
class _Account:
    user_id: str
    created: int
    age_band: AgeBand
    region: str
    timezone: str
    language: str
    topics: tuple[str, ...]
    follows: list[tuple[int, int]] = field(default_factory=list)  # (since, creator index)


@dataclass(slots=True)
class _Item:
    content_id: str
    creator: int
    published: int
    topic: str
    format: str
    quality: float
    duration: int | None
    rude: bool
    risky: bool = False
    gone: int | None = None


def _weighted(rng: random.Random, weights: dict[_T, float]) -> _T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class _Builder:
    """Accumulates events as (second offset, sequence, fields) and emits them sorted.

    The sequence number keeps cause before effect when two events share a second,
    which holds because every phase only refers to what earlier phases built.
    """

    def __init__(self, rng: random.Random, days: int, origin: datetime) -> None:
        self.rng = rng
        self.origin = origin  # naive UTC, so isoformat() carries no offset
        self.horizon = days * _DAY
        self.rows: list[tuple[int, int, dict[str, Any]]] = []
        self.users: list[_Account] = []
        self.creators: list[_Account] = []
        self.items: list[_Item] = []
        self.reports: list[tuple[int, str, int, str]] = []  # (time, reporter, item, reason)
        self.pools: dict[str, tuple[list[int], list[int]]] = {}  # key -> (items, publish times)

    def emit(self, at: int, fields: dict[str, Any]) -> None:
        # A session still running when the window closes is cut off, as in a real export.
        if at < self.horizon:
            self.rows.append((at, len(self.rows), fields))

    def later(self, at: int, mean: float) -> int:
        """A time after ``at``, usually an exponential gap away, always inside the window.

        A gap that would overshoot is redrawn uniformly over what is left, rather than
        clipped, so the last second of the log does not collect a pile of events.
        """
        end = self.horizon - 1
        if at >= end:
            return end
        candidate = at + 1 + int(self.rng.expovariate(1.0 / mean))
        return candidate if candidate <= end else self.rng.randint(at + 1, end)

    # ------------------------------------------------------------ accounts and follows

    def account(
        self, number: int, created: int, ages: dict[AgeBand, float], creator: bool
    ) -> _Account:
        rng = self.rng
        region, _, zones, languages = rng.choices(_REGIONS, weights=[r[1] for r in _REGIONS])[0]
        prefix = "cr" if creator else "u"
        account = _Account(
            user_id=f"{prefix}{number:05d}",
            created=created,
            age_band=_weighted(rng, ages),
            region=region,
            timezone=rng.choice(zones),
            language=rng.choice(languages),
            topics=tuple(rng.sample(TOPICS, 3 if creator else 4)),
        )
        fields: dict[str, Any] = {
            "type": "account.created",
            "user_id": account.user_id,
            "age_band": account.age_band,
            "region": region,
            "language": account.language,
        }
        # Some platforms know only the region; local time then falls back to its zone.
        if rng.random() < 0.85:
            fields["timezone"] = account.timezone
        if creator:
            fields["is_creator"] = True
        self.emit(created, fields)
        return account

    def accounts(self, users: int, creators: int) -> None:
        rng = self.rng
        for n in range(creators):
            self.creators.append(self.account(n, rng.randrange(_HOUR), _CREATOR_AGES, True))
        for n in range(users):
            # Most users exist from the start; the rest sign up during the window.
            start = rng.randrange(6 * _HOUR) if rng.random() < 0.7 else rng.randrange(self.horizon)
            self.users.append(self.account(n, start, _USER_AGES, False))

    def follows(self) -> None:
        rng = self.rng
        if not self.creators:
            return
        # A few creators draw most follows, as on every real platform.
        popularity = list(accumulate(1.0 / (rank + 1) ** 0.9 for rank in range(len(self.creators))))
        order = rng.sample(range(len(self.creators)), len(self.creators))
        for user in self.users:
            wanted = min(int(rng.expovariate(1 / 3.0)), len(self.creators))
            chosen: list[int] = []
            while len(chosen) < wanted:
                pick = order[rng.choices(range(len(order)), cum_weights=popularity)[0]]
                if pick not in chosen:
                    chosen.append(pick)
            for pick in chosen:
                creator = self.creators[pick]
                at = self.later(max(user.created, creator.created), 8 * _HOUR)
                follow = {"user_id": user.user_id, "creator_id": creator.user_id}
                self.emit(at, {"type": "follow", **follow})
                if rng.random() < 0.03:
                    self.emit(self.later(at, _DAY), {"type": "unfollow", **follow})
                else:
                    user.follows.append((at, pick))

    # ------------------------------------------------------------ catalog and policy

    def catalog(self, items: int) -> None:
        rng = self.rng
        productivity = list(accumulate(rng.paretovariate(1.5) for _ in self.creators))
        for n in range(items):
            c = rng.choices(range(len(self.creators)), cum_weights=productivity)[0]
            creator = self.creators[c]
            if rng.random() < 0.2:  # a back catalogue already there when the log starts
                at = creator.created + rng.randrange(3 * _HOUR)
            else:
                at = rng.randrange(creator.created, self.horizon - 600)
            topic = rng.choice(creator.topics) if rng.random() < 0.8 else rng.choice(TOPICS)
            fmt = _weighted(rng, _TOPIC_FORMATS.get(topic, _FORMATS))
            # Texts are generated in English only, so other-language items carry none.
            language = "en" if rng.random() < 0.6 else creator.language
            if language != "en" and fmt in _TEXT_FORMATS:
                fmt = "video"
            item = _Item(
                content_id=f"c{n:06d}",
                creator=c,
                published=at,
                topic=topic,
                format=fmt,
                quality=round(rng.betavariate(5, 2), 3),
                duration=rng.randint(*_DURATIONS[fmt]) if fmt in _DURATIONS else None,
                rude=fmt in _TEXT_FORMATS and rng.random() < 0.05,
            )
            item.risky = item.rude
            self.items.append(item)
            self.emit(at, self.published(item, creator, language))
        self.items.sort(key=lambda item: item.published)

    def published(self, item: _Item, creator: _Account, language: str) -> dict[str, Any]:
        rng = self.rng
        topics = [item.topic]
        if rng.random() < 0.2:
            topics.append(rng.choice(TOPICS))
        noun = rng.choice(_NOUNS[item.topic])
        fields: dict[str, Any] = {
            "type": "content.published",
            "content_id": item.content_id,
            "creator_id": creator.user_id,
            "format": item.format,
            "topics": topics,
            "language": language,
            "region": creator.region,
            "quality_score": item.quality,
            "hashtags": [item.topic, noun.split()[-1].replace("-", "")][: rng.randint(1, 2)],
        }
        if item.duration is not None:
            fields["duration_s"] = float(item.duration)
        if item.format in _TEXT_FORMATS:
            count = 1 if item.format == "post" else rng.randint(3, 5)
            lines = [self.sentence(_SENTENCES, noun) for _ in range(count)]
            if item.rude:
                # A rant is rude throughout; one rude line in a long text is diluted below
                # what a bag-of-words classifier flags, and the demo should give it a target.
                for line in rng.sample(range(count), (count + 1) // 2):
                    lines[line] = self.sentence(_RUDE_SENTENCES, noun)
            fields["text"] = " ".join(lines)
        if item.topic == "news" and rng.random() < 0.5:
            fields["expires_at"] = self.timestamp(item.published + rng.randint(1, 3) * _DAY)
        return fields

    def sentence(self, templates: Sequence[str], noun: str) -> str:
        return self.rng.choice(templates).format(noun=noun, adj=self.rng.choice(_ADJECTIVES))

    def policy(self) -> None:
        rng = self.rng
        if not self.items:
            return
        wanted = min(len(self.items), max(len(POLICY_STATES), round(len(self.items) * 0.14)))
        rude = [i for i, item in enumerate(self.items) if item.rude]
        others = [i for i, item in enumerate(self.items) if not item.rude]
        # Most rude posts get caught by something: a classifier, a report, a review.
        caught = rng.sample(rude, min(int(len(rude) * 0.7), wanted // 3))
        chosen = caught + rng.sample(others, min(len(others), wanted - len(caught)))
        rng.shuffle(chosen)
        for k, index in enumerate(chosen):
            item = self.items[index]
            if k < len(POLICY_STATES):
                state = POLICY_STATES[k]
            elif item.rude:
                state = rng.choice(_RUDE_STATES)
            else:
                state = _weighted(rng, _POLICY_MIX)
            at = self.later(item.published, 8 * _HOUR)
            self.policy_change(at, "content", item.content_id, state)
            item.risky = item.rude or state in _HARMFUL
            if state in ("blocked", "deleted"):
                item.gone = at
                self.violation(at, "content", item.content_id, _REASONS[state][0], "remove")
            elif state == "needs_review" and rng.random() < 0.5:
                outcome = rng.choice(_REVIEW_OUTCOMES)
                review_at = self.later(at, 6 * _HOUR)
                self.policy_change(review_at, "content", item.content_id, outcome, "reviewed")
                if outcome == "blocked":
                    item.gone = review_at
        # Creators who removed their own posts: the platform sends content.deleted.
        for item in rng.sample(self.items, min(3, len(self.items))):
            if item.gone is None:
                item.gone = self.later(item.published, _DAY)
                self.emit(item.gone, {"type": "content.deleted", "content_id": item.content_id})
        for creator in rng.sample(self.creators, max(1, len(self.creators) // 30)):
            state = rng.choice(_CREATOR_STATES)
            at = self.later(creator.created, 2 * _DAY)
            self.policy_change(at, "creator", creator.user_id, state)
            if state == "restricted":
                self.violation(at, "creator", creator.user_id, "repeat_violations", "restrict")

    def policy_change(
        self,
        at: int,
        subject_type: str,
        subject_id: str,
        state: PolicyState,
        review: str | None = None,
    ) -> None:
        rng = self.rng
        fields: dict[str, Any] = {
            "type": "policy.changed",
            "subject_type": subject_type,
            "subject_id": subject_id,
            "policy_state": state,
            # The policy document was revised mid-week; decisions carry the version in force.
            "policy_version": "2026.05.1" if at < 4 * _DAY else "2026.05.2",
            "reasons": [rng.choice(_REASONS[state])],
            "review_status": review or ("pending" if state == "needs_review" else "decided"),
        }
        if state in _SURFACE_OVERRIDES and rng.random() < 0.3:
            fields["surfaces"] = dict(_SURFACE_OVERRIDES[state])
        self.emit(at, fields)

    def violation(
        self, at: int, subject_type: str, subject_id: str, category: str, action: str
    ) -> None:
        self.emit(
            at,
            {
                "type": "enforcement.violation",
                "subject_type": subject_type,
                "subject_id": subject_id,
                "category": category,
                "severity": "high" if category in ("violent_content", "minor_safety") else "medium",
                "action": action,
            },
        )

    # ------------------------------------------------------------ feed sessions

    def sessions(self, per_user_day: float) -> None:
        rng = self.rng
        if not self.items or not self.users:
            return
        for index, item in enumerate(self.items):  # items are in publication order
            for key in ("*", f"topic:{item.topic}", f"creator:{item.creator}"):
                indices, times = self.pools.setdefault(key, ([], []))
                indices.append(index)
                times.append(item.published)
        # Heavy-tailed activity: a few users hold many of the sessions.
        activity = list(accumulate(rng.lognormvariate(0, 1) for _ in self.users))
        requests = 0
        for n in range(round(len(self.users) * self.horizon / _DAY * per_user_day)):
            user = self.users[rng.choices(range(len(self.users)), cum_weights=activity)[0]]
            if user.created + 60 >= self.horizon - 1800:
                continue
            t = rng.randrange(user.created + 60, self.horizon - 1800)
            surface = _weighted(rng, _SURFACE_MIX)
            following = [creator for since, creator in user.follows if since <= t]
            if surface == "following" and not following:
                surface = "home"
            session = {"surface": surface, "session_id": f"s{n:06d}"}
            pages = 1 if _SLATE[surface] == 1 else 1 + (rng.random() < 0.45) + (rng.random() < 0.2)
            seen: set[int] = set()
            for _ in range(pages):
                context = {**session, "request_id": f"r{requests:07d}"}
                requests += 1
                for position, index in enumerate(self.slate(user, surface, t, seen, following)):
                    t = self.engage(user, index, t, context, position)
                t += rng.randint(1, 5)
            self.emit(t, {"type": "session_end", "user_id": user.user_id, **session})

    def slate(
        self, user: _Account, surface: Surface, t: int, seen: set[int], following: list[int]
    ) -> list[int]:
        rng = self.rng
        picks: list[int] = []
        for _ in range(3 * _SLATE[surface]):
            if len(picks) == _SLATE[surface]:
                break
            if surface == "following":
                key = f"creator:{rng.choice(following)}"
            elif surface in ("search", "related") or (surface == "home" and rng.random() < 0.6):
                key = f"topic:{rng.choice(user.topics)}"
            else:
                key = "*"
            indices, times = self.pools.get(key, ([], []))
            available = bisect_right(times, t)
            if not available:
                continue
            # Feeds lean to recent items; the tail reaches back through the catalogue.
            back = int(rng.expovariate(4.0 / available))
            index = indices[available - 1 - min(back, available - 1)]
            gone = self.items[index].gone
            if index in seen or (gone is not None and gone <= t):
                continue
            seen.add(index)
            picks.append(index)
        return picks

    def engage(
        self, user: _Account, index: int, t: int, context: dict[str, Any], position: int
    ) -> int:
        """Emit what one served item led to; returns the time the user moved on."""
        rng = self.rng
        item = self.items[index]
        base = {"user_id": user.user_id, "content_id": item.content_id, **context}
        base["position"] = position
        self.emit(t, {"type": "impression", **base})
        if rng.random() < 0.85:
            self.emit(
                t,
                {
                    "type": "viewable_impression",
                    **base,
                    "visible_ms": float(rng.randint(300, 6000)),
                },
            )
        t += rng.randint(2, 6)
        interested = item.topic in user.topics
        # Risky items draw more clicks: the engagement bias the feed must not amplify.
        p_open = 0.06 + 0.14 * item.quality + 0.08 * interested + 0.05 * item.risky
        if rng.random() < p_open:
            self.emit(t, {"type": "open", **base})
            if item.duration is not None and item.format in _TIMED_FORMATS:
                ratio = round(rng.betavariate(2.0, 2.0 if interested else 3.0), 3)
                watched = min(item.duration * ratio, 1800.0)
                ratio = round(watched / item.duration, 3)
                t += int(watched) + 1
                self.emit(t, {"type": "dwell", **base, "dwell_ms": float(int(watched * 1000))})
                self.emit(t, {"type": "completion", **base, "ratio": ratio})
            else:
                dwell_ms = rng.randint(3000, 120_000)
                t += dwell_ms // 1000 + 1
                self.emit(t, {"type": "dwell", **base, "dwell_ms": float(dwell_ms)})
            for kind, p in (("like", 0.30), ("save", 0.06), ("share", 0.04), ("comment", 0.03)):
                if rng.random() < p:
                    self.emit(t, {"type": kind, **base})
        elif rng.random() < 0.1:
            self.emit(t, {"type": "scroll_past", **base})
        if rng.random() < (0.05 if item.risky else 0.01):
            self.emit(t, {"type": rng.choice(("hide", "not_interested", "dislike")), **base})
        if rng.random() < (0.05 if item.risky else 0.0015):
            reason = (
                rng.choice(("offensive", "harassment"))
                if item.rude
                else rng.choice(_REPORT_REASONS)
            )
            self.emit(t, {"type": "report", **base, "reason": reason})
            self.reports.append((t, user.user_id, index, reason))
            if rng.random() < 0.2:
                creator_id = self.creators[item.creator].user_id
                self.emit(t + 1, {"type": "mute_creator", **base, "creator_id": creator_id})
        return t

    # ------------------------------------------------------------ live sessions

    def live(self) -> None:
        rng = self.rng
        if not self.creators or not self.users:
            return
        for n in range(max(1, round(len(self.creators) / 30))):
            creator = rng.choice(self.creators)
            start = rng.randrange(creator.created + _HOUR, self.horizon - 4 * _HOUR)
            end = start + rng.randint(90 if n == 0 else 30, 150) * 60
            live_id = f"live{n:04d}"
            topic = rng.choice(creator.topics)
            self.emit(
                start,
                {
                    "type": "live.started",
                    "live_session_id": live_id,
                    "creator_id": creator.user_id,
                    "category": topic,
                    "title": f"Live: {rng.choice(_NOUNS[topic])} with {creator.user_id}",
                },
            )
            eligible = [user for user in self.users if user.created < start]
            viewers = rng.sample(eligible, min(len(eligible), rng.randint(25, 60)))
            pair = self.escalation_pair(eligible, viewers) if n == 0 else None
            rude_lines = 0
            for viewer in viewers:
                pinned = pair is not None and viewer in pair
                join = start + (300 if pinned else rng.randrange((end - start) * 3 // 5))
                leave = end - 1 if pinned else min(end - 1, join + rng.randint(300, end - start))
                presence = {"live_session_id": live_id, "user_id": viewer.user_id}
                self.emit(
                    join, {"type": "live.viewer_joined", **presence, "age_band": viewer.age_band}
                )
                for _ in range(int(rng.expovariate(1.0))):
                    rude = rng.random() < 0.06
                    rude_lines += rude
                    self.emit(
                        rng.randrange(join, leave),
                        {"type": "live.chat", **presence, **self.chat(viewer, topic, rude)},
                    )
                if rng.random() < 0.3:
                    kind = rng.choice(("gift", "follow", "chat_mention"))
                    self.interaction(rng.randrange(join, leave), live_id, viewer, creator, kind)
                self.emit(
                    leave, {"type": "live.viewer_left", **presence, "age_band": viewer.age_band}
                )
            if pair is not None:
                self.escalate(start + 600, live_id, *pair)
            if rude_lines >= 2:
                self.flag(
                    end - 60, "live_session", live_id, "classifier", "profanity", "low", score=0.85
                )
            self.emit(end, {"type": "live.ended", "live_session_id": live_id})

    def chat(self, viewer: _Account, topic: str, rude: bool) -> dict[str, Any]:
        rng = self.rng
        if rude:
            fields: dict[str, Any] = {"text": rng.choice(_RUDE_CHAT)}
        else:
            template = rng.choice(_CHAT)
            noun = rng.choice(_NOUNS[topic])
            fields = {
                "text": template.format(
                    region=viewer.region, noun=noun, adj=rng.choice(_ADJECTIVES)
                )
            }
        if rng.random() < 0.1:
            fields["hashtags"] = [topic]
        if rng.random() < 0.05:
            fields["sounds"] = [f"sound-{rng.randint(1, 20):02d}"]
        return fields

    def escalation_pair(
        self, eligible: list[_Account], viewers: list[_Account]
    ) -> tuple[_Account, _Account] | None:
        adults = [user for user in eligible if user.age_band in _ADULT]
        minors = [user for user in eligible if user.age_band in _MINOR]
        if not adults or not minors or len(viewers) < 2:
            return None
        pair = (self.rng.choice(adults), self.rng.choice(minors))
        for member in pair:
            if member not in viewers:
                viewers[viewers.index(next(v for v in viewers if v not in pair))] = member
        return pair

    def escalate(self, at: int, live_id: str, adult: _Account, minor: _Account) -> None:
        """Weak signals that build up: mentions, gifts, then private contact attempts."""
        kinds = (
            "chat_mention", "chat_mention", "gift", "chat_mention", "gift", "dm_request",
            "private_invite",
        )  # fmt: skip
        for step, kind in enumerate(kinds):
            self.interaction(at + step * 240, live_id, adult, minor, kind)
        reported = at + len(kinds) * 240 + 1200
        self.flag(
            reported, "user", adult.user_id, "viewer_report", "minor_safety", "high", reporter=minor
        )
        self.violation(
            self.later(reported, 6 * _HOUR),
            "user",
            adult.user_id,
            "minor_safety",
            "account_restricted",
        )

    def interaction(
        self, at: int, live_id: str, source: _Account, target: _Account, kind: str
    ) -> None:
        self.emit(
            at,
            {
                "type": "live.interaction",
                "live_session_id": live_id,
                "from_user_id": source.user_id,
                "to_user_id": target.user_id,
                "from_age_band": source.age_band,
                "to_age_band": target.age_band,
                "kind": kind,
            },
        )

    # ------------------------------------------------------------ moderation

    def moderation(self) -> None:
        rng = self.rng
        for item in self.items:
            if item.rude and rng.random() < 0.5:
                score = round(rng.uniform(0.8, 0.99), 3)
                severity = "medium" if score > 0.9 else "low"
                at = self.later(item.published, 600)
                self.flag(
                    at, "content", item.content_id, "classifier", "profanity", severity, score=score
                )
        for at, reporter, index, reason in self.reports:
            if rng.random() < 0.25:
                content_id = self.items[index].content_id
                self.flag(
                    self.later(at, 600),
                    "content",
                    content_id,
                    "viewer_report",
                    reason,
                    "low",
                    reporter=reporter,
                )
        for item in rng.sample(self.items, min(len(self.items), len(self.items) // 500 + 1)):
            self.flag(
                self.later(item.published, 300), "content", item.content_id, "rule", "spam", "low"
            )

    def flag(
        self,
        at: int,
        subject_type: str,
        subject_id: str,
        source: str,
        category: str,
        severity: str,
        *,
        score: float | None = None,
        reporter: _Account | str | None = None,
    ) -> None:
        fields: dict[str, Any] = {
            "type": "moderation.flag",
            "subject_type": subject_type,
            "subject_id": subject_id,
            "source": source,
            "category": category,
            "severity": severity,
        }
        if score is not None:
            fields["score"] = score
            fields["model_version"] = "demo-text-classifier-1"
        if reporter is not None:
            fields["reporter_id"] = reporter if isinstance(reporter, str) else reporter.user_id
        self.emit(at, fields)

    # ------------------------------------------------------------ output

    def timestamp(self, offset: int) -> str:
        return (self.origin + timedelta(seconds=offset)).isoformat() + "Z"

    def finish(self) -> list[dict[str, Any]]:
        self.rows.sort()  # (time, sequence) is unique, so the dicts are never compared
        events: list[dict[str, Any]] = []
        stamp, last = "", -1
        for n, (at, _, fields) in enumerate(self.rows):
            if at != last:
                stamp, last = self.timestamp(at), at
            events.append(
                {"event_id": f"demo-{n:08d}", "type": fields["type"], "ts": stamp, **fields}
            )
        return events


def generate_demo_events(
    seed: int = 7,
    *,
    users: int = 2000,
    creators: int = 150,
    items: int = 5000,
    days: int = 7,
    start: datetime = DEMO_START,
) -> list[dict[str, Any]]:
    """A reproducible demo platform as v1 event dicts, sorted by ``ts``.

    The defaults give about 50,000 events. Ids are ``demo-00000000`` onwards in time
    order; ``start`` must be time-zone aware and is kept to the second.

    >>> events = generate_demo_events(1, users=30, creators=3, items=40, days=1)
    >>> events[0]["event_id"], events[0]["type"]
    ('demo-00000000', 'account.created')
    >>> events == generate_demo_events(1, users=30, creators=3, items=40, days=1)
    True
    """
    if start.tzinfo is None:
        raise ValueError("start must be time-zone aware, e.g. datetime(2026, 5, 1, tzinfo=UTC)")
    if min(users, creators, items) < 0 or days < 1:
        raise ValueError("users, creators and items must be >= 0 and days >= 1")
    if items and not creators:
        raise ValueError("items need at least one creator to publish them")
    origin = start.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    builder = _Builder(random.Random(seed), days, origin)
    builder.accounts(users, creators)
    builder.follows()
    builder.catalog(items)
    builder.policy()
    builder.sessions(per_user_day=_SESSIONS_PER_USER_DAY)
    builder.live()
    builder.moderation()
    return builder.finish()

"""Category 4, emerging trends: new hashtags, sounds and phrases bursting across
sessions, in the company of earlier harmful signals, spreading along the creator
interaction graph.

A token is scored once it spreads (several creators within days of its first
appearance; fewer count for more when its own content draws flags). Spread alone
is not risk — benign trends spread too — so the score is gated on *harm
association*: flags and violations on content and sessions that carry the token,
the share of its uses by creators with recent flags, and closeness (cosine of
token vectors) to tokens already associated with harm. Flags count per carrying
session or post and only beyond what those carriers usually draw (their
creators' rate on ordinary posts and lives, at most the platform's): every live
draws stray low-severity flags, and a benign token used in many of them would
otherwise collect a chance cluster.
Propagation along the graph (networkx) raises a harmful token's score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import networkx as nx  # type: ignore[import-untyped]

from safefeed.risk.bounded import BoundedDict
from safefeed.risk.decay import DecayedSum
from safefeed.risk.detectors.base import Detector, saturate
from safefeed.risk.embedding import Embedder, HashingEmbedder, cosine
from safefeed.risk.model import Assessment, Category, Observation, SignalKind

__all__ = ["TrendDetector"]

_DAY = 86400.0


@dataclass(slots=True)
class _Token:
    first_t: float
    uses: DecayedSum = field(default_factory=lambda: DecayedSum(_DAY))
    harm: DecayedSum = field(default_factory=lambda: DecayedSum(7 * _DAY))
    creators: dict[str, float] = field(default_factory=dict)
    count: int = 0
    flagged_uses: int = 0
    scored_at: int = 0
    scored_t: float = 0.0
    #: Live sessions and posts that carried the token (decayed like ``harm``), and
    #: the most recent of them, so a session's many chat lines count once.
    carriers: DecayedSum = field(default_factory=lambda: DecayedSum(7 * _DAY))
    recent_carriers: dict[str, None] = field(default_factory=dict)
    vector: dict[int, float] | None = None
    related_harmful: str | None = None
    similarity: float = 0.0
    #: The flag weight its carriers would draw at their creators' usual rates
    #: (decayed like ``harm``), and each creator's rate when it took the token up.
    expected: DecayedSum = field(default_factory=lambda: DecayedSum(7 * _DAY))
    usual: dict[str, float] = field(default_factory=dict)
    #: The first two posts or lives carrying it that drew a flag.
    flagged: tuple[str, ...] = ()


@dataclass(slots=True)
class _Creator:
    """What a creator's token-carrying posts and lives usually draw in flags."""

    mass: DecayedSum = field(default_factory=lambda: DecayedSum(14 * _DAY))
    carriers: DecayedSum = field(default_factory=lambda: DecayedSum(14 * _DAY))


class TrendDetector(Detector):
    """Scores novel tokens that spread and travel with harmful signals."""

    name = "emerging_trend"
    category: ClassVar[Category] = "emerging_trend"
    version = "emerging-trend-8"
    inputs = frozenset(
        {
            "kind",
            "t",
            "tokens",
            "creator_id",
            "creator_flag_mass",
            "neighbours",
            "severity",
            "flag_source",
            "reporter_trust",
            "session_id",
            "subject_id",
        }
    )
    consumes: ClassVar[frozenset[SignalKind]] = frozenset(
        {"chat", "content", "flag", "report", "violation"}
    )

    def __init__(
        self,
        embedder: Embedder | None = None,
        novelty_days: float = 10.0,
        warmup_days: float = 1.0,
        min_creators: int = 3,
        flagged_creator_mass: float = 0.3,
        company_only_harm: float = 0.35,
        max_tokens: int = 50_000,
        max_carriers: int = 20_000,
        max_creators: int = 20_000,
        creator_prior_carriers: float = 5.0,
        rescore_hours: float = 6.0,
    ) -> None:
        self.embedder = embedder
        self.novelty_days = novelty_days
        self.warmup_days = warmup_days
        self.min_creators = min_creators
        self.flagged_creator_mass = flagged_creator_mass
        self.company_only_harm = company_only_harm
        self.max_tokens = max_tokens
        self.max_carriers = max_carriers
        self.max_creators = max_creators
        self.creator_prior_carriers = creator_prior_carriers
        self.rescore_hours = rescore_hours

    def _state(self) -> BoundedDict[str, _Token]:
        state: BoundedDict[str, _Token] | None = getattr(self, "tokens_", None)
        if state is None:
            state = BoundedDict[str, _Token](self.max_tokens)
            self.tokens_ = state
            self.harmful_: BoundedDict[str, dict[int, float]] = BoundedDict(256)
            self.embedder_: Embedder = self.embedder or HashingEmbedder()
            self.start_t_: float | None = None
            # The platform's background: flag weight per token-carrying session or
            # post, over the same window as a token's own harm.
            self.carriers_ = DecayedSum(7 * _DAY)
            self.flag_mass_ = DecayedSum(7 * _DAY)
            self.flag_count_ = DecayedSum(7 * _DAY)
            self.seen_carriers_: BoundedDict[str, None] = BoundedDict(self.max_carriers)
            self.creators_: BoundedDict[str, _Creator] = BoundedDict(self.max_creators)
        return state

    def versions(self) -> dict[str, str]:
        embedder = self.embedder or HashingEmbedder()
        return {f"detector.{self.name}": self.version, "trend_embedder": embedder.version}

    def update(self, obs: Observation) -> Sequence[Assessment]:
        if not obs.tokens:
            return ()
        tokens = self._state()
        if self.start_t_ is None:
            self.start_t_ = obs.t
        found: list[Assessment] = []
        flagging = obs.kind in ("flag", "report", "violation")
        weight = 0.0
        if flagging:
            weight = obs.severity / 3.0
            if obs.kind == "report":
                weight *= 0.3 * obs.reporter_trust
            elif obs.kind == "violation":
                weight *= 2.0
            self.flag_mass_.add(obs.t, weight)
            self.flag_count_.add(obs.t, 1.0)
        creator = obs.creator_id
        carrier = "" if flagging else obs.session_id or obs.subject_id or ""
        new_carrier = bool(carrier) and carrier not in self.seen_carriers_
        # A creator's usual rate is what its ordinary posts and lives draw: those that
        # carry an emerging token are what is being judged, not the baseline.
        if creator and (flagging or new_carrier) and self._ordinary(obs.tokens, obs.t):
            history = self.creators_.touch(creator, _Creator)
            if flagging:
                history.mass.add(obs.t, weight)
            else:
                history.carriers.add(obs.t, 1.0)
        if new_carrier:
            self.seen_carriers_[carrier] = None
            self.carriers_.add(obs.t, 1.0)
        for name in obs.tokens:
            token = tokens.get(name)
            if flagging:
                if token is None:
                    continue
                token.harm.add(obs.t, weight)
                flagged = obs.session_id or obs.subject_id
                if flagged and len(token.flagged) < 2 and flagged not in token.flagged:
                    token.flagged += (flagged,)
            else:
                if token is None:
                    token = tokens[name] = _Token(obs.t)
                else:
                    tokens.move_to_end(name)
                token.count += 1
                token.uses.add(obs.t, 1.0)
                if carrier and carrier not in token.recent_carriers:
                    token.recent_carriers[carrier] = None
                    if len(token.recent_carriers) > 16:
                        del token.recent_carriers[next(iter(token.recent_carriers))]
                    token.carriers.add(obs.t, 1.0)
                    # At the rate its creator had when taking the token up: the flags
                    # the token draws on its posts must not become their own baseline.
                    usual = token.usual.get(creator or "")
                    if usual is None:
                        usual = self._usual(creator, token, obs.t)
                        if creator and len(token.usual) < 64:
                            token.usual[creator] = usual
                    token.expected.add(obs.t, usual)
                if creator and creator not in token.creators and len(token.creators) < 64:
                    token.creators[creator] = obs.t
                if obs.creator_flag_mass >= self.flagged_creator_mass:
                    token.flagged_uses += 1
                # Score at spread milestones only, so a popular token is not rescored
                # per use — and after a quiet spell, so a token that turned harmful by
                # kinship while unused is judged as it stands when it is used again.
                if (
                    token.count - token.scored_at < max(1, token.count // 8)
                    and obs.t - token.scored_t < self.rescore_hours * 3600.0
                ):
                    continue
            token.scored_at, token.scored_t = token.count, obs.t
            assessment = self._assess(name, token, obs)
            if assessment is not None:
                found.append(assessment)
        return found

    def _assess(self, name: str, token: _Token, obs: Observation) -> Assessment | None:
        spread = len(token.creators)
        if spread < self.min_creators:
            return None
        age_days = (obs.t - token.first_t) / _DAY
        novelty = min(1.0, max(0.0, 2.0 - age_days / self.novelty_days))
        # Tokens already in use when the log began are established, not emerging.
        if self.start_t_ is not None and token.first_t - self.start_t_ < self.warmup_days * _DAY:
            novelty = 0.0
        # Harm per carrying session or post, beyond the platform's background: a
        # widely used token collects stray flags by sheer volume, and a session's
        # flag is one piece of evidence however many chat lines repeated the token.
        # Carriers count from a floor of four, so a new token's first flags are not
        # divided away; a medium flag on every other live saturates it.
        carriers = max(4.0, token.carriers.value(obs.t))
        direct = saturate(16.0 * self._excess_harm(token, obs.t) / carriers)
        # Content that draws flags needs fewer carriers to be a concern: harm on the
        # token's own posts and lives speeds how fast its spread counts (up to 2x), so a
        # narrow harmful trend is not held at `low` for want of adopters. A benign
        # trend, whose posts draw no flags, spreads as before.
        burst = novelty * saturate((spread - self.min_creators + 1) / 2.0 * (1.0 + direct))
        share = token.flagged_uses / max(1, token.count)
        company = share * min(1.0, token.flagged_uses / 3.0)
        # Company is circumstantial (creators are flagged for many reasons): it counts less.
        harm = 1.0 - (1.0 - direct) * (1.0 - 0.6 * company)
        kinship = self._kinship(name, token)
        if direct < 0.2 and kinship == 0.0:
            # Company alone — flagged creators using a token whose own lives and posts
            # draw no flags — can ask for a look (low), never for intervention.
            harm = min(harm, self.company_only_harm)
        harm = max(harm, kinship)
        # Only a token with harm of its own becomes a source of kinship: one that is
        # harmful by resemblance alone would pass it on, and two benign look-alikes
        # near one weak case would raise each other. Its own harm must rest on more
        # than one flagged post or live: one stray flag on a young token's few posts
        # reads as harm, and would make every variant of a benign tag harmful for good.
        if direct >= 0.5 and harm >= 0.5 and burst > 0.0 and len(token.flagged) >= 2:
            self.harmful_[name] = self._vector(name, token)
        propagation = _propagation(token.creators, obs.neighbours) if harm > 0.2 else 0.0
        score = burst * (0.15 + 0.65 * harm + 0.2 * harm * propagation)
        if score < 0.2:
            return None
        rationale = [f"new token used by {spread} creators within {age_days:.1f} day(s)"]
        if direct > 0.2:
            rationale.append("flags or violations on content and lives that carry it")
        if company > 0.2:
            rationale.append(f"{share:.0%} of its uses by creators with recent flags")
        if token.related_harmful and token.similarity >= 0.8:
            rationale.append(f"close to {token.related_harmful}, already associated with harm")
        if propagation > 0.3:
            rationale.append("spreading along the creator interaction graph")
        return Assessment(
            category="emerging_trend",
            subject_type="trend",
            subject_id=name,
            score=min(1.0, score),
            evidence=float(spread) + token.flagged_uses,
            t=obs.t,
            velocity=min(1.0, token.uses.value(obs.t) / max(1.0, 0.5 * token.count) * burst),
            severity=harm,
            vulnerability=0.0,
            rationale=tuple(rationale),
            signals={
                "creators": spread,
                "uses": token.count,
                "age_days": round(age_days, 2),
                "harm_association": round(harm, 3),
                "flagged_use_share": round(share, 3),
                "graph_propagation": round(propagation, 3),
                "similar_to": token.related_harmful,
            },
            related=tuple(f"creator:{c}" for c in list(token.creators)[:3]),
        )

    def _ordinary(self, names: tuple[str, ...], t: float) -> bool:
        """Whether none of ``names`` is new since the log began and still novel."""
        start = self.start_t_ if self.start_t_ is not None else t
        for name in names:
            token = self.tokens_.get(name)
            first = t if token is None else token.first_t
            if (
                first - start >= self.warmup_days * _DAY
                and t - first < 2 * self.novelty_days * _DAY
            ):
                return False
        return True

    def _usual(self, creator: str | None, token: _Token, t: float) -> float:
        """The flag weight an ordinary post or live of ``creator`` draws, shrunk toward
        the platform's rate per carrier of every *other* token (a trend that dominates
        the platform's flags must not become its own baseline; empirical Bayes, worth
        ``creator_prior_carriers`` of the creator's own)."""
        carriers = self.carriers_.value(t) - token.carriers.value(t)
        mass = self.flag_mass_.value(t) - token.harm.value(t)
        platform = max(0.0, mass) / carriers if carriers > 1.0 else 0.0
        own = self.creators_.get(creator) if creator else None
        if own is None:
            return platform
        prior = self.creator_prior_carriers
        rate = (own.mass.value(t) + prior * platform) / (own.carriers.value(t) + prior)
        # Never above the platform's rate: a creator whose posts draw more flags than
        # most is company (a signal of its own), not a reason to expect the token's.
        return min(rate, platform)

    def _excess_harm(self, token: _Token, t: float) -> float:
        """The token's harm beyond what its carriers would draw at their creators' rates.

        Posts and lives draw stray flags whatever they carry; a token used in many of
        them collects a few by chance. The background is what each carrying post or
        live would draw at its creator's usual rate, as it was when the creator took
        the token up (so the token's own flags do not become its baseline), and never
        more than the platform's rate per carrier. That rate alone, dominated by the
        few busiest creators whose posts draw reports by reach, hid a harmful trend
        on small accounts whose posts are seldom flagged. Only harm above the
        expectation plus one standard deviation (a compound Poisson count) is
        evidence about the token itself.
        """
        harm = token.harm.value(t)
        flags = self.flag_count_.value(t)
        if flags <= 0.0:
            return harm
        expected = token.expected.value(t)
        mean_weight = self.flag_mass_.value(t) / flags
        return max(0.0, harm - expected - math.sqrt(expected * mean_weight))

    def _vector(self, name: str, token: _Token) -> dict[int, float]:
        if token.vector is None:
            token.vector = self.embedder_.embed(name)
        return token.vector

    def _kinship(self, name: str, token: _Token) -> float:
        """Closeness to another token already associated with harm (variants inherit
        some). A variant keeps what it inherited once it counts among the harmful
        tokens itself: before, joining them dropped its kinship to 0 at the next
        assessment, and a variant with no flags of its own fell back to `low`."""
        if self.harmful_:
            vector = self._vector(name, token)
            for other, other_vector in self.harmful_.items():
                if other == name:
                    continue
                similarity = cosine(vector, other_vector)
                if similarity > token.similarity:
                    token.similarity, token.related_harmful = similarity, other
        return 0.7 * token.similarity if token.similarity >= 0.8 else 0.0


def _propagation(creators: dict[str, float], graph: nx.Graph | None) -> float:
    """Share of later adopters who adopted after a graph neighbour had."""
    if graph is None or len(creators) < 2:
        return 0.0
    ordered = sorted(creators.items(), key=lambda item: item[1])
    adopted: set[str] = {ordered[0][0]}
    linked = 0
    for creator, _ in ordered[1:]:
        if creator in graph and any(n in adopted for n in graph.neighbors(creator)):
            linked += 1
        adopted.add(creator)
    return linked / (len(ordered) - 1)

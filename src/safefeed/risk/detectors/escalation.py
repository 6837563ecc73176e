"""Category 2, escalating boundary-pushing: velocity against the subject's own history.

Per account (flags on its content and live sessions count for it), flags are
weighted by severity, classifier score and source — a viewer report by its
reporter's trust — and tracked in two decayed windows. The score grows with
*recurrence* (distinct episodes, not one burst), *velocity* (the recent rate
against the account's own long-run rate), *shortening intervals* and *rising
intensity*, and with a change point in intensity found by river's Page-Hinkley
test. A steady stream of flags, however large, is the account's normal: only a
change counts, so escalation velocity outranks absolute strength.

A surge made mostly of viewer reports (over the same two-day window as the
velocity) never makes a case more than ``low``: a brigade can ask for a look,
not bring its target the interventions of ``medium`` or ``high`` — also against
an account with a flag or two of its own. Reporter trust discounts a brigade of
fresh accounts; one of aged accounts is held by this cap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

from river.drift import PageHinkley

from safefeed.risk.bounded import BoundedDict
from safefeed.risk.decay import DecayedMean, DecayedSum
from safefeed.risk.detectors.base import Detector, saturate
from safefeed.risk.model import Assessment, Category, Observation, SignalKind

__all__ = ["EscalationDetector", "flag_weight"]

_DAY = 86400.0
_LN2 = math.log(2.0)
_SOURCE_WEIGHT = {"classifier": 0.8, "rule": 0.9, "moderator": 1.2, "enforcement": 1.5}


def flag_weight(severity: int, score: float | None, source: str | None, trust: float) -> float:
    """The weight of one flag: severity level times score, by source; reports by trust.

    >>> flag_weight(1, None, "classifier", 1.0)
    0.133333
    >>> flag_weight(3, 0.9, "viewer_report", 0.05)
    0.027
    """
    base = severity / 3.0 * (score if score is not None else 0.5) * 2.0
    if source == "viewer_report":
        return round(base * 0.3 * trust, 6)
    return round(base * _SOURCE_WEIGHT.get(source or "", 0.8) / 2.0 * 1.0, 6)


@dataclass(slots=True)
class _History:
    fast: DecayedSum = field(default_factory=lambda: DecayedSum(2 * _DAY))
    slow: DecayedSum = field(default_factory=lambda: DecayedSum(30 * _DAY))
    #: The corroborated part of ``fast``, over the same window, so the share says
    #: what the recent surge is made of.
    corroborated: DecayedSum = field(default_factory=lambda: DecayedSum(2 * _DAY))
    episodes: DecayedSum = field(default_factory=lambda: DecayedSum(10 * _DAY))
    intensity_fast: DecayedMean = field(default_factory=lambda: DecayedMean(2.0))
    intensity_slow: DecayedMean = field(default_factory=lambda: DecayedMean(12.0))
    gap_fast: DecayedMean = field(default_factory=lambda: DecayedMean(1.5))
    gap_slow: DecayedMean = field(default_factory=lambda: DecayedMean(8.0))
    drift: PageHinkley = field(
        default_factory=lambda: PageHinkley(min_instances=3, delta=0.02, threshold=0.4, mode="up")
    )
    first_t: float = 0.0
    #: Since when the account's flag history is known: its first flag, or earlier
    #: when the account is known to have been there, unflagged, before it.
    since_t: float = 0.0
    last_t: float = -1.0
    last_episode_t: float = -1e18
    change_t: float = -1e18
    count: int = 0
    gaps: int = 0
    max_severity: int = 0


class EscalationDetector(Detector):
    """Scores accounts whose flags recur faster and stronger than their own history."""

    name = "escalation"
    category: ClassVar[Category] = "escalation"
    version = "escalation-6"
    inputs = frozenset(
        {
            "kind",
            "t",
            "subject_type",
            "subject_id",
            "creator_id",
            "severity",
            "flag_score",
            "flag_source",
            "reporter_trust",
            "author_is_creator",
            "account_age_days",
            "text_score",
        }
    )
    consumes: ClassVar[frozenset[SignalKind]] = frozenset({"flag", "report", "violation", "chat"})

    def __init__(
        self,
        episode_gap_hours: float = 3.0,
        prior_rate_per_day: float = 0.005,
        prior_days: float = 7.0,
        chat_score_threshold: float = 0.5,
        reports_only_score: float = 0.55,
        max_accounts: int = 100_000,
    ) -> None:
        self.episode_gap_hours = episode_gap_hours
        self.prior_rate_per_day = prior_rate_per_day
        self.prior_days = prior_days
        self.chat_score_threshold = chat_score_threshold
        self.reports_only_score = reports_only_score
        self.max_accounts = max_accounts

    def _histories(self) -> BoundedDict[str, _History]:
        state: BoundedDict[str, _History] | None = getattr(self, "histories_", None)
        if state is None:
            state = BoundedDict[str, _History](self.max_accounts)
            self.histories_ = state
        return state

    def _normal(self, h: _History, t: float, accounts: int) -> float:
        """The account's long-run flag rate before this flag, shrunk toward a prior.

        Empirical Bayes: the prior is the mean rate of flagged accounts (never below
        ``prior_rate_per_day``), worth ``prior_days`` of history, so an account with
        a thin history is measured against the population, not against the one or
        two flags it happens to have. The history runs from when the account is known
        to have been there (its creation or first post or live, from the context;
        never before the detector's first flag), not from its first flag: days
        without a flag are part of its normal.
        """
        population = getattr(self, "population_", None)
        if population is None:
            population = self.population_ = DecayedSum(30 * _DAY)
            self.population_since_ = t
        prior = self.prior_rate_per_day
        if accounts:
            mean = population.rate_per_day(t, since=self.population_since_) / accounts
            prior = max(prior, mean)
        if h.count == 0:
            return prior
        half_life = h.slow.half_life
        exposed_days = (
            half_life / _LN2 * (1.0 - math.exp(-_LN2 * max(0.0, t - h.since_t) / half_life)) / _DAY
        )
        mass = h.slow.value(t)
        return (mass + prior * self.prior_days) / (exposed_days + self.prior_days)

    def update_one(self, obs: Observation) -> Assessment | None:
        if obs.kind == "chat":
            # The creator's own chat lines, scored by the text classifier, are a weak flag.
            if not obs.author_is_creator or (obs.text_score or 0.0) < self.chat_score_threshold:
                return None
            account, weight, corroborating, severity = obs.creator_id, 0.2 * obs.text_score, True, 1  # type: ignore[operator]
        else:
            account = obs.creator_id
            if account is None and obs.subject_type in ("user", "creator"):
                account = obs.subject_id
            source = obs.flag_source
            weight = flag_weight(obs.severity, obs.flag_score, source, obs.reporter_trust)
            corroborating = source != "viewer_report"
            severity = obs.severity
        if account is None:
            return None
        return self._observe(account, obs.t, weight, corroborating, severity, obs)

    def _observe(
        self,
        account: str,
        t: float,
        weight: float,
        corroborating: bool,
        severity: int,
        obs: Observation,
    ) -> Assessment:
        histories = self._histories()
        h = histories.touch(account, _History)
        if h.count == 0:
            h.first_t = h.since_t = t
            if obs.account_age_days is not None:
                # The days the account was there before its first flag are part of its
                # history: measured from its first flag, a sudden switch became its own
                # normal within a day or two. Never before the funnel's first flag.
                observed = getattr(self, "population_since_", t)
                h.since_t = min(t, max(observed, t - obs.account_age_days * _DAY))
        history_days = max(1.0, (t - h.first_t) / _DAY)
        normal = self._normal(h, t, len(histories))
        self.population_.add(t, weight)
        h.fast.add(t, weight)
        h.slow.add(t, weight)
        if corroborating:
            h.corroborated.add(t, weight)
        if t - h.last_episode_t > self.episode_gap_hours * 3600.0:
            h.episodes.add(t, 1.0 if corroborating else min(1.0, 3.0 * weight))
            h.last_episode_t = t
        if h.last_t >= 0 and t - h.last_t > 600.0:
            gap = math.log1p((t - h.last_t) / 3600.0)
            h.gap_fast.add(gap)
            h.gap_slow.add(gap)
            h.gaps += 1
        h.last_t = t
        h.count += 1
        h.max_severity = max(h.max_severity, severity)
        intensity = min(1.0, weight * 2.0)
        h.intensity_fast.add(intensity)
        h.intensity_slow.add(intensity)
        h.drift.update(intensity)  # type: ignore[no-untyped-call]
        if h.drift.drift_detected:
            h.change_t = t

        fast_rate = h.fast.rate_per_day(t)
        velocity_ratio = fast_rate / normal
        # Right after a flag the fast window reads about twice a steady rate (its
        # sawtooth), so only a ratio beyond 2 is acceleration.
        velocity = min(1.0, max(0.0, math.log(max(velocity_ratio / 2.0, 1e-9)) / math.log(4.0)))
        episodes = h.episodes.value(t)
        recurrence = saturate(episodes - 1.0)
        shortening = 0.0
        if h.gaps >= 2:
            shortening = min(1.0, max(0.0, (h.gap_slow.value - h.gap_fast.value) / 1.5))
        rising = 0.0
        if h.count >= 3:
            rising = min(1.0, max(0.0, (h.intensity_fast.value - h.intensity_slow.value) * 4.0))
        changed = 1.0 if t - h.change_t < 3 * _DAY else 0.0
        # Recurrence gates; velocity and trend then dominate: a steady stream of flags,
        # however many, stays at the base share and never surfaces on its own. Shorter
        # gaps, a stronger flag and a change point are signs of acceleration only when
        # the rate is beyond the account's normal: a busy account's mixed stream of
        # reports and classifier flags, or a backlog flushed at once, shows them by
        # chance at its usual rate.
        accelerating = min(1.0, 2.0 * velocity)
        signs = 0.15 * shortening + 0.15 * rising + 0.1 * changed
        trend = 0.45 * velocity + accelerating * signs
        score = min(1.0, recurrence * (0.3 + trend))
        # When most of the recent surge is viewer reports, the reports are what makes it
        # a surge: an account with a flag or two of its own, then mass-reported, is not
        # escalating on its own evidence. Reporter trust tells a fresh brigade from
        # viewers, not an aged one: such a surge asks for a look (low) and no more, so a
        # brigade cannot bring its target the interventions of medium.
        corroborated_share = h.corroborated.value(t) / max(1e-9, h.fast.value(t))
        uncorroborated = corroborated_share < 0.5
        if uncorroborated:
            score = min(score, self.reports_only_score)
        rationale = [
            f"{h.count} flag(s) in {episodes:.1f} recent episode(s) over {history_days:.0f} day(s)"
        ]
        if velocity > 0.3:
            rationale.append(f"flag rate {velocity_ratio:.1f}x the account's own normal")
        if shortening > 0.2:
            rationale.append("intervals between flags are shortening")
        if rising > 0.2:
            rationale.append("flag severity and scores are rising")
        if changed:
            rationale.append("a change point in flag intensity (Page-Hinkley)")
        if uncorroborated:
            rationale.append("mostly viewer reports, trust-weighted; not corroborated: held at low")
        return Assessment(
            category="escalation",
            subject_type="creator" if obs.creator_id == account else "user",
            subject_id=account,
            score=score,
            evidence=min(h.count, 3.0 * episodes),
            t=t,
            velocity=velocity,
            severity=h.max_severity / 3.0,
            vulnerability=0.0,
            rationale=tuple(rationale),
            signals={
                "flags": h.count,
                "recent_episodes": round(episodes, 2),
                "velocity_ratio": round(velocity_ratio, 2),
                "shortening": round(shortening, 2),
                "rising_intensity": round(rising, 2),
                "change_point": bool(changed),
                "corroborated_share": round(corroborated_share, 2),
            },
            uncorroborated=uncorroborated,
        )

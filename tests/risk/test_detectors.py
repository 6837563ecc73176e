"""The detector contract, least context, and seeded streams with exact detection points."""

from __future__ import annotations

import inspect
import random
from typing import Any

import pytest

from safefeed.risk.config import load_risk_config
from safefeed.risk.context import ContextEnricher
from safefeed.risk.detectors import DETECTORS, AgeExposureDetector, Detector, EscalationDetector
from safefeed.risk.model import OBSERVATION_FIELDS, Observation
from safefeed.risk.signals import SignalExtractor
from safefeed.signals.text import KeywordClassifier
from tests.risk.helpers import parsed, small_log

DAY = 86400.0
MEDIUM = load_risk_config().tiers.medium


class Guarded:
    """An observation that raises on any field its reader did not declare."""

    def __init__(self, obs: Observation, allowed: frozenset[str]) -> None:
        object.__setattr__(self, "_obs", obs)
        object.__setattr__(self, "_allowed", allowed)

    def __getattr__(self, name: str) -> Any:
        if name not in self._allowed:
            raise AssertionError(f"read undeclared input {name!r}")
        return getattr(self._obs, name)


def _observations() -> list[Observation]:
    """The small scenario log as enriched observations (context as the funnel fills it)."""
    events, _ = small_log()
    signals = SignalExtractor(KeywordClassifier())
    context = ContextEnricher()
    out = []
    for event in parsed(events):
        obs = signals.extract(event, event.ts.timestamp())
        if obs is None:
            continue
        context.enrich(obs)
        out.append(obs)
        context.learn(obs)
    return out


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda c: c.name)
def test_constructor_stores_parameters_only_and_state_ends_with_underscore(
    cls: type[Detector],
) -> None:
    detector = cls()
    params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    assert sorted(vars(detector)) == sorted(params)
    assert detector.get_params() == {p: getattr(detector, p) for p in params}
    for obs in _observations()[:4000]:
        if obs.kind in detector.consumes:
            detector.update(obs)
    learned = set(vars(detector)) - set(params)
    assert learned, "a detector learns state"
    assert all(name.endswith("_") for name in learned), learned
    assert detector.inputs <= OBSERVATION_FIELDS
    # Its own version, plus those of the components it embeds (the trend embedder).
    assert detector.versions()[f"detector.{cls.name}"] == cls.version


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda c: c.name)
def test_each_detector_reads_only_its_declared_inputs(cls: type[Detector]) -> None:
    detector = cls()
    assessments = 0
    for obs in _observations():
        if obs.kind in detector.consumes:
            assessments += detector.update(Guarded(obs, detector.inputs)) is not None  # type: ignore[arg-type]
    assert assessments > 0


def test_age_related_detection_reads_no_text_and_works_without_it() -> None:
    text_fields = {"tokens", "text_score"}
    assert not AgeExposureDetector.inputs & text_fields
    events, truth = small_log()
    seeker = next(s["subject_id"] for s in truth["subjects"] if s["scenario"].startswith("adult"))
    # The same log with every chat line gone, and no classifier at all.
    silent = tuple(e for e in events if e["type"] != "live.chat")
    signals, context, detector = SignalExtractor(None), ContextEnricher(), AgeExposureDetector()
    best = 0.0
    for event in parsed(silent):
        obs = signals.extract(event, event.ts.timestamp())
        if obs is None:
            continue
        context.enrich(obs)
        if obs.kind in detector.consumes:
            found = detector.update(Guarded(obs, detector.inputs))  # type: ignore[arg-type]
            if found is not None and found.subject_id == seeker:
                best = max(best, found.score)
        context.learn(obs)
    assert best >= MEDIUM


def _flag(t: float, severity: int, score: float) -> Observation:
    obs = Observation("flag", t)
    obs.subject_type, obs.subject_id, obs.creator_id = "creator", "c1", "c1"
    obs.flag_source, obs.severity, obs.flag_score = "classifier", severity, score
    return obs


def escalating_stream(seed: int = 7) -> list[Observation]:
    """30 steady low flags about every two days, then 12 with shrinking gaps, rising."""
    rng = random.Random(seed)
    stream, t = [], 0.0
    for _ in range(30):
        t += rng.uniform(1.5, 2.5) * DAY
        stream.append(_flag(t, 1, rng.uniform(0.25, 0.4)))
    gap = 1.5 * DAY
    for k in range(12):
        t += gap * rng.uniform(0.9, 1.1)
        gap *= 0.7
        stream.append(_flag(t, 1 if k < 4 else 2, min(0.95, 0.4 + 0.05 * k)))
    return stream


def test_escalation_is_found_at_a_known_index_and_not_in_the_steady_part() -> None:
    detector = EscalationDetector()
    scores, changes = [], []
    for obs in escalating_stream():
        found = detector.update(obs)
        assert found is not None
        scores.append(found.score)
        changes.append(found.signals["change_point"])
    first_medium = next(i for i, s in enumerate(scores) if s >= MEDIUM)
    assert max(scores[:30]) < 0.35  # steady flags, however many, are the normal
    assert first_medium == 34
    assert changes.index(True) == 34


def test_adult_contact_across_sessions_is_found_at_a_known_index() -> None:
    detector = AgeExposureDetector()
    kinds = ["chat_mention", "chat_mention", "gift", "dm_request", "dm_request", "private_invite"]
    scores = []
    for i, kind in enumerate(kinds):
        obs = Observation("interaction", i * DAY)
        obs.session_id, obs.creator_id = f"s{i}", f"host{i}"
        obs.from_user, obs.from_band = "adult", "25_plus"
        obs.to_user, obs.to_band, obs.interaction_kind = f"minor{i}", "13_15", kind
        found = detector.update(obs)
        assert found is not None
        assert found.subject_id == "adult"
        scores.append(found.score)
    assert next(i for i, s in enumerate(scores) if s >= MEDIUM) == 3
    # The same contacts aimed at each live's own performer are what audiences do.
    fan = AgeExposureDetector()
    for i, kind in enumerate(kinds):
        obs = Observation("interaction", i * DAY)
        obs.session_id, obs.creator_id = f"s{i}", "teen_creator"
        obs.from_user, obs.from_band = "adult", "25_plus"
        obs.to_user, obs.to_band, obs.interaction_kind = "teen_creator", "16_17", kind
        found = fan.update(obs)
        assert found is not None
        assert found.score < MEDIUM


def _token_stream(name: str, carriers: int, flagged: bool) -> list[Observation]:
    """``carriers`` creators each post ``name`` a few times in a day; with ``flagged``
    a classifier flags every other post that carries it."""
    opening = Observation("content", 0.0)  # the log begins: later tokens are new ones
    opening.creator_id, opening.tokens = "c0", ("#everyday",)
    stream, t = [opening], 2 * DAY
    for c in range(carriers):
        for k in range(4):
            t += 600.0
            post = Observation("content", t)
            post.creator_id, post.tokens = f"c{c}", (name,)
            stream.append(post)
            if flagged and k % 2:
                flag = Observation("flag", t + 60.0)
                flag.subject_type, flag.subject_id, flag.creator_id = "content", f"p{c}{k}", f"c{c}"
                flag.flag_source, flag.severity, flag.tokens = "classifier", 2, (name,)
                stream.append(flag)
    return stream


def _best_trend_score(stream: list[Observation]) -> float:
    from safefeed.risk.detectors import TrendDetector

    detector = TrendDetector()
    scores = [a.score for obs in stream if (a := detector.update(obs)) is not None]
    return max(scores, default=0.0)


def test_a_narrow_trend_whose_posts_draw_flags_reaches_medium_and_a_clean_one_stays_low() -> None:
    # Four carriers: too few for spread alone, enough when the token's own posts are flagged.
    assert _best_trend_score(_token_stream("#narrow", 4, flagged=True)) >= MEDIUM
    assert _best_trend_score(_token_stream("#clean", 4, flagged=False)) < MEDIUM

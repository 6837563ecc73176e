"""The detector contract, least context, and seeded streams with exact detection points."""

from __future__ import annotations

import inspect
import random
from typing import Any

import pytest

from safefeed.risk.config import load_risk_config
from safefeed.risk.context import AudienceSnapshot, ContextEnricher, CreatorBaseline, robust_share
from safefeed.risk.detectors import DETECTORS, AgeExposureDetector, Detector, EscalationDetector
from safefeed.risk.detectors.age_exposure import expected_minor_share
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
            assessments += len(detector.update(Guarded(obs, detector.inputs)))  # type: ignore[arg-type]
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
            for found in detector.update(Guarded(obs, detector.inputs)):  # type: ignore[arg-type]
                if found.subject_id == seeker:
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
        found = detector.update_one(obs)
        assert found is not None
        scores.append(found.score)
        changes.append(found.signals["change_point"])
    first_medium = next(i for i, s in enumerate(scores) if s >= MEDIUM)
    assert max(scores[:30]) < 0.35  # steady flags, however many, are the normal
    assert first_medium == 34
    assert changes.index(True) == 34


def _account_flag(
    t: float,
    account: str,
    *,
    source: str = "classifier",
    severity: int = 2,
    score: float | None = 0.9,
    age_days: float | None = None,
    trust: float = 1.0,
) -> Observation:
    obs = Observation("report" if source == "viewer_report" else "flag", t)
    obs.subject_type, obs.subject_id, obs.creator_id = "creator", account, account
    obs.flag_source, obs.severity, obs.flag_score = source, severity, score
    obs.account_age_days, obs.reporter_trust = age_days, trust
    return obs


def _platform(rng: random.Random, days: float = 30.0) -> list[Observation]:
    """Thirty accounts each drawing a low or medium flag every two to four days."""
    stream = []
    for a in range(30):
        t = rng.uniform(0, 3) * DAY
        while t < days * DAY:
            severity, score = rng.choice([1, 2]), rng.uniform(0.3, 0.9)
            stream.append(_account_flag(t, f"b{a}", severity=severity, score=score))
            t += rng.uniform(2, 4) * DAY
    return stream


def _scores_of(account: str, stream: list[Observation], after: float = 0.0) -> list[float]:
    detector = EscalationDetector()
    scores = []
    for obs in sorted(stream, key=lambda o: o.t):
        found = detector.update_one(obs)
        if found is not None and found.subject_id == account and obs.t >= after:
            scores.append(found.score)
    return scores


def _switch(age_known: bool) -> list[float]:
    """An account created ten days before the log, unflagged for twenty days of it,
    then a medium flag every four hours."""
    stream = _platform(random.Random(5))
    for k in range(12):
        t = 20 * DAY + k * 4 * 3600.0
        age = t / DAY + 10.0 if age_known else None
        stream.append(_account_flag(t, "switch", age_days=age))
    return _scores_of("switch", stream)


def test_a_sudden_switch_is_measured_against_the_quiet_days_before_it() -> None:
    # Measured from its first flag, the surge was its own normal within hours: the
    # velocity never rose above the sawtooth and the account stayed below `low`.
    known = _switch(age_known=True)
    assert next(i for i, s in enumerate(known) if s >= MEDIUM) == 2
    # A log without account events gives no age: the history starts at the first flag.
    assert max(_switch(age_known=False)) < 0.35


def test_a_busy_accounts_mixed_stream_at_its_usual_rate_stays_clear_of_medium() -> None:
    # Ten flags a day for a month, six in ten viewer reports: the alternation of weak
    # reports and strong classifier flags read as rising intensity, its Poisson gaps as
    # shortening intervals, and the sum reached 0.55-0.6 without any acceleration.
    for seed in range(1, 6):
        rng = random.Random(seed)
        stream, t = _platform(rng), 0.0
        while t < 30 * DAY:
            t += rng.expovariate(10 / DAY)
            if rng.random() < 0.6:
                severity, trust = rng.choice([1, 3]), rng.uniform(0.5, 1.0)
                stream.append(
                    _account_flag(
                        t,
                        "big",
                        source="viewer_report",
                        severity=severity,
                        score=None,
                        age_days=900,
                        trust=trust,
                    )
                )
            else:
                severity, score = rng.choice([2, 3]), rng.uniform(0.9, 1.0)
                stream.append(_account_flag(t, "big", severity=severity, score=score, age_days=900))
        assert max(_scores_of("big", stream, after=5 * DAY)) < 0.45, seed


def test_a_surge_of_reports_from_aged_accounts_asks_for_a_look_only() -> None:
    # Trust tells a brigade of fresh accounts from viewers, not one of aged accounts:
    # eighty reports in a day against an account with two stray flags a month.
    rng = random.Random(13)
    stream = _platform(rng)
    for day in (3, 9):
        stream.append(_account_flag(day * DAY, "target", severity=1, score=0.5, age_days=300))
    t = 20 * DAY
    for _ in range(80):
        t += rng.uniform(300, 900)
        stream.append(
            _account_flag(t, "target", source="viewer_report", severity=3, score=None, age_days=320)
        )
    assert 0.35 <= max(_scores_of("target", stream)) < MEDIUM


def test_adult_contact_across_sessions_is_found_at_a_known_index() -> None:
    detector = AgeExposureDetector()
    kinds = ["chat_mention", "chat_mention", "gift", "dm_request", "dm_request", "private_invite"]
    scores = []
    for i, kind in enumerate(kinds):
        obs = Observation("interaction", i * DAY)
        obs.session_id, obs.creator_id = f"s{i}", f"host{i}"
        obs.from_user, obs.from_band = "adult", "25_plus"
        obs.to_user, obs.to_band, obs.interaction_kind = f"minor{i}", "13_15", kind
        found = detector.update_one(obs)
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
        found = fan.update_one(obs)
        assert found is not None
        assert found.score < MEDIUM


def test_a_performer_inviting_minor_viewers_to_private_contact_is_not_audience_talk() -> None:
    # A creator thanks a minor viewer in chat in its first two lives, then sends a
    # DM request or a private invite to one in each of the next: the performer has
    # picked those viewers out, off its stage.
    kinds = ["chat_mention", "chat_mention", "dm_request", "private_invite", "dm_request"]
    detector = AgeExposureDetector()
    scores = []
    for i, kind in enumerate(kinds):
        obs = Observation("interaction", i * DAY)
        obs.session_id, obs.creator_id = f"s{i}", "creator"
        obs.from_user, obs.from_band = "creator", "25_plus"
        obs.to_user, obs.to_band, obs.interaction_kind = f"viewer{i}", "13_15", kind
        found = detector.update_one(obs)
        assert found is not None
        scores.append(found.score)
    assert next(i for i, s in enumerate(scores) if s >= MEDIUM) == 3


def _contact_stream(
    pattern: str,
    lives: int = 6,
    *,
    one_host: bool = False,
    kids: int | None = None,
    bands: tuple[str, str] = ("25_plus", "13_15"),
) -> list[Observation]:
    """One adult's contact with viewers of other creators' lives (of one creator's with
    ``one_host``), a third of whose audience is under 18: per live, ``pattern`` read as
    D/d a DM request to an adult / a minor, C/c a chat mention, G/g a gift and I/i a
    private invite, each to
    a new account (minors drawn from ``kids`` accounts when given), r a minor mentioning
    the adult. ``bands``: the adult's and the minors'."""
    kinds = {"d": "dm_request", "c": "chat_mention", "g": "gift", "i": "private_invite"}
    stream = []
    for live in range(lives):
        for k, letter in enumerate(pattern):
            obs = Observation("interaction", live * DAY + k * 60.0)
            obs.session_id = f"s{live}"
            obs.creator_id = "host" if one_host else f"host{live}"
            obs.audience = AudienceSnapshot(joins=30, minor_joins=10)
            obs.from_user, obs.from_band = "adult", bands[0]
            minor = letter.islower()
            serial = (live * len(pattern) + k) % kids if kids and minor else f"{live}-{k}"
            if letter == "r":
                obs.from_user, obs.from_band = f"minor{serial}", bands[1]
                obs.to_user, obs.to_band = "adult", bands[0]
                obs.interaction_kind = "chat_mention"
                stream.append(obs)
                continue
            obs.to_user = f"{'minor' if minor else 'adult'}{serial}"
            obs.to_band = bands[1] if minor else "18_24"
            obs.interaction_kind = kinds[letter.lower()]
            stream.append(obs)
    return stream


def _peak_score(stream: list[Observation]) -> float:
    detector = AgeExposureDetector()
    found = [detector.update_one(obs) for obs in stream]
    return max(a.score for a in found if a is not None)


def test_an_adult_who_dms_viewers_whatever_their_age_stays_below_medium() -> None:
    # A channel moderator: a DM request to every few viewers, a third of them minors,
    # as the audience is. The same DMs to the minors alone are a pattern.
    assert _peak_score(_contact_stream("DDdDDdD")) < MEDIUM
    assert _peak_score(_contact_stream("dd")) >= MEDIUM
    # Chatting with adults in public does not make private contact with minors untargeted.
    assert _peak_score(_contact_stream("CCCCCCdCCCCCCd")) >= MEDIUM


def test_public_contact_with_the_minors_of_one_creators_lives_stays_below_medium() -> None:
    # A relative in a family's lives: chat mentions and gifts to its three children.
    assert _peak_score(_contact_stream("cgc", one_host=True, kids=3)) < MEDIUM
    # The same across creators' lives, or once private, is contact sought.
    assert _peak_score(_contact_stream("cgc", kids=3)) >= MEDIUM
    assert _peak_score(_contact_stream("cgcd", one_host=True, kids=3)) >= MEDIUM


def test_young_adults_and_16_17_friends_who_answer_each_other_stay_below_medium() -> None:
    # An 18-year-old and three 16-17-year-old friends: mentions, gifts, a DM request,
    # and the friends mention the young adult back.
    assert _peak_score(_contact_stream("crgrdr", kids=3, bands=("18_24", "16_17"))) < MEDIUM
    # Unanswered, or reaching 13-15-year-olds, or from an older adult, it is a pattern.
    assert _peak_score(_contact_stream("cgd", kids=3, bands=("18_24", "16_17"))) >= MEDIUM
    assert _peak_score(_contact_stream("crgrdr", kids=3, bands=("18_24", "13_15"))) >= MEDIUM
    assert _peak_score(_contact_stream("crgrdr", kids=3, bands=("25_plus", "16_17"))) >= MEDIUM
    # The friends speaking first counts as much as their answers.
    assert _peak_score(_contact_stream("rrrgdg", kids=3, bands=("18_24", "16_17"))) < MEDIUM
    # Answered or not, private invites, or DMs to a wide circle of 16-17-year-olds, are
    # not a few friends across the band line.
    assert _peak_score(_contact_stream("crgrir", kids=3, bands=("18_24", "16_17"))) >= MEDIUM
    assert _peak_score(_contact_stream("drdr", kids=12, bands=("18_24", "16_17"))) >= MEDIUM


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
            post.subject_id, post.creator_id, post.tokens = f"p{c}{k}", f"c{c}", (name,)
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
    scores = [a.score for obs in stream for a in detector.update(obs)]
    return max(scores, default=0.0)


def test_a_narrow_trend_whose_posts_draw_flags_reaches_medium_and_a_clean_one_stays_low() -> None:
    # Four carriers: too few for spread alone, enough when the token's own posts are flagged.
    assert _best_trend_score(_token_stream("#narrow", 4, flagged=True)) >= MEDIUM
    assert _best_trend_score(_token_stream("#clean", 4, flagged=False)) < MEDIUM


def test_a_post_with_two_new_hashtags_updates_both_trends() -> None:
    from safefeed.risk.detectors import TrendDetector

    stream = _token_stream("#narrow", 4, flagged=True)
    for obs in stream:
        if obs.tokens == ("#narrow",):
            obs.tokens = ("#narrow", "#twin")
    detector = TrendDetector()
    # Each update used to return only its best-scoring token: the other's case never moved.
    assessed = [{a.subject_id for a in detector.update(obs)} for obs in stream]
    assert {"#narrow", "#twin"} in assessed
    assert all(found in ({"#narrow", "#twin"}, set()) for found in assessed)
    assert _best_trend_score(stream) >= MEDIUM


def _live_platform(name: str, flagged: list[int], severity: int, background_every: int) -> list:
    """Twelve lives by flagged creators carry ``name`` (three chat lines each); the lives
    in ``flagged`` draw a classifier flag of ``severity``. Before them, 300 lives carry
    an everyday token, every ``background_every``-th drawing a stray low flag (0: none)."""
    opening = Observation("content", 0.0)  # the log begins: later tokens are new ones
    opening.subject_id, opening.creator_id, opening.tokens = "p0", "c0", ("#everyday",)
    stream, t = [opening], DAY

    def live(sid: str, creator: str, token: str, flag_severity: int) -> None:
        nonlocal t
        for _ in range(3):
            t += 60.0
            chat = Observation("chat", t)
            chat.session_id, chat.creator_id, chat.tokens = sid, creator, (token,)
            chat.creator_flag_mass = 0.5  # company: every carrier has recent flags
            stream.append(chat)
        if flag_severity:
            flag = Observation("flag", t + 30.0)
            flag.subject_type, flag.subject_id, flag.creator_id = "live_session", sid, creator
            flag.session_id, flag.flag_source = sid, "classifier"
            flag.severity, flag.tokens = flag_severity, (token,)
            stream.append(flag)

    for i in range(300):
        stray = 1 if background_every and i % background_every == 0 else 0
        live(f"b{i}", f"b{i % 60}", "#everyday", stray)
    t = 2 * DAY
    for i in range(12):
        live(f"s{i}", f"c{i}", name, severity if i in flagged else 0)
        t += 3600.0
    return stream


def test_stray_flags_at_the_platform_rate_are_not_a_tokens_harm() -> None:
    # Two of twelve lives flagged low: alarming where lives are never flagged,
    # ordinary where one live in six draws a stray low flag whatever it carries.
    chance = [3, 8]
    assert _best_trend_score(_live_platform("#chance", chance, 1, background_every=0)) >= MEDIUM
    assert _best_trend_score(_live_platform("#chance", chance, 1, background_every=6)) < MEDIUM
    # Half the lives flagged medium stays a concern on the noisy platform.
    half = list(range(0, 12, 2))
    assert _best_trend_score(_live_platform("#harm", half, 2, background_every=6)) >= MEDIUM


def test_a_flag_on_a_live_counts_once_for_a_token_its_chat_repeated() -> None:
    context = ContextEnricher()
    start = Observation("session_start", 0.0)
    start.session_id, start.creator_id = "s1", "c1"
    context.learn(start)
    for i in range(6):
        chat = Observation("chat", 10.0 + i)
        chat.session_id, chat.tokens = "s1", ("#x", "#y") if i % 2 else ("#x",)
        context.learn(chat)
    assert context.tokens_of("live_session", "s1") == ("#x", "#y")


def test_a_variant_keeps_its_kinship_and_does_not_pass_it_on() -> None:
    from safefeed.risk.detectors import TrendDetector

    stream = _token_stream("#skullchallenge", 4, flagged=True)
    t = stream[-1].t
    for c in range(6):  # a variant with no flags of its own, on other creators
        for _ in range(4):
            t += 600.0
            post = Observation("content", t)
            post.subject_id, post.creator_id, post.tokens = (
                f"v{c}{t}",
                f"v{c}",
                ("#skullchallenge2",),
            )
            stream.append(post)
    detector = TrendDetector()
    variant = [
        a for obs in stream for a in detector.update(obs) if a.subject_id == "#skullchallenge2"
    ]
    assert len(variant) >= 5
    # Its resemblance to the flagged trend holds at every assessment (it used to fall
    # back to the company-only cap once the variant itself was counted as harmful) ...
    assert all(a.signals["harm_association"] >= 0.6 for a in variant)
    assert [a.score for a in variant] == sorted(a.score for a in variant)
    # ... and resemblance alone does not make it a source of kinship for others.
    assert "#skullchallenge" in detector.harmful_
    assert "#skullchallenge2" not in detector.harmful_


def _posting(stream: list[Observation], t: float) -> Any:
    """A helper appending a post (and, if flagged, a medium classifier flag on it)."""

    def post(creator: str, token: str, flagged: bool = False, gap: float = 1800.0) -> None:
        nonlocal t
        t += gap
        sid = f"p{len(stream)}"
        item = Observation("content", t)
        item.subject_id, item.creator_id, item.tokens = sid, creator, (token,)
        stream.append(item)
        if flagged:
            flag = Observation("flag", t + 60.0)
            flag.subject_type, flag.subject_id, flag.creator_id = "content", sid, creator
            flag.flag_source, flag.severity, flag.tokens = "classifier", 2, (token,)
            stream.append(flag)

    return post


def _opening() -> list[Observation]:
    opening = Observation("content", 0.0)  # the log begins: later tokens are new ones
    opening.subject_id, opening.creator_id, opening.tokens = "p0", "c0", ("#everyday",)
    return [opening]


def _best_of(name: str, stream: list[Observation]) -> float:
    from safefeed.risk.detectors import TrendDetector

    detector = TrendDetector()
    found = [a.score for obs in stream for a in detector.update(obs) if a.subject_id == name]
    return max(found, default=0.0)


def _family(flags_on_base: int) -> list[Observation]:
    """A tag on four creators' posts, ``flags_on_base`` of its eight posts flagged, and a
    look-alike of it on twelve other creators' posts, never flagged."""
    stream = _opening()
    post = _posting(stream, 2 * DAY)
    for c in range(30):  # an ordinary platform: posts, seldom a flag
        for k in range(3):
            post(f"o{c}", "#everyday", flagged=c % 10 == 0 and k == 0)
    for c in range(4):
        for k in range(2):
            post(f"c{c}", "#eidmubarak", flagged=c * 2 + k < flags_on_base)
    for c in range(12):
        post(f"v{c}", "#eid_mubarak")
    return stream


def test_one_stray_flag_does_not_make_a_tag_a_source_of_kinship() -> None:
    # One flagged post among a young tag's first few read as harm of its own, and its
    # unflagged look-alike on twelve other creators inherited it: medium, for good.
    assert _best_of("#eid_mubarak", _family(flags_on_base=1)) < 0.35
    # Two flagged posts are evidence: the look-alike inherits, as before.
    assert _best_of("#eid_mubarak", _family(flags_on_base=2)) >= MEDIUM


def _reach_platform(name: str, flag_every: int) -> list[Observation]:
    """Three large creators whose every post draws a medium flag by reach, twenty small
    ones whose posts draw none; then six small creators post ``name`` four times each,
    one post in ``flag_every`` flagged (0: none)."""
    stream = _opening()
    post = _posting(stream, 2 * DAY)
    for _ in range(10):
        for big in range(3):
            for _ in range(4):
                post(f"big{big}", "#everyday", flagged=True, gap=300.0)
        for small in range(20):
            post(f"s{small}", "#everyday", gap=300.0)
    for small in range(6):
        for k in range(4):
            post(f"s{small}", name, flagged=bool(flag_every) and k % flag_every == 1, gap=300.0)
    return stream


def test_a_trend_on_small_accounts_is_measured_against_what_their_posts_usually_draw() -> None:
    # The platform's mean flag weight per post (0.25, all of it the large creators')
    # used to be every carrier's background: half of the small creators' posts flagged
    # stayed below it, and the trend never scored.
    assert _best_of("#harm", _reach_platform("#harm", 2)) >= MEDIUM
    assert _best_of("#clean", _reach_platform("#clean", 0)) < 0.35


def test_a_token_used_again_after_a_quiet_spell_is_judged_as_it_stands() -> None:
    from safefeed.risk.detectors import TrendDetector

    def post(t: float, creator: str, token: str) -> Observation:
        obs = Observation("content", t)
        obs.subject_id, obs.creator_id, obs.tokens = f"p{t}", creator, (token,)
        return obs

    flagged = _token_stream("#skullchallenge", 4, flagged=True)
    # The variant spreads first, with no harm anywhere yet: 37 uses by three creators.
    early = [post(1.5 * DAY + 300.0 * k, f"v{k % 3}", "#skullchallenge2") for k in range(37)]
    stream = [flagged[0], *early, *flagged[1:]]
    detector = TrendDetector()
    for obs in stream:
        detector.update(obs)
    assert "#skullchallenge" in detector.harmful_
    # Eight hours on, one more use: short of the next spread milestone, but the token
    # is now a close variant of a harmful one, and its case must say so.
    again = detector.update(post(stream[-1].t + 8 * 3600.0, "v0", "#skullchallenge2"))
    assert [a.subject_id for a in again] == ["#skullchallenge2"]
    assert again[0].signals["similar_to"] == "#skullchallenge"
    assert again[0].signals["harm_association"] >= 0.6


def test_an_audience_shift_is_not_the_creators_normal_three_sessions_later() -> None:
    baseline = CreatorBaseline()

    def session(joins: int, minors: int) -> None:
        audience = AudienceSnapshot(joins=joins, minor_joins=minors)
        baseline.minor_share.add(robust_share(baseline, audience))
        baseline.sessions += 1

    for _ in range(8):
        session(20, 2)  # the creator's normal: a tenth of the audience under 18
    normal = expected_minor_share(baseline, None, "25_plus")
    for _ in range(3):
        session(20, 10)  # then half the audience under 18, three lives running
    moved = expected_minor_share(baseline, None, "25_plus") - normal
    # Three sessions are what the detector needs to see the pattern recur: by then
    # the normal has moved under 2.5 points (1.6; it was 4.6 with the former bound
    # of 1.345 standard errors) ...
    assert 0.0 < moved < 0.025
    # ... and a lasting change still becomes the normal, a step per session.
    for _ in range(40):
        session(20, 10)
    assert expected_minor_share(baseline, None, "25_plus") > 0.3


def test_a_minor_creators_audience_turning_adult_is_not_its_normal_three_sessions_later() -> None:
    baseline = CreatorBaseline()

    def session(joins: int, minors: int) -> None:
        audience = AudienceSnapshot(joins=joins, minor_joins=minors)
        baseline.minor_share.add(robust_share(baseline, audience, minor_creator=True))
        baseline.sessions += 1

    for _ in range(8):
        session(10, 10)  # a 14-year-old streaming to teen friends
    for _ in range(3):
        session(8, 3)  # then late lives where adults outnumber the friends
    # The normal has moved a few points, not to the adults' share ...
    assert 0.9 < expected_minor_share(baseline, None, "13_15") < 1.0
    # ... and a lasting change still becomes the normal, a step per session.
    for _ in range(40):
        session(8, 3)
    assert expected_minor_share(baseline, None, "13_15") < 0.8

"""The funnel in memory: bounded state, configuration rules, routing per phase."""

from __future__ import annotations

from typing import ClassVar

import pytest

from safefeed.exceptions import ConfigError
from safefeed.risk.cases import CaseBook
from safefeed.risk.config import RiskConfig, load_risk_config
from safefeed.risk.context import ContextEnricher
from safefeed.risk.detectors import Detector, default_detectors
from safefeed.risk.funnel import RiskFunnel
from safefeed.risk.model import SIGNAL_KINDS, Assessment, Category, Observation, SignalKind
from safefeed.risk.routing import Router
from safefeed.risk.tiers import TierAssigner
from tests.risk.helpers import parsed, small_log


def test_memory_stays_within_the_caps_however_many_subjects() -> None:
    enricher = ContextEnricher(
        max_accounts=50, max_creators=5, max_sessions=3, max_content=5, max_graph_nodes=10
    )
    detectors = default_detectors()
    for detector in detectors:
        for name in ("max_accounts", "max_creators", "max_tokens", "max_carriers"):
            if hasattr(detector, name):
                setattr(detector, name, 7)
    funnel = RiskFunnel(load_risk_config(), detectors=detectors, enricher=enricher)
    events, _ = small_log()
    funnel.observe_all(parsed(events))
    assert len(enricher.accounts_) <= 50
    assert len(enricher.creators_) <= 5
    assert len(enricher.sessions_) <= 3
    assert enricher.graph_.number_of_nodes() <= 10
    for detector in detectors:
        for name, value in vars(detector).items():
            if name.endswith("_") and hasattr(value, "capacity"):
                assert len(value) <= value.capacity <= 256, (detector.name, name)


def test_shadow_must_apply_nothing_by_configuration() -> None:
    document = load_risk_config().model_dump()
    document["phases"]["shadow"]["apply_tiers"] = ["low"]
    with pytest.raises(ValueError, match="shadow"):
        RiskConfig.model_validate(document)
    with pytest.raises(ConfigError):
        load_risk_config(__import__("pathlib").Path("/nonexistent.yaml"))


def _judged(score: float, evidence: float, *, uncorroborated: bool = False) -> object:
    config = load_risk_config()
    assessment = Assessment(
        "escalation", "creator", "c1", score, evidence, 0.0, uncorroborated=uncorroborated
    )
    return TierAssigner(config.tiers).judge(assessment)


def test_tiers_abstain_on_thin_evidence_and_reports_alone_never_reach_high() -> None:
    assert _judged(0.95, 1.0).abstained  # type: ignore[attr-defined]
    assert _judged(0.95, 20.0).tier == "high"  # type: ignore[attr-defined]
    assert _judged(0.95, 20.0, uncorroborated=True).tier == "medium"  # type: ignore[attr-defined]
    assert _judged(0.2, 20.0).tier is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("phase", "tier", "applied"),
    [
        ("shadow", "low", False),
        ("shadow", "high", False),
        ("limited", "low", True),
        ("limited", "medium", False),
        ("expanded", "high", True),
    ],
)
def test_the_rollout_phase_decides_what_is_applied(phase: str, tier: str, applied: bool) -> None:
    config = load_risk_config(phase=phase)  # type: ignore[arg-type]
    score = {"low": 0.45, "medium": 0.7, "high": 0.95}[tier]
    judgement = _judged(score, 40.0)
    route = Router(config).route(judgement, "rc_1")  # type: ignore[arg-type]
    assert route.interventions
    assert all(i.apply == applied for i in route.interventions)
    assert route.requires_human == (tier != "low")
    assert {i.kind for i in route.interventions}.isdisjoint(
        {"suspend_account", "remove_content", "end_live_session"}
    )


def test_decay_only_lowers_a_tier_never_raises_it() -> None:
    config = load_risk_config()
    book = CaseBook(config.tiers, config.version)
    # Reports alone: a high score held at medium by the corroboration cap.
    assessment = Assessment("escalation", "creator", "c1", 0.95, 20.0, 0.0, uncorroborated=True)
    judgement = TierAssigner(config.tiers).judge(assessment)
    assert judgement.tier == "medium"
    assert book.judge(judgement) is not None
    changes = []
    for hour in range(1, 24 * 6):
        changes += book.decay(hour * 3600.0)
    assert [change for _, change, _ in changes] == ["lowered", "closed"]
    assert [case.tier for case, change, _ in changes if change == "lowered"] == ["low"]


class _Recorder(Detector):
    """Reads every kind of signal and assesses nothing: the funnel enriches them all."""

    name = "recorder"
    category: ClassVar[Category] = "vulnerability"
    version = "recorder-1"
    inputs = frozenset({"kind", "creator_id"})
    consumes: ClassVar[frozenset[SignalKind]] = frozenset(SIGNAL_KINDS)

    def __init__(self) -> None:
        pass

    def update_one(self, obs: Observation) -> Assessment | None:
        self.seen_ = [*getattr(self, "seen_", []), (obs.kind, obs.creator_id)]
        return None


def test_enriching_only_what_a_detector_reads_changes_no_case_and_no_baseline() -> None:
    events = parsed(small_log()[0])
    lean = RiskFunnel(load_risk_config())
    recorder = _Recorder()
    full = RiskFunnel(load_risk_config(), detectors=[*default_detectors(), recorder])
    assert [u.line for u in lean.observe_all(events)] == [u.line for u in full.observe_all(events)]
    # The recorder reads leaves, so they were enriched for it (no default detector reads them).
    assert any(kind == "leave" and creator for kind, creator in recorder.seen_)

    def baselines(funnel: RiskFunnel) -> dict[str, object]:
        return {
            creator: (b.sessions, b.hours, b.minor_share.value, b.flags.value(funnel.now))
            for creator, b in funnel.context.creators_.items()
        }

    assert baselines(lean) == baselines(full)
    assert baselines(lean)


def test_a_report_sent_twice_or_a_flag_copied_under_a_new_id_counts_once() -> None:
    def at(minutes: float) -> str:
        return f"2026-03-01T{int(minutes) // 60:02d}:{int(minutes) % 60:02d}:00Z"

    def flag(n: int, minutes: float, source: str, **fields: object) -> dict[str, object]:
        return {
            "event_id": f"f{n}",
            "type": "moderation.flag",
            "ts": at(minutes),
            "subject_type": "content",
            "subject_id": "p1",
            "source": source,
            "category": "hate",
            "severity": "high",
            **fields,
        }

    events = (
        {
            "event_id": "a",
            "type": "account.created",
            "ts": at(0),
            "user_id": "c1",
            "age_band": "25_plus",
        },
        {
            "event_id": "p",
            "type": "content.published",
            "ts": at(1),
            "content_id": "p1",
            "creator_id": "c1",
            "format": "short",
            "topics": [],
        },
        flag(1, 10, "viewer_report", reporter_id="u1"),
        # The same report as a feed event: one reporter, one voice.
        {
            "event_id": "r",
            "type": "report",
            "ts": at(11),
            "user_id": "u1",
            "content_id": "p1",
            "reason": "hate",
        },
        flag(2, 20, "classifier", score=0.97),
        flag(3, 20, "classifier", score=0.97),  # a retry under a new event id
        flag(4, 80, "classifier", score=0.97),  # an hour later: new evidence
        flag(5, 90, "viewer_report", reporter_id="u2"),
    )
    funnel = RiskFunnel(load_risk_config())
    funnel.observe_all(parsed(events))
    escalation = next(d for d in funnel.detectors if d.name == "escalation")
    assert escalation.histories_["c1"].count == 4
    assert funnel.counts["repeated"] == 2

"""The funnel: signals -> context -> detectors -> tiers -> routing, in memory.

One `RiskFunnel` is the whole detection path, and both ways of running it use
it unchanged: the live ingest consumer (`safefeed.risk.consumer`) hands it each
stored batch, replay (`safefeed.risk.replay`) hands it a log. Time is the
events' own: the funnel never reads a clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from safefeed.events.models import Event
from safefeed.risk.cases import CaseBook, CaseState, CaseUpdate
from safefeed.risk.config import RiskConfig
from safefeed.risk.context import ContextEnricher
from safefeed.risk.detectors import Detector, TrendDetector, default_detectors
from safefeed.risk.embedding import make_embedder
from safefeed.risk.model import SIGNAL_KINDS, Tier
from safefeed.risk.routing import Router
from safefeed.risk.signals import RepeatFilter, SignalExtractor
from safefeed.risk.tiers import TierAssigner
from safefeed.signals.text import TextClassifier

__all__ = ["RiskFunnel"]

#: How often (event time) open cases are checked for decay and lapsed interventions.
SWEEP_SECONDS = 3600.0
_MODERATION = frozenset({"flag", "report", "violation"})


class RiskFunnel:
    """The early-risk detection path over a stream of events."""

    def __init__(
        self,
        config: RiskConfig,
        *,
        classifier: TextClassifier | None = None,
        detectors: Sequence[Detector] | None = None,
        enricher: ContextEnricher | None = None,
    ) -> None:
        self.config = config
        self.signals = SignalExtractor(classifier)
        self.repeats = RepeatFilter()
        self.context = enricher or ContextEnricher()
        if detectors is None:
            detectors = default_detectors()
            for detector in detectors:
                if isinstance(detector, TrendDetector):
                    detector.embedder = make_embedder(config.trend_embedder)
        self.detectors = list(detectors)
        self.tiers = TierAssigner(config.tiers)
        self.router = Router(config)
        self.cases = CaseBook(config.tiers, config.version)
        self._by_kind: dict[str, list[Detector]] = {
            kind: [d for d in self.detectors if kind in d.consumes] for kind in SIGNAL_KINDS
        }
        # Context is filled only where something reads it: most events of a live log
        # (viewers leaving, sessions starting and ending) feed the baselines alone.
        self._enriched = (
            frozenset(kind for kind, readers in self._by_kind.items() if readers)
            | self.context.learns_from_context
        )
        self._next_sweep = 0.0
        self.overloaded = False
        self.counts: Counter[str] = Counter()
        self.now = 0.0

    def versions(self) -> dict[str, str]:
        """Every version behind a case: stamped on cases, interventions and audit records."""
        found = {
            "risk_config": self.config.version,
            "signals": self.signals.version,
            "repeats": self.repeats.version,
            "text_model": self.signals.model_version,
            "context": self.context.version,
            "tiers": self.tiers.version,
            "routing": self.router.version,
            "cases": self.cases.version,
        }
        for detector in self.detectors:
            found.update(detector.versions())
        return found

    def observe(self, event: Event) -> list[CaseUpdate]:
        """Run one event through every stage; the case lines it causes."""
        t = event.ts.timestamp()
        obs = self.signals.extract(event, t)
        if obs is None:
            return []
        updates: list[CaseUpdate] = []
        if t >= self._next_sweep:
            updates.extend(self.sweep(t))
        if t > self.now:
            self.now = t
        kind = obs.kind
        if kind in _MODERATION and self.repeats.repeated(obs):
            self.counts["repeated"] += 1
            return updates
        self.counts[kind] += 1
        context = self.context
        if kind in self._enriched:
            context.enrich(obs)
        for detector in self._by_kind[kind]:
            for assessment in detector.update(obs):
                judgement = self.tiers.judge(assessment)
                if judgement.abstained:
                    self.counts["abstained"] += 1
                changed = self.cases.judge(judgement)
                if changed is not None:
                    case, change, previous = changed
                    route = self.router.route(judgement, case.case_id, overloaded=self.overloaded)
                    updates.append(self._update(case, change, previous, route, t))
        context.learn(obs)
        return updates

    def observe_all(self, events: Iterable[Event]) -> list[CaseUpdate]:
        updates: list[CaseUpdate] = []
        for event in events:
            updates.extend(self.observe(event))
        return updates

    def sweep(self, t: float) -> list[CaseUpdate]:
        """Decay open cases that saw no new evidence (risk subsiding)."""
        self._next_sweep = t + SWEEP_SECONDS
        updates = []
        for case, change, previous in self.cases.decay(t):
            updates.append(self._update(case, change, previous, None, t))
        return updates

    def _update(
        self,
        case: CaseState,
        change: str,
        previous: Tier | None,
        route: Any,
        t: float,
    ) -> CaseUpdate:
        self.counts[f"case_{change}"] += 1
        line = case.line
        if route is not None:
            line["suggested_interventions"] = [i.as_dict() for i in route.interventions]
            line["requires_human"] = route.requires_human
            line["signals"]["queue"] = route.queue
        return CaseUpdate(dict(line), previous, route, change, t)

"""Replay: an event log through the funnel, on the events' own clock.

`replay` reads JSON Lines (the v1 contract), validates every line the funnel
consumes with the same models as ingestion, runs the same `RiskFunnel` the live
consumer runs, and writes ``cases.jsonl`` (EVENTS.md "Risk case output") and
``summary.json``. Lines of event types the funnel has no use for are counted and
skipped unvalidated — replay answers for risk, ingestion for the contract. A
re-sent ``event_id`` is a no-op, as in the store (the ids of consumed events are
kept: about 80 bytes each).
Deterministic: the same log and configuration give byte-identical output.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from pydantic import ValidationError

from safefeed.events.models import EVENT_ADAPTER, EVENT_TYPES
from safefeed.events.parsing import describe_validation_error, without_bom
from safefeed.exceptions import InputError
from safefeed.risk.cases import CASE_FIELDS, CaseUpdate
from safefeed.risk.config import RiskConfig
from safefeed.risk.funnel import RiskFunnel
from safefeed.risk.signals import CONSUMED_TYPES
from safefeed.signals.text import TextClassifier

__all__ = ["ReplayResult", "replay", "replay_lines"]

_KNOWN_TYPES = frozenset(EVENT_TYPES)


@dataclass
class ReplayResult:
    lines: int = 0
    consumed: int = 0
    skipped: int = 0
    #: Consumed events whose ``event_id`` came earlier in the log: a no-op, as the
    #: store makes a re-sent event in the live path (at-least-once delivery).
    duplicates: int = 0
    #: Consumed events earlier than one before them (EVENTS.md asks for time order; a
    #: converted log may not keep it): how many, by how much at most, and where.
    out_of_order: int = 0
    out_of_order_seconds: float = 0.0
    out_of_order_lines: list[int] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    changes: Counter[str] = field(default_factory=Counter)

    def summary(self, funnel: RiskFunnel) -> dict[str, Any]:
        by_tier: Counter[str] = Counter()
        by_category: Counter[str] = Counter()
        final: dict[str, dict[str, Any]] = {}
        for line in self.cases:
            final[line["case_id"]] = line
        peak: dict[str, int] = {}
        rank = {"low": 1, "medium": 2, "high": 3}
        for line in self.cases:
            peak[line["case_id"]] = max(peak.get(line["case_id"], 0), rank[line["tier"]])
        for case_id, line in final.items():
            by_tier[{1: "low", 2: "medium", 3: "high"}[peak[case_id]]] += 1
            by_category[line["category"]] += 1
        suggested: Counter[str] = Counter()
        applied: Counter[str] = Counter()
        for line in self.cases:
            for item in line["suggested_interventions"]:
                suggested[item["kind"]] += 1
                if item.get("auto_apply"):
                    applied[item["kind"]] += 1
        return {
            "lines": self.lines,
            "events_consumed": self.consumed,
            "events_skipped": self.skipped,
            "events_duplicate": self.duplicates,
            "signals_repeated": funnel.counts["repeated"],
            "events_out_of_order": self.out_of_order,
            "out_of_order_max_seconds": round(self.out_of_order_seconds, 3),
            "out_of_order_lines": self.out_of_order_lines[:100],
            "lines_rejected": len(self.rejected),
            "rejected": self.rejected[:100],
            "cases": len(final),
            "case_lines": len(self.cases),
            "cases_by_peak_tier": dict(sorted(by_tier.items())),
            "cases_by_category": dict(sorted(by_category.items())),
            "case_changes": dict(sorted(self.changes.items())),
            "interventions_suggested": dict(sorted(suggested.items())),
            "interventions_auto_applied": dict(sorted(applied.items())),
            "phase": funnel.config.phase,
            "versions": funnel.versions(),
            "first_event_at": None,
        }


def _numbered(handle: BinaryIO) -> Iterator[tuple[int, bytes]]:
    # The log's first event is often an account's age band: a byte order mark must not
    # reject it.
    first = without_bom(handle.readline())
    for number, raw in enumerate(chain((first,) if first else (), handle), start=1):
        # Lines read from a file are never empty; isspace() finds the blank ones
        # without a stripped copy of every line.
        if not raw.isspace():
            yield number, raw


def replay_lines(
    lines: Iterator[tuple[int, bytes]], funnel: RiskFunnel, result: ReplayResult
) -> None:
    """Feed numbered JSON lines through ``funnel``, collecting case lines in ``result``."""
    observe = funnel.observe
    # The adapter's core validator itself: the same schema and errors, without the
    # Python wrapper's frame on every line.
    validate = EVENT_ADAPTER.validator.validate_python
    loads = orjson.loads
    consumed = CONSUMED_TYPES
    known_types = _KNOWN_TYPES
    rejected = result.rejected
    seen: set[str] = set()
    remember = seen.add
    # Counted in locals and added once: the loop runs once per line of the log.
    read = taken = late = 0
    latest = -math.inf
    behind = 0.0
    late_lines = result.out_of_order_lines
    try:
        for number, raw in lines:
            read += 1
            try:
                obj = loads(raw)
            except orjson.JSONDecodeError as exc:
                rejected.append({"line": number, "error": f"malformed JSON: {exc}"})
                continue
            if obj.__class__ is not dict:
                rejected.append({"line": number, "error": "each event must be a JSON object"})
                continue
            kind = obj.get("type")
            # Anything else (no type, an unknown one, one that is no string: a list
            # would not even hash) goes on to validation, which words the error.
            if kind.__class__ is str and kind not in consumed and kind in known_types:
                result.skipped += 1
                continue
            try:
                event = validate(obj)
            except ValidationError as exc:
                rejected.append({"line": number, "error": describe_validation_error(exc)})
                continue
            # One hash per line: the set grows unless the id was there already.
            known = len(seen)
            remember(event.event_id)
            if len(seen) == known:
                result.duplicates += 1
                continue
            taken += 1
            t = event.ts.timestamp()
            if t < latest:
                late += 1
                behind = max(behind, latest - t)
                if len(late_lines) < 100:
                    late_lines.append(number)
            else:
                latest = t
            updates = observe(event)
            if updates:
                for update in updates:
                    _collect(update, result)
    finally:
        result.lines += read
        result.consumed += taken
        result.out_of_order += late
        result.out_of_order_seconds = max(result.out_of_order_seconds, behind)
    for update in funnel.sweep(funnel.now):
        _collect(update, result)


def _collect(update: CaseUpdate, result: ReplayResult) -> None:
    result.changes[update.change] += 1
    if update.change != "closed":
        result.cases.append({name: update.line[name] for name in CASE_FIELDS})


def replay(
    events: Path,
    out: Path,
    config: RiskConfig,
    *,
    classifier: TextClassifier | None = None,
) -> tuple[ReplayResult, dict[str, Any]]:
    """Replay ``events`` into ``out/cases.jsonl`` and ``out/summary.json``."""
    if not events.is_file():
        raise InputError(f"no such file: {events}")
    funnel = RiskFunnel(config, classifier=classifier)
    result = ReplayResult()
    started = time.perf_counter()
    with events.open("rb") as handle:
        replay_lines(_numbered(handle), funnel, result)
    result.seconds = time.perf_counter() - started
    out.mkdir(parents=True, exist_ok=True)
    with (out / "cases.jsonl").open("wb") as sink:
        for line in result.cases:
            sink.write(orjson.dumps(line) + b"\n")
    summary = result.summary(funnel)
    summary.pop("first_event_at")
    (out / "summary.json").write_bytes(
        orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
    return result, summary

"""Evaluation of replayed cases against scenario ground truth.

Subjects are matched by id; ``creator`` and ``user`` name the same account
namespace (a creator is a user), so they match each other. A harmful subject
counts as *surfaced* when any of its cases reached ``medium`` or above before its
violation; the time it did so is the case line's ``signals.observed_at``.

Metrics: share surfaced before violation; lead time (hours, and as a share of
the first-signal-to-violation span); precision per tier; benign false-positive
rate at >= medium (and at high); NDCG of the review order against true severity;
false-positive rates across groups (region, language) with their intervals and
ratios, adjusted for scenario kind (`safefeed.risk.fairness`); and the eRisk
early-detection measures ERDE_o and F-latency, counting an observation as one
"writing".

A truth document may come from an outside evaluator, written by hand: it is
checked first (`check_truth`), and only ``subject_type``, ``subject_id`` and
``label`` are required. ``scenario`` defaults to ``unspecified``, ``severity`` to
1 for a harmful subject and 0 otherwise; times may carry any RFC 3339 offset.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from safefeed.events.fields import Id, Timestamp
from safefeed.exceptions import InputError
from safefeed.review.priority import priority
from safefeed.risk.fairness import fairness_report, group_rows

__all__ = ["check_truth", "erde", "evaluate", "f_latency_penalty", "ndcg", "read_case_lines"]

_RANK = {"low": 1, "medium": 2, "high": 3}


def _key(subject_type: str, subject_id: str) -> str:
    kind = "account" if subject_type in ("creator", "user") else subject_type
    return f"{kind}:{subject_id}"


def _t(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class _TruthSubject(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    subject_type: Literal["content", "creator", "user", "live_session", "trend"]
    subject_id: Id
    label: Literal["harmful", "benign", "involved"]
    scenario: StrictStr = "unspecified"
    severity: Annotated[float, Field(ge=0.0)] | None = None
    region: StrictStr | None = None
    language: StrictStr | None = None
    first_signal_at: Timestamp | None = None
    violation_at: Timestamp | None = None


class _Truth(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    subjects: list[_TruthSubject]


def check_truth(truth: Any) -> list[dict[str, Any]]:
    """The subjects of a truth document, checked, with defaults filled in.

    Raises `InputError` naming the first wrong field (``subjects.3.label: ...``).
    """
    if not isinstance(truth, dict):
        raise InputError("truth: the document must be a JSON object with a list of subjects")
    try:
        checked = _Truth.model_validate(truth)
    except ValidationError as exc:
        raise InputError(f"truth: {_where(exc)}") from None
    subjects = []
    for subject in checked.subjects:
        row = subject.model_dump()
        if row["severity"] is None:
            row["severity"] = 1.0 if subject.label == "harmful" else 0.0
        for name in ("first_signal_at", "violation_at"):
            if row[name] is not None:
                row[name] = row[name].isoformat()
        subjects.append(row)
    return subjects


def _where(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "document"
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


_CASE_KEYS = ("subject_type", "subject_id", "tier", "first_surfaced_at")


def read_case_lines(data: bytes) -> list[dict[str, Any]]:
    """The case lines of a ``cases.jsonl``; `InputError` names the first bad line."""
    lines = []
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"cases line {number}: malformed JSON: {exc}") from None
        if not isinstance(line, dict):
            raise InputError(f"cases line {number}: a case must be a JSON object")
        missing = [key for key in _CASE_KEYS if key not in line]
        if missing:
            raise InputError(f"cases line {number}: missing {', '.join(missing)}")
        if line["tier"] not in _RANK:
            raise InputError(f"cases line {number}: tier must be low, medium or high")
        lines.append(line)
    return lines


def ndcg(relevances: Sequence[float], ideal: Sequence[float]) -> float:
    """Normalized discounted cumulative gain of a ranking.

    >>> ndcg([3, 2, 0], [3, 2])
    1.0
    >>> round(ndcg([0, 2, 3], [3, 2]), 3)
    0.606
    """

    def dcg(values: Sequence[float]) -> float:
        return sum((2**r - 1) / math.log2(i + 2) for i, r in enumerate(values))

    best = dcg(sorted(ideal, reverse=True))
    return round(dcg(relevances) / best, 4) if best > 0 else 1.0


def erde(decisions: Iterable[tuple[bool, bool, int]], o: int, positives_share: float) -> float:
    """ERDE_o (Losada & Crestani): mean cost over subjects of (truth, decided, delay k).

    >>> erde([(True, True, 1), (False, False, 0)], o=5, positives_share=0.5)
    0.009
    """
    costs = []
    for truth, decided, k in decisions:
        if decided and truth:
            costs.append(1.0 - 1.0 / (1.0 + math.exp(min(50.0, k - o))))
        elif decided:
            costs.append(positives_share)
        elif truth:
            costs.append(1.0)
        else:
            costs.append(0.0)
    return round(statistics.fmean(costs), 4) if costs else 0.0


def f_latency_penalty(k: int, median_writings: float) -> float:
    """Sadeque et al.'s latency penalty: 0 at the first writing, toward 1 later.

    >>> f_latency_penalty(1, 10.0)
    0.0
    """
    p = math.log(3.0) / max(1.0, median_writings - 1.0)
    return -1.0 + 2.0 / (1.0 + math.exp(-p * (k - 1)))


def evaluate(cases: Iterable[Mapping[str, Any]], truth: Mapping[str, Any]) -> dict[str, Any]:
    """Every metric of a replay's case lines against a truth document (`check_truth`)."""
    subjects = {_key(s["subject_type"], s["subject_id"]): s for s in check_truth(truth)}
    first_at: dict[str, dict[int, tuple[float, float]]] = defaultdict(dict)
    best_line: dict[str, Mapping[str, Any]] = {}
    for line in cases:
        key = _key(line["subject_type"], line["subject_id"])
        signals = line.get("signals") or {}
        at = _t(signals.get("observed_at") or line["first_surfaced_at"])
        rank = _RANK[line["tier"]]
        for level in range(1, rank + 1):
            known = first_at[key].get(level)
            if known is None or at < known[0]:
                first_at[key][level] = (at, float(signals.get("evidence", 1.0)))
        if key not in best_line or priority(line) > priority(best_line[key]):
            best_line[key] = line

    harmful = [k for k, s in subjects.items() if s["label"] == "harmful"]
    benign = [k for k, s in subjects.items() if s["label"] == "benign"]
    leads, relative, rows, decisions = [], [], [], []
    surfaced = 0
    for key in harmful:
        s = subjects[key]
        violation = _t(s["violation_at"]) if s.get("violation_at") else math.inf
        start = _t(s["first_signal_at"]) if s.get("first_signal_at") else None
        hit = first_at[key].get(2)
        early = hit is not None and hit[0] < violation
        lead = (violation - hit[0]) / 3600.0 if early and hit else 0.0
        share = 0.0
        if early and start is not None and violation > start:
            share = max(0.0, min(1.0, (violation - hit[0]) / (violation - start)))  # type: ignore[index]
        surfaced += early
        if early:
            leads.append(lead)
        relative.append(share)
        decisions.append((True, early, int(hit[1]) if early and hit else 0))
        rows.append(
            {
                "subject": key,
                "scenario": s["scenario"],
                "surfaced": early,
                "lead_hours": round(lead, 2),
                "lead_share": round(share, 3),
            }
        )
    fp_medium = [k for k in benign if 2 in first_at[k]]
    fp_high = [k for k in benign if 3 in first_at[k]]
    for key in benign:
        hit = first_at[key].get(2)
        decisions.append((False, hit is not None, int(hit[1]) if hit else 0))

    precision: dict[str, Any] = {}
    for tier, level in _RANK.items():
        reached = [k for k in first_at if first_at[k] and max(first_at[k]) == level]
        named = [k for k in reached if k in subjects]
        true = [k for k in named if subjects[k]["label"] == "harmful"]
        precision[tier] = {
            "cases": len(reached),
            "precision": round(len(true) / len(reached), 3) if reached else None,
            "precision_known_subjects": round(len(true) / len(named), 3) if named else None,
        }

    ranking = sorted(best_line, key=lambda k: -priority(best_line[k]))
    relevance = [float(subjects[k]["severity"]) if k in subjects else 0.0 for k in ranking]
    ideal = [float(subjects[k]["severity"]) for k in harmful]

    groups = {
        attr: fairness_report(group_rows(benign, subjects, set(fp_medium), attr))
        for attr in ("region", "language")
    }
    positives_share = len(harmful) / max(1, len(harmful) + len(benign))
    writings = [k for _, d, k in decisions if d] or [1]
    median_k = statistics.median(writings)
    tp = sum(1 for t, d, _ in decisions if t and d)
    fp = sum(1 for t, d, _ in decisions if d and not t)
    fn = sum(1 for t, d, _ in decisions if t and not d)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    penalties = [f_latency_penalty(k, median_k) for t, d, k in decisions if t and d]
    speed = 1.0 - statistics.median(penalties) if penalties else 0.0
    # The acceptance is about benign creators: one that also carried a harmful trend
    # (labelled "involved", maybe with a violation of its own) is counted apart.
    brigaded = [k for k, s in subjects.items() if s["scenario"].startswith("brigaded")]
    brigaded_benign = [k for k in brigaded if subjects[k]["label"] == "benign"]
    return {
        "harmful_subjects": len(harmful),
        "benign_subjects": len(benign),
        "surfaced_before_violation_share": round(surfaced / len(harmful), 3) if harmful else None,
        "lead_time_hours": _distribution(leads),
        "median_lead_share_of_span": round(statistics.median(relative), 3) if relative else None,
        "precision_per_tier": precision,
        "benign_fp_rate_medium_or_above": round(len(fp_medium) / len(benign), 4)
        if benign
        else None,
        "benign_fp_rate_high": round(len(fp_high) / len(benign), 4) if benign else None,
        "benign_false_positives": sorted(fp_medium),
        "brigaded_reaching_high": sum(1 for k in brigaded_benign if 3 in first_at[k]),
        "brigaded_not_benign_reaching_high": sum(
            1 for k in brigaded if k not in brigaded_benign and 3 in first_at[k]
        ),
        "ndcg_queue_order": ndcg(relevance, ideal),
        "fp_rate_ratio": groups,
        "erde_5": erde(decisions, 5, positives_share),
        "erde_50": erde(decisions, 50, positives_share),
        "f1": round(f1, 3),
        "f_latency": round(f1 * speed, 3),
        "subjects": rows,
    }


def _distribution(values: Sequence[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def q(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    return {
        "count": len(ordered),
        "median": round(statistics.median(ordered), 2),
        "p10": q(0.1),
        "p25": q(0.25),
        "p75": q(0.75),
        "p90": q(0.9),
        "min": round(ordered[0], 2),
        "max": round(ordered[-1], 2),
    }

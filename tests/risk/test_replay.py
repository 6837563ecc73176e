"""Replay: the case output contract, determinism, the CLI, and the acceptance targets."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from safefeed.cli.main import main
from safefeed.risk.cases import CASE_FIELDS
from safefeed.risk.config import load_risk_config
from safefeed.risk.evaluation import evaluate
from safefeed.risk.replay import replay
from safefeed.risk.scenarios import ScenarioParams, generate_scenarios
from safefeed.risk.signals import CONSUMED_TYPES
from safefeed.signals.text import KeywordClassifier
from tests.risk.helpers import FOREIGN_ADULT, SMALL, foreign_log, small_log


def _write(path: Path, events: tuple[dict[str, object], ...] | list[dict[str, object]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return path


def test_case_lines_have_exactly_the_contract_fields_and_first_surfacing(tmp_path: Path) -> None:
    events, _ = small_log()
    log = _write(tmp_path / "events.jsonl", events)
    result, summary = replay(log, tmp_path / "out", load_risk_config())
    lines = [
        orjson.loads(raw) for raw in (tmp_path / "out" / "cases.jsonl").read_bytes().splitlines()
    ]
    assert lines
    assert summary["case_lines"] == len(lines)
    first: dict[str, dict[str, object]] = {}
    for line in lines:
        assert tuple(line) == CASE_FIELDS
        assert line["tier"] in ("low", "medium", "high")
        assert 0.0 <= line["score"] <= 1.0
        lower, upper = line["confidence"]
        assert 0.0 <= lower <= upper <= 1.0
        assert line["subject_type"] in ("content", "creator", "user", "live_session", "trend")
        assert line["first_surfaced_at"].endswith("Z")
        first.setdefault(line["case_id"], line)
        # Later lines of a case keep the moment it was first surfaced.
        assert line["first_surfaced_at"] == first[line["case_id"]]["first_surfaced_at"]
    summary_file = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary_file["phase"] == "shadow"
    assert summary_file["interventions_auto_applied"] == {}  # shadow applies nothing
    assert result.rejected == []


def test_replay_is_deterministic(tmp_path: Path) -> None:
    events, _ = small_log()
    log = _write(tmp_path / "events.jsonl", events)
    replay(log, tmp_path / "a", load_risk_config(), classifier=KeywordClassifier())
    replay(log, tmp_path / "b", load_risk_config(), classifier=KeywordClassifier())
    for name in ("cases.jsonl",):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_replay_reports_bad_lines_and_goes_on(tmp_path: Path) -> None:
    events, _ = small_log()
    broken = [*events[:50], {"type": "live.chat", "event_id": "x"}, *events[50:100]]
    log = _write(tmp_path / "events.jsonl", broken)
    with log.open("ab") as handle:
        handle.write(b"{not json\n")
    result, _ = replay(log, tmp_path / "out", load_risk_config())
    assert [r["line"] for r in result.rejected] == [51, 102]
    assert result.consumed + result.skipped == 100


def test_a_re_sent_event_is_a_no_op(tmp_path: Path) -> None:
    events, _ = small_log()
    once = _write(tmp_path / "once.jsonl", events)
    # At-least-once delivery: every tenth event sent twice in a row, and a stretch of
    # the log re-sent later (its events out of time order, as a retry would be).
    twice = [e for i, e in enumerate(events) for _ in range(2 if i % 10 == 0 else 1)]
    twice[len(twice) // 2 : len(twice) // 2] = events[100:400]
    resent = _write(tmp_path / "twice.jsonl", twice)
    first, _ = replay(once, tmp_path / "a", load_risk_config())
    second, summary = replay(resent, tmp_path / "b", load_risk_config())
    assert (tmp_path / "a" / "cases.jsonl").read_bytes() == (
        tmp_path / "b" / "cases.jsonl"
    ).read_bytes()
    assert first.cases  # the log surfaces cases, so a double count would show
    assert second.consumed == first.consumed
    extra = [e for i, e in enumerate(events) if i % 10 == 0] + list(events[100:400])
    assert second.duplicates == sum(e["type"] in CONSUMED_TYPES for e in extra) > 0
    assert summary["events_duplicate"] == second.duplicates


# ---------------------------------------------------------------- logs from other platforms


def test_a_foreign_log_surfaces_the_adult_reaching_minors(tmp_path: Path) -> None:
    log = _write(tmp_path / "events.jsonl", foreign_log())
    result, _ = replay(log, tmp_path / "out", load_risk_config())
    assert result.rejected == []
    peak = max(result.cases, key=lambda line: line["score"])
    assert (peak["subject_type"], peak["subject_id"]) == ("user", FOREIGN_ADULT)
    assert peak["category"] == "age_exposure"
    assert peak["tier"] == "high"
    assert "3 minor account(s) in 4 live session(s)" in peak["rationale"][0]


def test_lines_that_are_no_event_are_rejected_alone(tmp_path: Path) -> None:
    events = foreign_log()
    clean = _write(tmp_path / "clean.jsonl", events)
    rows = [orjson.dumps(e) for e in events]
    inserted = {
        3: b"",
        5: orjson.dumps([events[4]]),  # an array holding an event, not an event
        7: b"null",
        9: b'{"event_id": "t1", "ts": "2026-03-01T12:00:00Z", "user_id": "u"}',
        11: b'{"event_id": "t2", "type": "live_chat", "ts": "2026-03-01T12:00:00Z"}',
        13: b'{"event_id": "t3", "type": ["live.chat"], "ts": "2026-03-01T12:00:00Z"}',
    }
    for number in sorted(inserted):
        rows.insert(number - 1, inserted[number])
    # A byte order mark and CRLF endings, as Windows tools write UTF-8.
    dirty = tmp_path / "dirty.jsonl"
    dirty.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(rows) + b"\r\n")
    replay(clean, tmp_path / "a", load_risk_config())
    result, summary = replay(dirty, tmp_path / "b", load_risk_config())
    assert [r["line"] for r in summary["rejected"]] == [5, 7, 9, 11, 13]
    errors = [r["error"] for r in summary["rejected"]]
    assert errors[:2] == ["each event must be a JSON object"] * 2
    assert errors[2] == "type: field required"
    assert "unknown event type 'live_chat'" in errors[3]
    assert result.lines == len(events) + 5  # the blank line is no line of the log
    assert (tmp_path / "a" / "cases.jsonl").read_bytes() == (
        tmp_path / "b" / "cases.jsonl"
    ).read_bytes()


def test_events_out_of_time_order_are_counted_where_they_are(tmp_path: Path) -> None:
    stamp = datetime.fromisoformat
    events = foreign_log()
    # A late event, as a converter merging two sources might leave it.
    late = events.pop(12)
    events.append(late)
    _, summary = replay(_write(tmp_path / "late.jsonl", events), tmp_path / "a", load_risk_config())
    assert summary["events_out_of_order"] == 1
    assert summary["out_of_order_lines"] == [len(events)]
    behind = stamp(events[-2]["ts"]) - stamp(late["ts"])
    assert summary["out_of_order_max_seconds"] == round(behind.total_seconds(), 3)
    # A typo'd year moves the clock decades on (open cases decay as of then), and every
    # event after it is late: the summary must show that, not a quiet, thin case file.
    events = foreign_log()
    events.insert(21, {**events[20], "event_id": "typo", "ts": "2096-03-02T13:00:00Z"})
    _, summary = replay(_write(tmp_path / "typo.jsonl", events), tmp_path / "b", load_risk_config())
    assert summary["events_out_of_order"] == len(events) - 22
    assert summary["out_of_order_lines"] == list(range(23, len(events) + 1))


def test_cli_generates_replays_and_evaluates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params = json.dumps(
        {
            "days": 10,
            "viewers": 200,
            "ordinary_creators": 4,
            "escalating": 1,
            "seekers": 1,
            "late_night": 0,
            "harmful_trends": 0,
            "big_stable": 0,
            "teen_creators": 1,
            "viral_spikes": 0,
            "brigaded": 1,
            "benign_trends": 0,
            "adult_fans": 0,
        }
    )
    assert (
        main(["scenarios", "generate", "--out", str(tmp_path), "--seed", "4", "--params", params])
        == 0
    )
    assert main(["replay", str(tmp_path / "events.jsonl"), "--out", str(tmp_path / "out")]) == 0
    report = tmp_path / "report.json"
    assert (
        main(
            [
                "evaluate",
                str(tmp_path / "out" / "cases.jsonl"),
                str(tmp_path / "truth.json"),
                "--out",
                str(report),
            ]
        )
        == 0
    )
    assert json.loads(report.read_text())["harmful_subjects"] == 2
    assert main(["replay", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path)]) == 2


def test_no_two_trends_share_a_tag() -> None:
    # Seed 1 drew one tag for a harmful and a benign trend before tags were kept apart.
    params = replace(
        SMALL,
        harmful_trends=6,
        benign_trends=30,
        viewers=120,
        small_creators=0,
        ordinary_creators=12,
    )
    _, truth = generate_scenarios(1, params)
    trends = [s["subject_id"] for s in truth["subjects"] if s["subject_type"] == "trend"]
    assert len(trends) == 6 * 4 + 30  # each harmful trend: its tag and three variants
    assert len(set(trends)) == len(trends)


VARIANTS = {
    "reference": ScenarioParams(),
    "busier": ScenarioParams(
        audience=(25, 70),
        noise_flag_rate=0.08,
        minor_share=0.22,
        escalation_days=(6.0, 10.0),
        ordinary_creators=80,
    ),
}


@pytest.mark.slow
# Seed 1 is the one that missed the ratio band (a benign trend carried by the harmful
# trend's creators) until flags counted per carrier beyond the background.
@pytest.mark.parametrize(("seed", "variant"), [(1, "reference"), (2, "reference"), (2, "busier")])
def test_acceptance_targets_on_generated_scenarios(tmp_path: Path, seed: int, variant: str) -> None:
    events, truth = generate_scenarios(seed, VARIANTS[variant])
    log = _write(tmp_path / "events.jsonl", events)
    result, _ = replay(log, tmp_path / "out", load_risk_config(), classifier=KeywordClassifier())
    report = evaluate(result.cases, truth)
    assert report["surfaced_before_violation_share"] >= 0.9
    assert report["median_lead_share_of_span"] >= 0.5
    assert report["benign_fp_rate_medium_or_above"] <= 0.02
    assert report["brigaded_reaching_high"] == 0
    for attribute in ("region", "language"):
        # Kind-adjusted (Mantel-Haenszel) ratio of every group against the rest.
        assert report["fp_rate_ratio"][attribute]["within_accepted_band"], attribute

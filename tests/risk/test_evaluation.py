"""Evaluation against a truth document an outside evaluator wrote by hand."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from safefeed.cli.main import main
from tests.risk.helpers import FOREIGN_ADULT, foreign_log


def _evaluate(tmp_path: Path, truth: object, cases: Path | None = None) -> tuple[int, Path]:
    (tmp_path / "truth.json").write_bytes(orjson.dumps(truth))
    if cases is None:
        cases = tmp_path / "out" / "cases.jsonl"
        if not cases.exists():
            log = tmp_path / "events.jsonl"
            log.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in foreign_log()))
            assert main(["replay", str(log), "--out", str(tmp_path / "out")]) == 0
    report = tmp_path / "report.json"
    code = main(["evaluate", str(cases), str(tmp_path / "truth.json"), "--out", str(report)])
    return code, report


def test_a_hand_written_truth_needs_only_subject_and_label(tmp_path: Path) -> None:
    events = foreign_log()
    # The violation an hour after the last live, written in another offset with
    # nanosecond digits; the first signal is the first invitation.
    first_signal = next(e["ts"] for e in events if e["type"] == "live.interaction")
    truth = {
        "subjects": [
            {
                "subject_type": "user",
                "subject_id": FOREIGN_ADULT,
                "label": "harmful",
                "first_signal_at": first_signal,
                "violation_at": "2026-03-04T19:31:00.000000001+05:00",
            },
            {"subject_type": "creator", "subject_id": "🎥host", "label": "benign"},
            {"subject_type": "user", "subject_id": "not in the log", "label": "benign"},
        ]
    }
    code, report_path = _evaluate(tmp_path, truth)
    assert code == 0
    report = json.loads(report_path.read_text())
    assert (report["harmful_subjects"], report["benign_subjects"]) == (1, 2)
    assert report["surfaced_before_violation_share"] == 1.0
    assert report["benign_fp_rate_medium_or_above"] == 0.0
    [row] = report["subjects"]
    assert row["scenario"] == "unspecified"
    # Surfaced at medium on the first day, 13:07Z; the violation is 2026-03-04 14:31Z.
    assert row["lead_hours"] == pytest.approx(73.4, abs=0.01)


@pytest.mark.parametrize(
    ("truth", "message"),
    [
        ({"subjects": [{"subject_type": "user", "subject_id": "u"}]}, "subjects.0.label"),
        ({"subjects": [{"subject_id": "u", "label": "harmful"}]}, "subjects.0.subject_type"),
        (
            {"subjects": [{"subject_type": "user", "subject_id": "u", "label": "bad"}]},
            "subjects.0.label",
        ),
        (
            {
                "subjects": [
                    {
                        "subject_type": "user",
                        "subject_id": "u",
                        "label": "harmful",
                        "violation_at": "yesterday",
                    }
                ]
            },
            "subjects.0.violation_at",
        ),
        ({"cases": []}, "subjects"),
        ([], "JSON object"),
    ],
)
def test_a_wrong_truth_is_one_line_and_exit_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], truth: object, message: str
) -> None:
    code, report = _evaluate(tmp_path, truth)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("error: truth: ")
    assert message in err
    assert "\n" not in err
    assert not report.exists()


def test_a_malformed_truth_or_case_file_names_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(b'{"subject_type": "user"}\n{broken\n')
    code, _ = _evaluate(tmp_path, {"subjects": []}, cases)
    assert code == 2
    assert capsys.readouterr().err.strip().startswith("error: cases line 1: missing subject_id")
    (tmp_path / "truth.json").write_bytes(b'{"subjects": [')
    code = main(["evaluate", str(tmp_path / "out"), str(tmp_path / "truth.json")])
    assert code == 2

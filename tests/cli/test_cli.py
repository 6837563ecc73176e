from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from safefeed.audit import GENESIS, record_body, record_hash
from safefeed.cli.main import main
from safefeed.clock import ManualClock, from_us
from safefeed.ingest import IngestContext
from safefeed.review.decisions import Decision, InterventionChange
from safefeed.review.queue import ReviewQueue, Viewer
from safefeed.runtime import Runtime
from safefeed.store.database import Database
from tests.review.helpers import seed_cases
from tests.risk.helpers import ingest, small_log
from tests.support.events import event


def write_log(path: Path, *lines: bytes) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_ingest_reports_rejected_lines_and_exits_non_zero(
    env: Path, capsys: pytest.CaptureFixture[str], runtime: Runtime
) -> None:
    log = write_log(
        env / "events.jsonl",
        orjson.dumps(event("like", event_id="a")),
        b"{broken",
        orjson.dumps(event("like", event_id="b", ts="noon")),
        orjson.dumps(event("open", event_id="c")),
    )
    assert main(["ingest", str(log)]) == 3
    captured = capsys.readouterr()
    assert "accepted 2, duplicates 0, rejected 2" in captured.out
    assert "line 2: malformed JSON" in captured.err
    assert "line 3: ts:" in captured.err
    assert main(["ingest", str(log)]) == 3
    assert "accepted 0, duplicates 2, rejected 2" in capsys.readouterr().out


def test_ingest_line_numbers_are_the_files_across_chunks(
    env: Path, capsys: pytest.CaptureFixture[str], runtime: Runtime
) -> None:
    from safefeed.cli.platform import ingest_lines

    lines = [orjson.dumps(event("like", event_id=str(i))) for i in range(12)]
    lines[9] = b"not json"
    result = ingest_lines(runtime, write_log(env / "e.jsonl", *lines), actor="t", chunk=4)
    assert (result.accepted, [e.line for e in result.rejected]) == (11, [10])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ingest", "/no/such/file.jsonl"], "no such file"),
        (["policy", "set", "content", "blocked", "--reason", "x"], "must be TYPE:ID"),
        (["policy", "set", "content:c1", "banished", "--reason", "x"], "unknown policy state"),
        (["kill-switch", "set", "galaxy", "x", "--reason", "r"], "unknown kill-switch scope"),
        (["kill-switch", "clear", "item", "c404", "--reason", "r"], "is not on"),
        (["denylist", "add", "planet", "x", "--reason", "r"], "unknown denylist kind"),
        (["policy", "check", "c1", "--surface", "tv"], "unknown surface"),
        (["schema", "nothing"], "unknown schema"),
        (["audit", "verify", "--anchor", "12"], "SEQ:HASH"),
        (["audit", "verify", "--anchor", "1:" + "z" * 64], "SEQ:HASH"),
        # Usage errors come from Typer (its vendored Click), not from safefeed.
        (["nonexistent"], "No such command 'nonexistent'"),
        (["policy", "nope"], "No such command 'nope'"),
        (["ingest"], "Missing argument"),
        (["simulate", "--ranker", "safety", "--out", "o", "--users", "many"], "'--users'"),
        (["config", "set", "/no/such/policy.yaml", "--reason", "x"], "no such file"),
        (["review", "reach", "--limit", "0"], "'--limit'"),
        (["keys", "create", "k", "--role", "viewer", "--owner", " "], "owner must not be blank"),
        (["keys", "create", "k", "--role", "viewer", "--owner", "a\nb"], "unprintable"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    env: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) != 0
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: [1, 2\nsurfaces: x\n", "not valid YAML: expected ',' or ']'"),
        ("- version\n", "must hold a mapping, not list"),
    ],
)
def test_a_malformed_policy_document_is_one_line_and_changes_nothing(
    env: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    (env / "policy.yaml").write_text(text)
    assert main(["config", "versions"]) == 0
    before = capsys.readouterr().out
    assert main(["config", "set", str(env / "policy.yaml"), "--reason", "x"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert main(["config", "versions"]) == 0
    assert capsys.readouterr().out == before


def test_kill_switch_set_and_clear_are_seen_by_a_running_process(
    env: Path, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI and a serving process share only the store: the switch shows up on the
    server's next snapshot, without a restart."""
    runtime.ingestor.ingest_records(
        [
            event("content.published", event_id="1"),
            event("policy.changed", event_id="2", policy_state="allowed"),
        ],
        IngestContext(actor="t"),
    )
    serving = runtime.policy_cache
    assert serving.snapshot().kill_switch("creator", "cr1", runtime.clock.now()) is None
    assert (
        main(["kill-switch", "set", "creator", "cr1", "--reason", "raid", "--actor", "oncall"]) == 0
    )
    assert serving.snapshot().kill_switch("creator", "cr1", runtime.clock.now()) is not None
    assert main(["kill-switch", "clear", "creator", "cr1", "--reason", "over"]) == 0
    assert serving.snapshot().kill_switch("creator", "cr1", runtime.clock.now()) is None
    capsys.readouterr()
    assert main(["audit", "log", "--action", "kill_switch.set"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[0]["actor"] == "oncall"
    assert records[0]["reason"] == "raid"


def test_keys_are_made_for_an_owner_and_listed_with_it(
    env: Path, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    made = ["keys", "create", "alice-laptop", "--role", "moderator", "--owner", "alice"]
    assert main(made) == 0
    said, token = capsys.readouterr().out.strip().splitlines()
    assert said.endswith(" of alice (moderator)")
    assert main(["keys", "create", "platform", "--role", "service"]) == 0
    capsys.readouterr()
    assert main(["keys", "list"]) == 0
    listed = {k["name"]: k["owner"] for k in json.loads(capsys.readouterr().out)}
    assert listed == {"alice-laptop": "alice", "platform": "platform"}
    with runtime.database.read() as conn:
        principal = runtime.keys.authenticate(conn, token)
    assert principal is not None
    assert (principal.name, principal.owner) == ("alice-laptop", "alice")


def test_the_demos_admin_key_belongs_to_whoever_runs_the_demo(
    env: Path, runtime: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGNAME", "dana")
    # A store that holds events already: the demo only makes its key.
    runtime.ingestor.ingest_records([event("content.published")], IngestContext(actor="t"))
    assert main(["demo", "--no-serve"]) == 0
    assert "(all roles, owner dana;" in capsys.readouterr().out
    with runtime.database.read() as conn:
        (key,) = runtime.keys.list(conn)
    assert (key["name"], key["owner"], key["created_by"]) == ("local-admin", "dana", "cli:dana")


def test_a_decision_at_the_command_line_is_the_login_names_whatever_the_actor(
    env: Path,
    runtime: Runtime,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOGNAME", "dana")
    ingest(runtime, clock, small_log()[0])
    queue = ReviewQueue(runtime.audit, runtime.clock, runtime.risk.config, runtime.risk.ledger)
    laptop = "key:dana-laptop"
    change = Decision(
        verdict="approve",
        reason="friction",
        interventions=[InterventionChange(action="apply", kind="light_friction", ttl_hours=6)],
    )
    with runtime.database.write() as conn:
        for member in (laptop, "cli:dana", "oncall"):
            for name in ("priority", "standard"):
                queue.add_member(conn, name, member, by="key:admin")
        case_id = queue.list_cases(conn, Viewer(laptop))[0]["case_id"]
        queue.claim(conn, case_id, laptop)
        queue.decide(conn, case_id, laptop, change, owner="dana")
    approve = ["--decision", '{"verdict": "approve", "reason": "ok"}']
    for actor in ("cli:dana", "oncall"):
        assert main(["review", "claim", case_id, "--actor", actor]) == 0
        assert main(["review", "decide", case_id, *approve, "--actor", actor]) == 1
        err = capsys.readouterr().err.strip()
        assert err == (
            "error: nobody approves their own change: dana made it (as key:dana-laptop); "
            "another moderator must approve it"
        )
        assert main(["review", "release", case_id, "--actor", actor]) == 0
        assert json.loads(capsys.readouterr().out)["status"] == "waiting"
    # Only the holder gives a case back.
    assert main(["review", "claim", case_id, "--actor", "oncall"]) == 0
    capsys.readouterr()
    assert main(["review", "release", case_id, "--actor", "cli:dana"]) == 1
    assert capsys.readouterr().err.strip().startswith(f"error: you do not hold case {case_id}")


def test_review_reach_lists_what_spread_undecided(
    env: Path, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    min_reach = int(runtime.feed.config.reach_review.min_reach)
    events = [
        event("content.published", event_id="p"),
        event("policy.changed", event_id="s", policy_state="allowed"),
        event("moderation.flag", event_id="f", subject_type="content", subject_id="c1"),
    ]
    for k in range(min_reach):
        events.append(
            event(
                "account.created",
                event_id=f"a{k}",
                user_id=f"v{k}",
                age_band="25_plus",
                ts="2026-03-01T00:00:00Z",
            )
        )
        events.append(event("impression", event_id=f"i{k}", user_id=f"v{k}"))
    runtime.ingestor.ingest_records(events, IngestContext(actor="t"))
    assert main(["review", "reach"]) == 0
    due = json.loads(capsys.readouterr().out)
    assert [item["content_id"] for item in due] == ["c1"]
    assert due[0]["safety_score"] == 0.4
    assert due[0]["reach"] == min_reach
    # A state set without a decision leaves it on the list; a moderator's decision does not.
    assert main(["policy", "set", "content:c1", "allowed", "--reason", "re-scored"]) == 0
    capsys.readouterr()
    assert main(["review", "reach", "--limit", "5"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    decide = ["policy", "set", "content:c1", "allowed", "--reason", "reviewed: satire"]
    assert main([*decide, "--review-status", "moderator_decision"]) == 0
    capsys.readouterr()
    assert main(["review", "reach"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_audit_verify_and_head(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["denylist", "add", "topic", "spam", "--reason", "campaign"]) == 0
    capsys.readouterr()
    assert main(["audit", "head"]) == 0
    head = capsys.readouterr().out.strip()
    assert main(["audit", "verify", "--anchor", head]) == 0
    assert f"audit log intact: 1 records, head {head}\n" in capsys.readouterr().out
    # A faithful copy of the anchor in upper case is no evidence of a rewrite.
    assert main(["audit", "verify", "--anchor", head.upper()]) == 0


def documented_verifier(directory: Path) -> Path:
    """The stand-alone verification script exactly as docs/audit.md prints it."""
    docs = (Path(__file__).parents[2] / "docs" / "audit.md").read_text(encoding="utf-8")
    script = directory / "verify_audit.py"
    script.write_text(docs.split("```python\n")[1].split("```")[0], encoding="utf-8")
    return script


def run_verifier(script: Path, *exports: Path) -> subprocess.CompletedProcess[str]:
    # -I: isolated, so the script cannot lean on safefeed or the test's environment.
    argv = [sys.executable, "-I", str(script), *map(str, exports)]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def json_column(value: Any) -> Any:
    # A raw SELECT hands SQLite's JSON back as text and PostgreSQL's already decoded.
    return orjson.loads(value) if isinstance(value, str) else value


def rehash_from(database: Database, seq: int, reason: str) -> None:
    """An insider's full rewrite: change record ``seq`` and re-hash it, every later record
    and the head row, so that the chain inside the store is consistent again."""
    with database.write() as conn:
        rows = conn.execute(text("SELECT * FROM audit_log ORDER BY seq")).mappings().all()
        prev = rows[seq - 2]["hash"] if seq > 1 else GENESIS
        for row in rows[seq - 1 :]:
            body = record_body(
                at=from_us(row["ts_us"]),
                actor=row["actor"],
                action=row["action"],
                reason=reason if row["seq"] == seq else row["reason"],
                subject=None
                if row["subject_type"] is None
                else (row["subject_type"], row["subject_id"]),
                versions=json_column(row["versions"]),
                details=json_column(row["details"]),
            )
            digest = record_hash(prev, body)
            conn.execute(
                text("UPDATE audit_log SET reason = :r, prev_hash = :p, hash = :h WHERE seq = :s"),
                {"r": body["reason"], "p": prev, "h": digest, "s": row["seq"]},
            )
            prev = digest
        conn.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})


def test_an_export_verifies_outside_safefeed_and_an_earlier_one_dates_a_rewrite(
    env: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(4):
        assert main(["denylist", "add", "topic", f"spam{i}", "--reason", f"wave {i}"]) == 0
    capsys.readouterr()
    assert main(["audit", "head"]) == 0
    head = capsys.readouterr().out.strip()
    earlier, later = env / "earlier.jsonl", env / "later.jsonl"
    assert main(["audit", "export", "--out", str(earlier)]) == 0
    assert capsys.readouterr().err.strip() == f"exported 4 records, last {head}"
    script = documented_verifier(env)
    done = run_verifier(script, earlier)
    assert (done.returncode, done.stdout.strip()) == (0, head)
    assert main(["audit", "export"]) == 0
    assert capsys.readouterr().out.encode() == earlier.read_bytes()

    rehash_from(database, 2, "routine cleanup")
    assert main(["audit", "verify"]) == 0  # consistent inside the store: only outside copies see it
    assert main(["audit", "export", "--out", str(later)]) == 0
    assert run_verifier(script, later).returncode == 0
    done = run_verifier(script, later, earlier)
    assert done.returncode == 1
    assert done.stderr.strip() == "seq 2: differs from the earlier export: rewritten from here"

    # Cutting the tail and moving the head row back is just as consistent inside the store.
    cut = env / "cut.jsonl"
    with database.write() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 4"))
        conn.execute(
            text("UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3)")
        )
    assert main(["audit", "verify"]) == 0
    assert main(["audit", "export", "--out", str(cut)]) == 0
    done = run_verifier(script, cut, later)
    assert done.returncode == 1
    assert done.stderr.strip() == "the export ends at seq 3; the earlier one goes on: it was cut"


def test_schema_events_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "events"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "discriminator" in schema


def test_console_script_exits_non_zero_with_one_line(env: Path) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "safefeed"), "policy", "show", "content"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: subject 'content' must be TYPE:ID, e.g. content:c42"
    ]


def test_review_claim_reports_when_the_lease_ends_and_renews_it(
    env: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    (case_id,) = seed_cases(database, 1)
    assert main(["review", "add-member", "standard", "key:alice"]) == 0
    capsys.readouterr()
    assert main(["review", "claim", case_id, "--actor", "key:alice"]) == 0
    claimed = json.loads(capsys.readouterr().out)
    start, end = (datetime.fromisoformat(claimed[k]) for k in ("claimed_at", "claim_expires_at"))
    assert end - start == timedelta(minutes=30)
    assert main(["review", "claim", case_id, "--actor", "key:alice"]) == 0
    renewed = json.loads(capsys.readouterr().out)
    assert (renewed["claimed_at"], renewed["renewed"]) == (claimed["claimed_at"], True)
    assert renewed["claim_expires_at"] >= claimed["claim_expires_at"]

"""Risk commands: replay, scenarios, evaluate, and the review queue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from safefeed.cli.common import (
    ActorOption,
    console,
    default_actor,
    default_owner,
    open_runtime,
    print_json,
)
from safefeed.exceptions import InputError
from safefeed.review.decisions import Decision
from safefeed.review.queue import ReviewQueue, Viewer
from safefeed.risk.config import load_risk_config
from safefeed.runtime import Runtime
from safefeed.signals.registry import load_classifier

__all__ = ["register", "review_app", "scenarios_app"]

scenarios_app = typer.Typer(help="Scenario event logs with ground truth.", no_args_is_help=True)
review_app = typer.Typer(help="The risk review queue.", no_args_is_help=True)


def _queue(runtime: Runtime) -> ReviewQueue:
    return ReviewQueue(runtime.audit, runtime.clock, runtime.risk.config, runtime.risk.ledger)


def register(app: typer.Typer) -> None:
    """Add ``replay`` and ``evaluate`` to the top-level app."""

    @app.command()
    def replay(
        events: Annotated[Path, typer.Argument(help="JSON Lines event log (v1 contract)")],
        out: Annotated[Path, typer.Option("--out", help="directory for cases.jsonl, summary.json")],
        phase: Annotated[str | None, typer.Option(help="shadow | limited | expanded")] = None,
        config: Annotated[Path | None, typer.Option(help="risk configuration YAML")] = None,
        classifier: Annotated[str, typer.Option(help="text classifier for chat")] = "keyword",
    ) -> None:
        """Replay an event log through the risk funnel on the events' own clock."""
        from safefeed.risk.replay import replay as run

        if phase not in (None, "shadow", "limited", "expanded"):
            raise InputError("--phase must be shadow, limited or expanded")
        settings = load_risk_config(config, phase=phase)  # type: ignore[arg-type]
        result, summary = run(events, out, settings, classifier=load_classifier(classifier))
        rate = result.lines / result.seconds if result.seconds else 0.0
        console.print(
            f"{result.lines} lines ({result.consumed} consumed, {result.duplicates} re-sent, "
            f"{result.skipped} skipped, {len(result.rejected)} rejected, "
            f"{result.out_of_order} out of time order) "
            f"in {result.seconds:.2f}s ({rate:,.0f} lines/s); "
            f"{summary['cases']} cases {summary['cases_by_peak_tier']} -> {out}"
        )

    @app.command()
    def evaluate(
        cases: Annotated[Path, typer.Argument(help="cases.jsonl from replay")],
        truth: Annotated[Path, typer.Argument(help="truth.json from scenarios generate")],
        out: Annotated[Path | None, typer.Option(help="write the full report here")] = None,
    ) -> None:
        """Score replayed cases against scenario ground truth."""
        from safefeed.risk.evaluation import evaluate as score
        from safefeed.risk.evaluation import read_case_lines

        for path in (cases, truth):
            if not path.is_file():
                raise InputError(f"no such file: {path}")
        lines = read_case_lines(cases.read_bytes())
        try:
            document = orjson.loads(truth.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise InputError(f"{truth}: malformed JSON: {exc}") from None
        report = score(lines, document)
        if out is not None:
            out.write_text(json.dumps(report, indent=2) + "\n")
        table = Table("metric", "value")
        for key, value in report.items():
            if key not in ("subjects", "benign_false_positives"):
                table.add_row(key, json.dumps(value))
        console.print(table)


@scenarios_app.command("generate")
def generate(
    out: Annotated[Path, typer.Option("--out", help="directory for events.jsonl, truth.json")],
    seed: Annotated[int, typer.Option(help="random seed")] = 1,
    params: Annotated[str | None, typer.Option(help="JSON object of ScenarioParams")] = None,
) -> None:
    """Write a scenario event log and its ground truth."""
    from safefeed.risk.scenarios import ScenarioParams, generate_scenarios

    try:
        chosen = ScenarioParams(**json.loads(params)) if params else ScenarioParams()
    except (TypeError, ValueError) as exc:
        raise InputError(f"--params: {exc}") from None
    events, truth = generate_scenarios(seed, chosen)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "events.jsonl").open("wb") as sink:
        for event in events:
            sink.write(orjson.dumps(event) + b"\n")
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    console.print(f"{len(events)} events, {len(truth['subjects'])} subjects -> {out}")


@review_app.command("list")
def list_cases(
    actor: Annotated[str | None, ActorOption] = None,
    status: Annotated[str, typer.Option(help="waiting | claimed | decided | closed")] = "waiting",
    all_queues: Annotated[bool, typer.Option("--all", help="every queue (auditing)")] = False,
) -> None:
    """Cases in your queues, highest priority first."""
    with open_runtime() as runtime, runtime.database.read() as conn:
        viewer = Viewer(actor or default_actor(), sees_all=all_queues)
        print_json(_queue(runtime).list_cases(conn, viewer, status=status))


@review_app.command("claim")
def claim(
    case_id: Annotated[str | None, typer.Argument(help="case id (default: the next one)")] = None,
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Claim a case, or the highest-priority waiting one in your queues.

    The claim holds until its `claim_expires_at` (the risk configuration's
    `review.claim_lease_minutes`); claiming the case again renews it. Once it lapses,
    the case waits again and another moderator may take it over.
    """
    who = actor or default_actor()
    with open_runtime() as runtime, runtime.database.write() as conn:
        queue = _queue(runtime)
        result: Any = queue.claim(conn, case_id, who) if case_id else queue.claim_next(conn, who)
    print_json(result)


@review_app.command("release")
def release(
    case_id: Annotated[str, typer.Argument(help="a case you hold")],
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Give a case you hold back to its queue (your lapsed claim too, while nobody
    took it over), for another moderator to claim."""
    with open_runtime() as runtime, runtime.database.write() as conn:
        _queue(runtime).release(conn, case_id, actor or default_actor())
    print_json({"case_id": case_id, "status": "waiting"})


@review_app.command("decide")
def decide(
    case_id: Annotated[str, typer.Argument(help="a case you hold")],
    decision: Annotated[str, typer.Option(help="the decision as JSON (see the API schema)")],
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Decide a case you hold, as the person logged in at this terminal (who cannot
    approve a change they made, under any actor or API key of theirs)."""
    try:
        parsed = Decision.model_validate_json(decision)
    except ValueError as exc:
        raise InputError(f"--decision: {exc}") from None
    with open_runtime() as runtime, runtime.database.write() as conn:
        decided = _queue(runtime).decide(
            conn, case_id, actor or default_actor(), parsed, owner=default_owner()
        )
    print_json(decided)


@review_app.command("metrics")
def metrics() -> None:
    """Oldest waiting case and share inside the time target, per tier."""
    with open_runtime() as runtime, runtime.database.read() as conn:
        print_json(_queue(runtime).metrics(conn))


@review_app.command("reach")
def reach(
    limit: Annotated[int, typer.Option(min=1, help="at most this many items")] = 50,
) -> None:
    """Items that spread without a moderator's decision, highest priority first.

    Flagged ones are held from feeds until decided. Decide an item with
    `safefeed policy set content:ID STATE --review-status moderator_decision --reason ...`
    (or PUT /v1/policy/content/ID with that review_status).
    """
    from safefeed.feed.state.reach_review import due_for_review

    with open_runtime() as runtime, runtime.database.read() as conn:
        cases = due_for_review(conn, runtime.feed.config.reach_review, limit=limit)
    print_json([case.as_dict() for case in cases])


@review_app.command("add-member")
def add_member(
    queue: Annotated[str, typer.Argument(help="priority | standard | triage")],
    member: Annotated[str, typer.Argument(help="the moderator's actor name")],
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Let a moderator work a queue."""
    with open_runtime() as runtime, runtime.database.write() as conn:
        _queue(runtime).add_member(conn, queue, member, by=actor or default_actor())
    console.print(f"{member} works queue {queue}")

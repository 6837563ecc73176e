"""The audit log: append records inside the caller's transaction, read them, verify the chain.

Records live in ``audit_log`` ordered by ``seq``; ``audit_head`` holds the newest record's
seq and hash, so that deleting the tail is as visible as deleting the middle.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Literal

import orjson
from sqlalchemy import Connection, Row, Text, cast, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import Insert

from safefeed.audit.chain import (
    GENESIS,
    canonical_json,
    format_time,
    record_body,
    record_hash,
    to_json_value,
)
from safefeed.clock import Clock, from_us, to_us
from safefeed.exceptions import InputError, StoreError
from safefeed.store.tables import AuditHead, AuditRecord
from safefeed.types import SubjectKey

__all__ = ["AuditEntry", "AuditLog", "Problem", "ProblemKind", "VerifyReport", "parse_anchor"]

_AnyRow = Row[*tuple[Any, ...]]

ProblemKind = Literal["edited", "deleted", "inserted", "reordered", "truncated", "anchor_mismatch"]

_KIND_ORDER: Final = {
    kind: i
    for i, kind in enumerate(
        ("anchor_mismatch", "edited", "deleted", "inserted", "reordered", "truncated")
    )
}
_HEAD_ID: Final = 1
_HEX: Final = frozenset("0123456789abcdef")
_MAX_PROBLEMS: Final = 1000
_MAX_LIMIT: Final = 10_000
_FIELDS: Final = frozenset({"actor", "action", "reason", "subject", "versions", "details"})
# Column widths of the schema: SQLite would accept longer text, PostgreSQL would not.
_WIDTHS: Final = {"actor": 256, "action": 64, "subject_type": 32, "subject_id": 256}

_COLUMNS: Final = (
    AuditRecord.seq,
    AuditRecord.ts_us,
    AuditRecord.actor,
    AuditRecord.action,
    AuditRecord.subject_type,
    AuditRecord.subject_id,
    AuditRecord.reason,
    # Read JSON as stored text: a corrupted document must reach verify as "edited",
    # not fail inside the driver's JSON decoder.
    cast(AuditRecord.versions, Text).label("versions"),
    cast(AuditRecord.details, Text).label("details"),
    AuditRecord.prev_hash,
    AuditRecord.hash,
)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One record of the audit log: who did what, why, to which subject, under which versions."""

    seq: int
    at: datetime
    actor: str
    action: str
    reason: str
    subject: SubjectKey | None
    versions: dict[str, str]
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        """The hashed content (everything but seq and the two hashes)."""
        return record_body(
            at=self.at,
            actor=self.actor,
            action=self.action,
            reason=self.reason,
            subject=self.subject,
            versions=self.versions,
            details=self.details,
        )

    def as_dict(self) -> dict[str, Any]:
        """The JSON-ready form used by the API."""
        return {
            "seq": self.seq,
            "at": format_time(self.at),
            "actor": self.actor,
            "action": self.action,
            "reason": self.reason,
            "subject_type": None if self.subject is None else self.subject[0],
            "subject_id": None if self.subject is None else self.subject[1],
            "versions": dict(self.versions),
            "details": dict(self.details),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    def export_line(self) -> bytes:
        """The record as one line of an export (`safefeed audit export`, the API's
        ``/v1/audit/export``): its `as_dict` in canonical JSON and a newline, the form
        ``docs/audit.md`` verifies outside safefeed."""
        return canonical_json(self.as_dict()) + b"\n"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of `AuditLog.verify`: what kind of tampering, at which record."""

    seq: int
    kind: ProblemKind
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON-ready form used by the API."""
        return {"seq": self.seq, "kind": self.kind, "message": self.message}


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of `AuditLog.verify`; ``omitted`` counts problems past the report's cap."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problems: tuple[Problem, ...]
    omitted: int = 0

    def summary(self) -> str:
        """One human-readable line per problem (one line in all when the chain is intact)."""
        if self.ok:
            return f"ok: {self.checked} records verified, head at seq {self.head_seq}"
        lines = [f"seq {p.seq}: {p.kind}: {p.message}" for p in self.problems]
        if self.omitted:
            lines.append(f"... and {self.omitted} more problems")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """The JSON-ready form used by the API."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "problems": [p.as_dict() for p in self.problems],
            "omitted": self.omitted,
        }


def parse_anchor(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` as `audit head` prints it, as the (seq, hash) anchor `AuditLog.verify` takes.

    The hash may come back in upper case from wherever it was kept; it is compared in
    the lower case the log stores, so that a faithful copy is never reported as a
    rewrite. Raises `InputError` unless SEQ is a number and HASH 64 hex digits.
    """
    seq, _, digest = text.strip().partition(":")
    digest = digest.lower()
    if not seq.isdigit() or len(digest) != 64 or not set(digest) <= _HEX:
        raise InputError("an anchor is SEQ:HASH with a 64-character SHA-256 hex hash")
    return int(seq), digest


class AuditLog:
    """The tamper-evident audit log.

    Every change to policy, thresholds, models or access is appended here by the code
    that makes it, inside the same write transaction, so the record and the change
    commit together or not at all.
    """

    def __init__(self, clock: Clock, *, chunk_size: int = 5000) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        self.clock = clock
        self.chunk_size = chunk_size

    # ------------------------------------------------------------ writing

    def append(
        self,
        conn: Connection,
        *,
        actor: str,
        action: str,
        reason: str,
        subject: SubjectKey | None = None,
        versions: Mapping[str, str] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one record within ``conn``'s write transaction and return it.

        Raises `InputError` when the actor, action or reason is empty, or a value has
        no exact JSON form (NaN, a naive datetime, a set ...).
        """
        record = {
            "actor": actor,
            "action": action,
            "reason": reason,
            "subject": subject,
            "versions": versions,
            "details": details,
        }
        return self.append_many(conn, [record])[0]

    def append_many(
        self, conn: Connection, records: Iterable[Mapping[str, Any]]
    ) -> list[AuditEntry]:
        """Append several records in one go: one head read and write, one batched insert.

        Each mapping holds the keyword arguments of `append`. All records get the same
        time. Nothing is written unless every record is valid.
        """
        drafts = [_draft(record) for record in records]
        if not drafts:
            return []
        ts_us = to_us(self.clock.now())
        at = from_us(ts_us)
        seq, prev = _lock_head(conn)
        entries: list[AuditEntry] = []
        for draft in drafts:
            seq += 1
            body = record_body(at=at, **draft)
            try:
                digest = record_hash(prev, body)
            except ValueError as exc:  # text that is not valid Unicode
                raise InputError(f"audit record is not encodable as UTF-8: {exc}") from None
            entries.append(AuditEntry(seq=seq, at=at, prev_hash=prev, hash=digest, **draft))
            prev = digest
        rows = [
            {
                "seq": e.seq,
                "ts_us": ts_us,
                "actor": e.actor,
                "action": e.action,
                "subject_type": None if e.subject is None else e.subject[0],
                "subject_id": None if e.subject is None else e.subject[1],
                "reason": e.reason,
                "versions": e.versions,
                "details": e.details,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in entries
        ]
        try:
            conn.execute(insert(AuditRecord), rows)
        except IntegrityError as exc:
            raise StoreError(
                f"audit record {entries[0].seq} already exists: the head row is behind the "
                "log (verify the chain)"
            ) from exc
        conn.execute(update(AuditHead).where(AuditHead.id == _HEAD_ID).values(seq=seq, hash=prev))
        return entries

    # ------------------------------------------------------------ reading

    def entries(
        self,
        conn: Connection,
        *,
        after_seq: int = 0,
        limit: int = 100,
        action: str | None = None,
        subject: SubjectKey | None = None,
        actor: str | None = None,
    ) -> list[AuditEntry]:
        """Records with seq above ``after_seq``, oldest first, optionally filtered."""
        if not 1 <= limit <= _MAX_LIMIT:
            raise InputError(f"limit must be between 1 and {_MAX_LIMIT}")
        query = select(*_COLUMNS).where(AuditRecord.seq > after_seq)
        if action is not None:
            query = query.where(AuditRecord.action == action)
        if actor is not None:
            query = query.where(AuditRecord.actor == actor)
        if subject is not None:
            query = query.where(
                AuditRecord.subject_type == subject[0], AuditRecord.subject_id == subject[1]
            )
        return [_read(row) for row in conn.execute(query.order_by(AuditRecord.seq).limit(limit))]

    def export(self, conn: Connection) -> Iterator[AuditEntry]:
        """Every record, oldest first, read in pages so memory stays flat for any length.

        Run it in one read transaction for a consistent copy. Raises `StoreError` at a
        record that cannot be decoded (verify names what happened to it).
        """
        for row in self._stream(conn, _COLUMNS):
            yield _read(row)

    def head(self, conn: Connection) -> tuple[int, str]:
        """The newest record's (seq, hash); ``(0, GENESIS)`` for an empty log."""
        row = conn.execute(
            select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == _HEAD_ID)
        ).first()
        return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))

    # ------------------------------------------------------------ verifying

    def verify(self, conn: Connection, *, anchor: tuple[int, str] | None = None) -> VerifyReport:
        """Check every record's hash and every link, and name each kind of tampering.

        ``anchor`` is a (seq, hash) pair kept outside the store (printed, mailed,
        published); it catches a chain rewritten from some record on with every hash
        recomputed, which no check inside the store can see.

        Run it in one read transaction: `Database.read()` is a snapshot on both back
        ends. (Under READ COMMITTED, records appended meanwhile are checked as far as
        they were read.) The log is read in chunks, twice at most: memory stays
        constant for an intact log and grows with the number of broken links, never
        with the length of the log.
        """
        if anchor is not None and anchor[0] < 0:
            raise InputError("an anchor's seq cannot be negative")
        head_seq, head_hash = self.head(conn)
        scan = _Scan(anchor)
        for row in self._stream(conn, _COLUMNS):
            scan.add(row)
        problems = scan.finish()
        runs = scan.runs

        started_at = head_hash
        if runs and self.head(conn) != (head_seq, head_hash):
            # Appends committed while we read (READ COMMITTED on PostgreSQL) extend the
            # chain past the head we started from: check up to the newest record read,
            # and hold the starting head to its record like an anchor.
            head_hash = runs[-1].last_hash
        targets = {run.first_prev for run in runs}
        if not runs or head_hash not in (runs[-1].last_hash, runs[-1].last_alt):
            targets.add(head_hash)
        if started_at != head_hash:
            targets.add(started_at)
        targets.discard(GENESIS)
        located = self._locate(conn, targets) if targets else {}
        if started_at not in (head_hash, GENESIS) and started_at not in located:
            problems.append(Problem(head_seq, "truncated", _missing_head(head_seq, started_at)))
        problems += _classify(runs, located, head_seq, head_hash)

        problems.sort(key=lambda p: (p.seq, _KIND_ORDER[p.kind]))
        omitted = scan.omitted + max(0, len(problems) - _MAX_PROBLEMS)
        return VerifyReport(
            ok=not problems and not omitted,
            checked=scan.checked,
            head_seq=head_seq,
            head_hash=started_at,
            problems=tuple(problems[:_MAX_PROBLEMS]),
            omitted=omitted,
        )

    def _stream(self, conn: Connection, columns: Sequence[Any]) -> Iterator[_AnyRow]:
        # Keyset pages rather than one cursor: bounded memory on every driver, and no
        # long-lived server-side cursor on PostgreSQL.
        query = select(*columns).order_by(AuditRecord.seq).limit(self.chunk_size)
        rows = conn.execute(query).all()
        while rows:
            yield from rows
            if len(rows) < self.chunk_size:
                return
            rows = conn.execute(query.where(AuditRecord.seq > rows[-1].seq)).all()

    def _locate(self, conn: Connection, targets: set[str]) -> dict[str, _Located]:
        """Where the records with the given hashes are (first occurrence of each)."""
        located: dict[str, _Located] = {}
        previous: _Located | None = None
        for ordinal, row in enumerate(self._stream(conn, (AuditRecord.seq, AuditRecord.hash))):
            if previous is not None:
                previous.next_seq = int(row.seq)
                previous = None
            digest = str(row.hash)
            if digest in targets and digest not in located:
                previous = located[digest] = _Located(int(row.seq), ordinal)
        return located


# ---------------------------------------------------------------- appending


def _draft(record: Mapping[str, Any]) -> dict[str, Any]:
    """Validated, normalised keyword arguments for `record_body`/`AuditEntry` (sans time)."""
    unknown = set(record) - _FIELDS
    if unknown:
        raise InputError(f"unknown audit record field(s): {', '.join(sorted(unknown))}")
    actor = _text(record.get("actor"), "actor")
    action = _text(record.get("action"), "action")
    reason = _text(record.get("reason"), "reason")
    subject = record.get("subject")
    if subject is not None:
        if not isinstance(subject, tuple | list) or len(subject) != 2:
            raise InputError("an audit subject is a (subject_type, subject_id) pair")
        subject = (_text(subject[0], "subject_type"), _text(subject[1], "subject_id"))
    versions = record.get("versions") or {}
    if not isinstance(versions, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in versions.items()
    ):
        raise InputError("audit versions map names to version strings")
    details = record.get("details") or {}
    if not isinstance(details, Mapping):
        raise InputError("audit details must be a mapping")
    try:
        details = to_json_value(details)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InputError(f"audit details have no exact JSON form: {exc}") from None
    return {
        "actor": actor,
        "action": action,
        "reason": reason,
        "subject": subject,
        "versions": {str.__str__(k): str.__str__(v) for k, v in versions.items()},
        "details": details,
    }


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        # Every change must say who made it and why: an empty answer is no answer.
        raise InputError(f"audit {name} must be a non-empty string")
    if "\x00" in value:
        raise InputError(f"audit {name} contains a NUL character")
    width = _WIDTHS.get(name)
    if width is not None and len(value) > width:
        raise InputError(f"audit {name} is longer than {width} characters")
    return str.__str__(value)


def _lock_head(conn: Connection) -> tuple[int, str]:
    """Lock the head row for this transaction (creating it first if the log is new)."""
    locked = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == _HEAD_ID).with_for_update()
    row = conn.execute(locked).first()
    if row is None:
        # Two first appenders on PostgreSQL both find no row to lock; the conflict-free
        # insert makes the second wait for the first and then lock the row it made.
        conn.execute(_insert_head_if_missing(conn.dialect.name))
        row = conn.execute(locked).one()
    return int(row.seq), str(row.hash)


def _insert_head_if_missing(dialect: str) -> Insert:
    values = {"id": _HEAD_ID, "seq": 0, "hash": GENESIS}
    if dialect == "postgresql":
        return postgresql.insert(AuditHead).values(values).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(AuditHead).values(values).on_conflict_do_nothing()
    return insert(AuditHead).values(values)


def _read(row: _AnyRow) -> AuditEntry:
    try:
        return _decode(row)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"audit record {row.seq} is corrupt ({exc}): verify") from None


def _decode(row: _AnyRow) -> AuditEntry:
    """An entry from a stored row; `ValueError`/`TypeError` when the row is malformed."""
    seq, ts_us, actor, action, subject_type, subject_id, reason, versions, details, prev, digest = (
        row
    )
    versions = orjson.loads(versions)
    details = orjson.loads(details)
    if type(versions) is not dict or not all(type(v) is str for v in versions.values()):
        raise ValueError("versions is not an object of strings")
    if type(details) is not dict:
        raise ValueError("details is not an object")
    if type(ts_us) is not int:
        raise ValueError("ts_us is not an integer")
    for text in (actor, action, reason, prev, digest):
        if type(text) is not str:
            raise ValueError("a text column holds a non-text value")
    subject = None
    if subject_type is not None or subject_id is not None:
        if type(subject_type) is not str or type(subject_id) is not str:
            raise ValueError("half a subject")
        subject = (subject_type, subject_id)
    return AuditEntry(
        int(seq), from_us(ts_us), actor, action, reason, subject, versions, details, prev, digest
    )


# ---------------------------------------------------------------- verifying
#
# The records, in seq order, fall into *runs*: maximal stretches in which each record's
# prev_hash is the hash of the record stored just before it. An intact log is one run
# that starts at GENESIS and ends at the head. Tampering cuts the log into runs, and how
# the cut ends point at each other names the tampering:
#
#   a run's start points at no record       -> records were deleted just before it
#   the head points at no record            -> the tail was deleted (truncated)
#   two records point at the same record    -> one branch is spliced in: the branch that
#                                              does not lead to the head is "inserted"
#   every link resolves, order differs      -> records were moved ("reordered")
#
# Only the runs' ends are kept (a second pass looks up the few hashes they point at), so
# memory is O(number of broken links), independent of the length of the log.


@dataclass(slots=True)
class _Run:
    first_seq: int
    first_ord: int  # position in stored order, counting from 0
    first_prev: str
    last_seq: int
    last_ord: int
    last_hash: str
    # An edited record's recomputed hash: if the hash column itself was overwritten,
    # the next record still links to the original, which is this one.
    last_alt: str | None = None
    continues: bool = False  # split off the run before it, which it follows


@dataclass(slots=True)
class _Located:
    seq: int
    ordinal: int
    next_seq: int | None = None


class _Scan:
    """The first pass: hashes, anchor and runs, one record at a time."""

    def __init__(self, anchor: tuple[int, str] | None) -> None:
        self.anchor = anchor
        self.anchor_seen = anchor is None or anchor[0] == 0
        self.runs: list[_Run] = []
        self.problems: list[Problem] = []
        self.checked = 0
        self.omitted = 0

    def add(self, row: _AnyRow) -> None:
        ordinal = self.checked
        self.checked += 1
        seq, stored, prev = int(row.seq), str(row.hash), str(row.prev_hash)
        recomputed: str | None = None
        try:
            recomputed = record_hash(prev, _decode(row).body())
        except (TypeError, ValueError, RecursionError) as exc:
            self._report(Problem(seq, "edited", f"record {seq} is malformed ({exc})"))
        else:
            if recomputed != stored:
                message = f"record {seq}'s content no longer matches its hash: it was edited"
                self._report(Problem(seq, "edited", message))
        edited = recomputed != stored
        if self.anchor is not None and seq == self.anchor[0]:
            self.anchor_seen = True
            if self.anchor[1] not in (stored, recomputed):
                message = (
                    f"the anchor says record {seq} has hash {self.anchor[1][:12]}…, but it has "
                    f"{stored[:12]}…: the chain was rewritten from record {seq} or earlier"
                )
                self._report(Problem(seq, "anchor_mismatch", message))
        run = self.runs[-1] if self.runs else None
        alt = recomputed if edited else None
        # An edited record is taken to sit where it is: its prev_hash is not trusted.
        if run is not None and (edited or prev in (run.last_hash, run.last_alt)):
            run.last_seq, run.last_ord, run.last_hash, run.last_alt = seq, ordinal, stored, alt
        else:
            first_prev = GENESIS if run is None and edited else prev
            self.runs.append(_Run(seq, ordinal, first_prev, seq, ordinal, stored, alt))

    def finish(self) -> list[Problem]:
        if not self.anchor_seen and self.anchor is not None:
            seq = self.anchor[0]
            message = f"the anchor names record {seq}, but the log has no record {seq}"
            self._report(Problem(seq, "anchor_mismatch", message))
        if self.anchor is not None and self.anchor[0] == 0 and self.anchor[1] != GENESIS:
            self._report(Problem(0, "anchor_mismatch", "an anchor at seq 0 must be GENESIS"))
        return self.problems

    def _report(self, problem: Problem) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.omitted += 1


_GEN: Final = -1  # the virtual record before the first
_MISSING: Final = -2  # a link to a hash no record has


def _classify(
    runs: list[_Run], located: dict[str, _Located], head_seq: int, head_hash: str
) -> list[Problem]:
    """Name the tampering that cut the log into ``runs`` (see the comment above)."""
    pieces = _split(runs, located)
    ending = {piece.last_ord: i for i, piece in enumerate(pieces)}

    def target(digest: str) -> int:
        if digest == GENESIS:
            return _GEN
        found = located.get(digest)
        return _MISSING if found is None else ending[found.ordinal]

    preds = [i - 1 if p.continues else target(p.first_prev) for i, p in enumerate(pieces)]
    last = len(pieces) - 1
    if pieces and head_hash in (pieces[-1].last_hash, pieces[-1].last_alt):
        head_pred = last
    else:
        head_pred = target(head_hash)
    followed = {p for p in preds if p != _MISSING} | {head_pred}

    # A dangling end stored right before a start that points nowhere is one gap: the
    # records deleted between them.
    gaps = set()
    for i, pred in enumerate(preds):
        before = i - 1 if i else _GEN
        if pred == _MISSING and before not in followed:
            preds[i] = before
            followed.add(before)
            gaps.add(i)
    truncated = head_pred == _MISSING
    if truncated:
        head_pred = last if pieces else _GEN
        if head_pred in followed:
            dangling = [i for i in range(len(pieces)) if i not in followed]
            head_pred = dangling[-1] if dangling else _GEN

    chain: list[int] = []  # the pieces that lead to the head, head last
    node = head_pred
    while node >= 0 and node not in chain:
        chain.append(node)
        node = preds[node]
    chain.reverse()

    problems = []
    last_seq = pieces[-1].last_seq if pieces else 0
    if truncated:
        problems.append(_truncated(head_seq, head_hash, last_seq))
    if node == _MISSING:
        first = pieces[chain[0]]
        message = (
            f"record {first.first_seq} follows a record that is not in the log "
            f"(prev_hash {first.first_prev[:12]}…): records before it were deleted"
        )
        problems.append(Problem(first.first_seq, "deleted", message))
    problems += [_deleted(pieces, i) for i in chain if i in gaps]
    on_chain = set(chain)
    for i, piece in enumerate(pieces):
        if i not in on_chain:
            message = (
                f"{_span(piece)} not in the chain that leads to the head row "
                f"(seq {head_seq}): spliced in outside the log"
            )
            problems.append(Problem(piece.first_seq, "inserted", message))
    problems += _reordered(pieces, chain, preds)
    if not problems and pieces and head_seq > last_seq:
        # Links intact, yet the head row names a later seq: the tail was cut and the
        # head row's hash (not its seq) moved back to the new last record.
        problems.append(_truncated(head_seq, head_hash, last_seq))
    return problems


def _split(runs: list[_Run], located: dict[str, _Located]) -> list[_Run]:
    """Cut runs after every record that some link points at, so links only hit ends."""
    cuts = sorted((at.ordinal, at.seq, digest, at.next_seq) for digest, at in located.items())
    keys = [cut[0] for cut in cuts]
    pieces = []
    for run in runs:
        piece = replace(run)
        for ordinal, seq, digest, next_seq in cuts[bisect_left(keys, run.first_ord) :]:
            if ordinal >= run.last_ord:
                break
            assert next_seq is not None  # a record follows inside the run
            cut = replace(piece, last_seq=seq, last_ord=ordinal, last_hash=digest, last_alt=None)
            pieces.append(cut)
            piece = replace(
                piece, first_seq=next_seq, first_ord=ordinal + 1, first_prev=digest, continues=True
            )
        pieces.append(piece)
    return pieces


def _deleted(pieces: list[_Run], i: int) -> Problem:
    piece = pieces[i]
    seq, prev = piece.first_seq, piece.first_prev[:12]
    if i == 0:
        message = (
            f"record {seq} is the first record, but its prev_hash {prev}… is not the genesis "
            "hash and matches no record: the records before it were deleted"
        )
    else:
        before = pieces[i - 1].last_seq
        message = (
            f"record {seq} does not follow record {before}: its prev_hash {prev}… matches no "
            f"record, so records between seq {before} and {seq} were deleted "
            f"(or record {before} was rewritten and re-hashed)"
        )
    return Problem(seq, "deleted", message)


def _reordered(pieces: list[_Run], chain: list[int], preds: list[int]) -> list[Problem]:
    """Pieces whose rank in chain order differs from their rank in stored order."""
    sizes = {i: pieces[i].last_ord - pieces[i].first_ord + 1 for i in chain}
    chain_rank, rank = {}, 0
    for i in chain:
        chain_rank[i], rank = rank, rank + sizes[i]
    problems: list[Problem] = []
    rank, previous = 0, _GEN
    for i in sorted(chain):
        if chain_rank[i] != rank:
            pred = preds[i]
            follows = "the genesis hash" if pred == _GEN else f"record {pieces[pred].last_seq}"
            stored = "first" if previous == _GEN else f"after record {pieces[previous].last_seq}"
            one = pieces[i].first_seq == pieces[i].last_seq
            pronoun, verb, be = ("it", "follows", "is") if one else ("they", "follow", "are")
            message = (
                f"{_span(pieces[i])} out of order: in the chain {pronoun} {verb} {follows}, "
                f"but {pronoun} {be} stored {stored}"
            )
            problems.append(Problem(pieces[i].first_seq, "reordered", message))
        rank += sizes[i]
        previous = i
    return problems


def _truncated(head_seq: int, head_hash: str, last_seq: int) -> Problem:
    if head_seq > last_seq:
        message = (
            f"the log ends at seq {last_seq} but the head row records seq {head_seq}: "
            f"records {last_seq + 1}–{head_seq} were deleted"
        )
        return Problem(last_seq + 1, "truncated", message)
    return Problem(head_seq, "truncated", _missing_head(head_seq, head_hash))


def _missing_head(head_seq: int, head_hash: str) -> str:
    return (
        f"the head row's hash {head_hash[:12]}… (seq {head_seq}) matches no record: the "
        "tail was deleted and replaced, or its last record rewritten and re-hashed"
    )


def _span(piece: _Run) -> str:
    if piece.first_seq == piece.last_seq:
        return f"record {piece.first_seq} is"
    return f"records {piece.first_seq}–{piece.last_seq} are"

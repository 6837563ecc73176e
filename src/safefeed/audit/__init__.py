"""The tamper-evident audit log: every change, with who and why, in one hash chain.

`AuditLog.append` writes a record inside the caller's transaction; `AuditLog.verify`
recomputes the chain and names each kind of tampering (edited, deleted, inserted,
reordered, truncated, or a mismatch with an anchor kept outside the store).
"""

from safefeed.audit.chain import (
    GENESIS,
    JsonValue,
    canonical_json,
    format_time,
    record_body,
    record_hash,
    to_json_value,
)
from safefeed.audit.log import (
    AuditEntry,
    AuditLog,
    Problem,
    ProblemKind,
    VerifyReport,
    parse_anchor,
)

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditLog",
    "JsonValue",
    "Problem",
    "ProblemKind",
    "VerifyReport",
    "canonical_json",
    "format_time",
    "parse_anchor",
    "record_body",
    "record_hash",
    "to_json_value",
]

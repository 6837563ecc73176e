"""The vocabulary of the eligibility gate: actions, rule outcomes, decisions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

__all__ = [
    "ACTION_NAMES",
    "MANDATORY_RULES",
    "RULE_NAMES",
    "Action",
    "GateDecision",
    "RuleOutcome",
    "RuleStatus",
]


class Action(IntEnum):
    """What the gate does with a candidate, in severity order: the strictest wins."""

    ALLOW = 0
    DOWNRANK = 1
    LIMIT = 2
    LABEL = 3
    DROP = 4


#: Each action's name as it appears in decisions and traces, indexed by its value.
ACTION_NAMES = tuple(action.name.lower() for action in Action)

RuleStatus = Literal["applied", "not_applicable", "disabled", "missing_data"]

#: Every rule the gate knows, in the order the default policy runs them.
RULE_NAMES: tuple[str, ...] = (
    "snapshot_fresh",
    "kill_switch",
    "denylist",
    "content_state",
    "creator_state",
    "audience_age",
    "region",
    "user_blocks",
    "expiry",
)

#: Rules no policy document may disable or leave out: the hard safety constraints.
MANDATORY_RULES: frozenset[str] = frozenset(
    {"snapshot_fresh", "kill_switch", "denylist", "content_state", "audience_age"}
)


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What one rule said about one candidate, kept for the debug trace."""

    rule: str
    status: RuleStatus
    action: Action
    reason: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "status": self.status,
            "action": ACTION_NAMES[self.action],
            "reason": self.reason,
        }


class GateDecision:
    """The gate's verdict on one candidate: the strictest action and why.

    The per-rule outcomes are assembled on first access: a feed request checks
    thousands of candidates and needs only their actions, a trace needs the rest.
    """

    __slots__ = ("_outcomes", "_parts", "action", "config_version", "content_id", "policy_revision")

    def __init__(
        self,
        content_id: str,
        action: Action,
        *,
        policy_revision: int,
        config_version: str,
        parts: tuple[tuple[RuleOutcome | None, ...], tuple[RuleOutcome, ...]],
    ) -> None:
        self.content_id = content_id
        self.action = action
        self.policy_revision = policy_revision
        self.config_version = config_version
        self._outcomes: tuple[RuleOutcome, ...] | None = None
        # (item outcomes with None where a request rule goes, request outcomes in order)
        self._parts = parts

    @property
    def outcomes(self) -> tuple[RuleOutcome, ...]:
        """Every rule's outcome, in the surface's rule order."""
        if self._outcomes is None:
            slots, request = self._parts
            fill = iter(request)
            self._outcomes = tuple(o if o is not None else next(fill) for o in slots)
        return self._outcomes

    @property
    def eligible(self) -> bool:
        """True unless the candidate must be dropped."""
        return self.action < Action.DROP

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons of every rule that did more than allow."""
        return tuple(o.reason for o in self.outcomes if o.action > Action.ALLOW and o.reason)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GateDecision):
            return NotImplemented
        return (
            self.content_id,
            self.action,
            self.outcomes,
            self.policy_revision,
            self.config_version,
        ) == (
            other.content_id,
            other.action,
            other.outcomes,
            other.policy_revision,
            other.config_version,
        )

    def __hash__(self) -> int:
        return hash((self.content_id, self.action, self.policy_revision))

    def __repr__(self) -> str:
        return f"GateDecision({self.content_id!r}, {self.action.name})"

    def as_dict(self) -> dict[str, object]:
        return {
            "content_id": self.content_id,
            "action": ACTION_NAMES[self.action],
            "eligible": self.eligible,
            "reasons": list(self.reasons),
            "rules": [o.as_dict() for o in self.outcomes],
            "policy_revision": self.policy_revision,
            "config_version": self.config_version,
        }

"""Records held by the policy store: policy state, denylist entries, kill switches."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, get_args

from safefeed.types import PolicyState, Recommendability, SubjectKey

__all__ = [
    "DENYLIST_KINDS",
    "GLOBAL_SCOPES",
    "KILL_SWITCH_SCOPES",
    "MODERATOR_DECISION",
    "TARGETED_SCOPES",
    "DenylistKind",
    "DenylistRecord",
    "KillSwitchRecord",
    "KillSwitchScope",
    "PolicyRecord",
    "topic_key",
]


@lru_cache(maxsize=65_536)  # a platform's topics repeat on every item and request
def topic_key(topic: str) -> str:
    """The form in which topics are compared by the rules that name one (denylist,
    kill switches, a user's exclusions): platforms send their own case, spacing and
    full-width forms, and an entry written once must match every spelling.

    >>> topic_key(" Diet  Tips") == topic_key("diet tips") == topic_key("ＤＩＥＴ tips")
    True
    """
    return " ".join(unicodedata.normalize("NFKC", topic).split()).casefold()


DenylistKind = Literal["content", "creator", "topic", "campaign"]
DENYLIST_KINDS: tuple[DenylistKind, ...] = get_args(DenylistKind)

KillSwitchScope = Literal[
    "item",
    "creator",
    "topic",
    "category",
    "source",
    "trending",
    "exploration",
    "push",
    "personalized_ranking",
]
KILL_SWITCH_SCOPES: tuple[KillSwitchScope, ...] = get_args(KillSwitchScope)
#: Scopes that name a target (an item, a creator, a topic, a category or a source).
TARGETED_SCOPES: frozenset[str] = frozenset({"item", "creator", "topic", "category", "source"})
#: Scopes that switch a whole mechanism off; their target is always ``"*"``.
GLOBAL_SCOPES: frozenset[str] = frozenset(KILL_SWITCH_SCOPES) - TARGETED_SCOPES
#: ``review_status`` of a policy state a moderator decided (the review queue sets it;
#: the feed's safety score stops counting once it is there).
MODERATOR_DECISION = "moderator_decision"


@dataclass(frozen=True, slots=True)
class PolicyRecord:
    """The policy state of one subject (content item or creator, or any subject type)."""

    subject: SubjectKey
    state: PolicyState
    policy_version: str
    reasons: tuple[str, ...] = ()
    surfaces: dict[str, Recommendability] = field(default_factory=dict)
    review_status: str | None = None
    updated_at: datetime | None = None
    revision: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject_type": self.subject[0],
            "subject_id": self.subject[1],
            "policy_state": self.state,
            "policy_version": self.policy_version,
            "reasons": list(self.reasons),
            "surfaces": dict(self.surfaces),
            "review_status": self.review_status,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "revision": self.revision,
        }


@dataclass(frozen=True, slots=True)
class DenylistRecord:
    kind: DenylistKind
    value: str
    actor: str
    reason: str
    updated_at: datetime
    active: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "active": self.active,
            "actor": self.actor,
            "reason": self.reason,
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class KillSwitchRecord:
    scope: KillSwitchScope
    target: str
    actor: str
    reason: str
    updated_at: datetime
    active: bool = True
    expires_at: datetime | None = None

    def in_force(self, now: datetime) -> bool:
        """Active and not past its expiry: a switch with a TTL lapses on its own."""
        return self.active and (self.expires_at is None or now < self.expires_at)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "target": self.target,
            "active": self.active,
            "actor": self.actor,
            "reason": self.reason,
            "updated_at": self.updated_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }

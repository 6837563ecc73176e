"""The policy store and the safety eligibility gate.

Policy state per item and creator with recommendability per surface, the
denylist / tombstone set, kill switches, versioned policy configuration, the
per-process `PolicyCache`, and the one gate every feed stage calls.
"""

from safefeed.policy.config import PolicyConfig, default_policy_config, parse_policy_config
from safefeed.policy.consumer import PolicyEventConsumer
from safefeed.policy.gate import Candidate, RequestContext, evaluate, evaluate_one
from safefeed.policy.records import (
    DENYLIST_KINDS,
    KILL_SWITCH_SCOPES,
    DenylistRecord,
    KillSwitchRecord,
    PolicyRecord,
)
from safefeed.policy.rules import MANDATORY_RULES, RULE_NAMES, Action, GateDecision, RuleOutcome
from safefeed.policy.snapshot import PolicyCache, PolicyDelta, PolicySnapshot
from safefeed.policy.store import PolicyStore, StateChange
from safefeed.policy.taxonomy import DEFAULT_RECOMMENDABILITY, effective_recommendability

__all__ = [
    "DEFAULT_RECOMMENDABILITY",
    "DENYLIST_KINDS",
    "KILL_SWITCH_SCOPES",
    "MANDATORY_RULES",
    "RULE_NAMES",
    "Action",
    "Candidate",
    "DenylistRecord",
    "GateDecision",
    "KillSwitchRecord",
    "PolicyCache",
    "PolicyConfig",
    "PolicyDelta",
    "PolicyEventConsumer",
    "PolicyRecord",
    "PolicySnapshot",
    "PolicyStore",
    "RequestContext",
    "RuleOutcome",
    "StateChange",
    "default_policy_config",
    "effective_recommendability",
    "evaluate",
    "evaluate_one",
    "parse_policy_config",
]

"""What a moderator may decide on a case, as a validated value object."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from safefeed.risk.config import InterventionKind

__all__ = ["Decision", "InterventionChange", "SignalFeedback"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class InterventionChange(_Model):
    """Apply a new intervention, or adjust (new time to live) or remove an existing one."""

    action: Literal["apply", "adjust", "remove"]
    #: Only the funnel's reversible kinds: an irreversible action's name here would be
    #: recorded as a reversible intervention with no effect, skipping its confirmation.
    kind: InterventionKind | None = None
    intervention_id: int | None = None
    ttl_hours: float | None = Field(default=None, gt=0, le=24 * 14)


class SignalFeedback(_Model):
    """Was a signal behind the case useful? Feeds detector review, never the case itself."""

    signal: str = Field(min_length=1, max_length=64)
    useful: Literal["useful", "not_useful", "misleading"]
    note: str | None = Field(default=None, max_length=2000)


class Decision(_Model):
    """A moderator's decision on a claimed case."""

    #: Approve or reject the funnel's routing (tier and interventions).
    verdict: Literal["approve", "reject"]
    reason: str = Field(min_length=1, max_length=2000)
    interventions: list[InterventionChange] = Field(default_factory=list, max_length=50)
    #: An irreversible action (``suspend_account``, ``remove_content``, ``end_live_session``):
    #: only with an explicit confirmation, and never from a triage queue.
    irreversible_action: str | None = None
    confirm_irreversible: bool = False
    #: Bounded so one request cannot write megabytes of notes into the feedback table.
    feedback: list[SignalFeedback] = Field(default_factory=list, max_length=50)

"""Versioned policy configuration: gate rules per surface, freshness bounds, and the
text-signal thresholds. A document, not code: changing it is a recorded change."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from safefeed.documents import validate_document
from safefeed.exceptions import ConfigError
from safefeed.policy.rules import MANDATORY_RULES, RULE_NAMES, Action
from safefeed.signals.thresholds import TextThresholds
from safefeed.types import PROACTIVE_SURFACES, SURFACES, Surface

__all__ = [
    "ActionName",
    "PolicyConfig",
    "RuleSetting",
    "SurfacePolicy",
    "TextThreshold",
    "default_policy_config",
    "parse_policy_config",
]

ActionName = Literal["allow", "downrank", "limit", "label", "drop"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RuleSetting(_Strict):
    name: str
    enabled: bool = True


class SurfacePolicy(_Strict):
    """The ordered rules one surface runs and what it does with unknown policy state."""

    rules: tuple[RuleSetting, ...]
    unknown_state: ActionName = "limit"

    @property
    def unknown_state_action(self) -> Action:
        return Action[self.unknown_state.upper()]


class TextThreshold(_Strict):
    """Score bands for one text-signal category: at or above ``needs_review`` the item
    is queued for review; at or above ``limit`` its distribution is limited."""

    needs_review: float = Field(ge=0.0, le=1.0)
    limit: float = Field(ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> TextThreshold:
        try:
            self.as_thresholds()
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return self

    def as_thresholds(self) -> TextThresholds:
        return TextThresholds(needs_review=self.needs_review, limit=self.limit)


class PolicyConfig(_Strict):
    """One version of the policy configuration."""

    version: str = Field(min_length=1, max_length=64)
    #: A snapshot older than this makes the gate fail closed.
    freshness_seconds: float = Field(gt=0)
    #: How often a process looks for policy changes; 0 means on every request.
    refresh_seconds: float = Field(ge=0)
    surfaces: dict[Surface, SurfacePolicy]
    text_classifier: str = "profanity"
    text_thresholds: dict[str, TextThreshold] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete_and_safe(self) -> PolicyConfig:
        missing = [s for s in SURFACES if s not in self.surfaces]
        if missing:
            raise ValueError(f"no rules for surface(s): {', '.join(missing)}")
        if self.refresh_seconds >= self.freshness_seconds:
            raise ValueError("refresh_seconds must be below freshness_seconds")
        for surface, policy in self.surfaces.items():
            names = [r.name for r in policy.rules]
            unknown = sorted(set(names) - set(RULE_NAMES))
            if unknown:
                raise ValueError(f"{surface}: unknown rule(s) {unknown}; known: {list(RULE_NAMES)}")
            if len(names) != len(set(names)):
                raise ValueError(f"{surface}: a rule is listed twice")
            enabled = {r.name for r in policy.rules if r.enabled}
            absent = sorted(MANDATORY_RULES - enabled)
            if absent:
                raise ValueError(
                    f"{surface}: mandatory rule(s) {absent} must be listed and enabled"
                )
            if surface in PROACTIVE_SURFACES and policy.unknown_state != "drop":
                raise ValueError(f"{surface}: unknown policy state must be dropped on {surface}")
        return self

    def surface(self, surface: Surface) -> SurfacePolicy:
        return self.surfaces[surface]

    def document(self) -> dict[str, Any]:
        """The JSON-ready document, as stored and audited."""
        return self.model_dump(mode="json")


def parse_policy_config(document: Mapping[str, Any]) -> PolicyConfig:
    """Validate a policy document; every problem is reported in one `ConfigError`."""
    return validate_document(PolicyConfig, document, "policy configuration")


@cache
def default_policy_config() -> PolicyConfig:
    """The policy configuration shipped with the package (``default_policy.yaml``)."""
    text = resources.files("safefeed.policy").joinpath("default_policy.yaml").read_text("utf-8")
    return parse_policy_config(yaml.safe_load(text))

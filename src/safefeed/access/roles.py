"""Roles: what a caller may do. Every HTTP route declares the roles it accepts."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["ROLES", "Role"]

Role = Literal["service", "moderator", "policy_admin", "auditor", "viewer"]
ROLES: tuple[Role, ...] = get_args(Role)

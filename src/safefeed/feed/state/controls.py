"""A user's feed controls and the actions on them: topics to include or exclude,
muted creators, a sensitivity level, non-personalized mode, push opt-in and quiet
hours, and "reset my recommendations"."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, delete, select

from safefeed.store.feed_tables import FeedAffinity, FeedControls, FeedMute, FeedSession
from safefeed.store.tables import table_of
from safefeed.store.upsert import upsert

__all__ = [
    "Sensitivity",
    "UserControls",
    "get_controls",
    "mute_creator",
    "reset_recommendations",
    "set_controls",
    "unmute_creator",
]

_controls = table_of(FeedControls)
_mutes = table_of(FeedMute)
_affinities = table_of(FeedAffinity)
_sessions = table_of(FeedSession)

#: ``standard`` shows labelled (sensitive) items behind their interstitial;
#: ``reduced`` leaves them out; ``strict`` also leaves out limited-distribution items.
Sensitivity = Literal["standard", "reduced", "strict"]


class UserControls(BaseModel):
    """The settings a user chose for their feed."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    include_topics: tuple[str, ...] = Field(default=(), max_length=100)
    exclude_topics: tuple[str, ...] = Field(default=(), max_length=100)
    sensitivity: Sensitivity = "standard"
    non_personalized: bool = False
    push_opt_in: bool = False
    #: Local hours [start, end) with no push; None uses the surface default.
    quiet_hours: tuple[int, int] | None = None


def get_controls(conn: Connection, user_id: str) -> UserControls:
    row = conn.execute(
        select(_controls.c.document).where(_controls.c.user_id == user_id)
    ).scalar_one_or_none()
    return UserControls() if row is None else UserControls.model_validate(row)


def set_controls(conn: Connection, user_id: str, controls: UserControls, now_us: int) -> None:
    existing = conn.execute(
        select(_controls.c.reset_us).where(_controls.c.user_id == user_id)
    ).first()
    upsert(
        conn,
        _controls,
        [
            {
                "user_id": user_id,
                "document": controls.model_dump(mode="json"),
                "reset_us": existing.reset_us if existing else None,
                "updated_us": now_us,
            }
        ],
        keys=["user_id"],
    )


def reset_recommendations(conn: Connection, user_id: str, now_us: int) -> None:
    """Forget the profile and the session; what the user chose (controls, mutes) stays."""
    conn.execute(delete(_affinities).where(_affinities.c.user_id == user_id))
    conn.execute(delete(_sessions).where(_sessions.c.user_id == user_id))
    controls = get_controls(conn, user_id)
    upsert(
        conn,
        _controls,
        [
            {
                "user_id": user_id,
                "document": controls.model_dump(mode="json"),
                "reset_us": now_us,
                "updated_us": now_us,
            }
        ],
        keys=["user_id"],
    )


def mute_creator(conn: Connection, user_id: str, creator_id: str, now_us: int) -> None:
    upsert(
        conn,
        _mutes,
        [{"user_id": user_id, "creator_id": creator_id, "created_us": now_us}],
        keys=["user_id", "creator_id"],
        update=[],
    )


def unmute_creator(conn: Connection, user_id: str, creator_id: str) -> None:
    conn.execute(
        delete(_mutes).where((_mutes.c.user_id == user_id) & (_mutes.c.creator_id == creator_id))
    )

"""The v1 event contract of ``shared/EVENTS.md`` as pydantic models.

`Event` is a discriminated union on ``type``. Models are strict (an id must be a
string, a score a number) and ignore extra fields; the raw line, extra fields and
all, is what the event log stores.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, TypeAdapter

from safefeed.events.fields import (
    Id,
    NonNegative,
    RegionCode,
    Timestamp,
    TimezoneName,
    UnitInterval,
    Version,
)
from safefeed.types import (
    AgeBand,
    ContentFormat,
    FlagSource,
    InteractionKind,
    PolicyState,
    Recommendability,
    Severity,
    SubjectKey,
    SubjectType,
    Surface,
)

__all__ = [
    "ENGAGEMENT_TYPES",
    "EVENT_ADAPTER",
    "EVENT_TYPES",
    "AccountCreated",
    "ContentDeleted",
    "ContentPublished",
    "EnforcementViolation",
    "Engagement",
    "Event",
    "EventBase",
    "Follow",
    "LiveChat",
    "LiveEnded",
    "LiveInteraction",
    "LiveStarted",
    "LiveViewer",
    "ModerationFlag",
    "PolicyChanged",
    "Unfollow",
]


class EventBase(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    event_id: Id
    ts: Timestamp

    #: Attribute names that name a subject, with the subject type they name.
    subject_fields: ClassVar[tuple[tuple[str, str], ...]] = ()

    def subjects(self) -> list[SubjectKey]:
        """Every subject this event is about, for reading the log back by subject."""
        keys: list[SubjectKey] = []
        for attribute, subject_type in self.subject_fields:
            value = getattr(self, attribute, None)
            if value is not None:
                keys.append((subject_type, value))
        return keys


# ---------------------------------------------------------------- accounts and catalog


class AccountCreated(EventBase):
    type: Literal["account.created"]
    user_id: Id
    age_band: AgeBand
    region: RegionCode | None = None
    timezone: TimezoneName | None = None
    language: StrictStr | None = None
    is_creator: StrictBool | None = None
    subject_fields = (("user_id", "user"),)


class Follow(EventBase):
    type: Literal["follow"]
    user_id: Id
    creator_id: Id
    subject_fields = (("user_id", "user"), ("creator_id", "creator"))


class Unfollow(EventBase):
    type: Literal["unfollow"]
    user_id: Id
    creator_id: Id
    subject_fields = (("user_id", "user"), ("creator_id", "creator"))


class ContentPublished(EventBase):
    type: Literal["content.published"]
    content_id: Id
    creator_id: Id
    format: ContentFormat
    topics: list[StrictStr]
    language: StrictStr | None = None
    region: RegionCode | None = None
    duration_s: NonNegative | None = None
    text: StrictStr | None = None
    hashtags: list[StrictStr] | None = None
    quality_score: UnitInterval | None = None
    expires_at: Timestamp | None = None
    embedding: list[Annotated[float, Field(strict=True)]] | None = None
    subject_fields = (("content_id", "content"), ("creator_id", "creator"))


class ContentDeleted(EventBase):
    type: Literal["content.deleted"]
    content_id: Id
    subject_fields = (("content_id", "content"),)


class PolicyChanged(EventBase):
    type: Literal["policy.changed"]
    subject_type: SubjectType
    subject_id: Id
    policy_state: PolicyState
    policy_version: Version
    reasons: list[StrictStr] | None = None
    surfaces: dict[Surface, Recommendability] | None = None
    review_status: StrictStr | None = None

    def subjects(self) -> list[SubjectKey]:
        return [(self.subject_type, self.subject_id)]


# ---------------------------------------------------------------- feed engagement

ENGAGEMENT_TYPES: tuple[str, ...] = (
    "impression",
    "viewable_impression",
    "open",
    "dwell",
    "completion",
    "like",
    "dislike",
    "save",
    "share",
    "comment",
    "hide",
    "not_interested",
    "scroll_past",
    "report",
    "mute_creator",
    "session_end",
)


class Engagement(EventBase):
    """Fields shared by every feed engagement event."""

    user_id: Id
    content_id: Id
    surface: Surface | None = None
    session_id: Id | None = None
    request_id: Id | None = None
    position: Annotated[int, Field(strict=True, ge=0)] | None = None
    subject_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("user_id", "user"),
        ("content_id", "content"),
    )


class Impression(Engagement):
    type: Literal["impression"]


class ViewableImpression(Engagement):
    type: Literal["viewable_impression"]
    visible_ms: NonNegative


class Open(Engagement):
    type: Literal["open"]


class Dwell(Engagement):
    type: Literal["dwell"]
    dwell_ms: NonNegative


class Completion(Engagement):
    type: Literal["completion"]
    ratio: UnitInterval


class Like(Engagement):
    type: Literal["like"]


class Dislike(Engagement):
    type: Literal["dislike"]


class Save(Engagement):
    type: Literal["save"]


class Share(Engagement):
    type: Literal["share"]


class Comment(Engagement):
    type: Literal["comment"]


class Hide(Engagement):
    type: Literal["hide"]


class NotInterested(Engagement):
    type: Literal["not_interested"]


class ScrollPast(Engagement):
    type: Literal["scroll_past"]


class Report(Engagement):
    type: Literal["report"]
    reason: StrictStr


class MuteCreator(Engagement):
    type: Literal["mute_creator"]
    creator_id: Id
    content_id: Id | None = None  # type: ignore[assignment]
    subject_fields = (("user_id", "user"), ("creator_id", "creator"), ("content_id", "content"))


class SessionEnd(Engagement):
    type: Literal["session_end"]
    content_id: Id | None = None  # type: ignore[assignment]


# ---------------------------------------------------------------- live sessions


class LiveStarted(EventBase):
    type: Literal["live.started"]
    live_session_id: Id
    creator_id: Id
    category: StrictStr | None = None
    title: StrictStr | None = None
    subject_fields = (("live_session_id", "live_session"), ("creator_id", "creator"))


class LiveEnded(EventBase):
    type: Literal["live.ended"]
    live_session_id: Id
    subject_fields = (("live_session_id", "live_session"),)


class LiveViewer(EventBase):
    """A viewer joining or leaving a live session."""

    type: Literal["live.viewer_joined", "live.viewer_left"]
    live_session_id: Id
    user_id: Id
    age_band: AgeBand
    subject_fields = (("live_session_id", "live_session"), ("user_id", "user"))


class LiveInteraction(EventBase):
    type: Literal["live.interaction"]
    live_session_id: Id
    from_user_id: Id
    to_user_id: Id
    from_age_band: AgeBand
    to_age_band: AgeBand
    kind: InteractionKind
    subject_fields = (
        ("live_session_id", "live_session"),
        ("from_user_id", "user"),
        ("to_user_id", "user"),
    )


class LiveChat(EventBase):
    type: Literal["live.chat"]
    live_session_id: Id
    user_id: Id
    text: StrictStr
    hashtags: list[StrictStr] | None = None
    sounds: list[StrictStr] | None = None
    subject_fields = (("live_session_id", "live_session"), ("user_id", "user"))


# ---------------------------------------------------------------- moderation


class ModerationFlag(EventBase):
    type: Literal["moderation.flag"]
    subject_type: SubjectType
    subject_id: Id
    source: FlagSource
    category: StrictStr
    severity: Severity
    score: UnitInterval | None = None
    model_version: StrictStr | None = None
    reporter_id: Id | None = None

    def subjects(self) -> list[SubjectKey]:
        keys: list[SubjectKey] = [(self.subject_type, self.subject_id)]
        if self.reporter_id is not None:
            keys.append(("user", self.reporter_id))
        return keys


class EnforcementViolation(EventBase):
    type: Literal["enforcement.violation"]
    subject_type: SubjectType
    subject_id: Id
    category: StrictStr
    severity: Severity
    action: StrictStr | None = None

    def subjects(self) -> list[SubjectKey]:
        return [(self.subject_type, self.subject_id)]


Event = Annotated[
    AccountCreated
    | Follow
    | Unfollow
    | ContentPublished
    | ContentDeleted
    | PolicyChanged
    | Impression
    | ViewableImpression
    | Open
    | Dwell
    | Completion
    | Like
    | Dislike
    | Save
    | Share
    | Comment
    | Hide
    | NotInterested
    | ScrollPast
    | Report
    | MuteCreator
    | SessionEnd
    | LiveStarted
    | LiveEnded
    | LiveViewer
    | LiveInteraction
    | LiveChat
    | ModerationFlag
    | EnforcementViolation,
    Field(discriminator="type"),
]

#: Validates one event (a dict or JSON) into its model.
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

EVENT_TYPES: tuple[str, ...] = (
    "account.created",
    "follow",
    "unfollow",
    "content.published",
    "content.deleted",
    "policy.changed",
    *ENGAGEMENT_TYPES,
    "live.started",
    "live.ended",
    "live.viewer_joined",
    "live.viewer_left",
    "live.interaction",
    "live.chat",
    "moderation.flag",
    "enforcement.violation",
)

"""Minimal valid examples of every v1 event type, for tests."""

from __future__ import annotations

TS = "2026-05-01T21:14:03Z"

# One minimal valid example per event type of the v1 contract.
EXAMPLES: dict[str, dict[str, object]] = {
    "account.created": {"user_id": "u1", "age_band": "16_17"},
    "follow": {"user_id": "u1", "creator_id": "cr1"},
    "unfollow": {"user_id": "u1", "creator_id": "cr1"},
    "content.published": {
        "content_id": "c1",
        "creator_id": "cr1",
        "format": "video",
        "topics": ["x"],
    },
    "content.deleted": {"content_id": "c1"},
    "policy.changed": {
        "subject_type": "content",
        "subject_id": "c1",
        "policy_state": "blocked",
        "policy_version": "v1",
    },
    "viewable_impression": {"user_id": "u1", "content_id": "c1", "visible_ms": 1200},
    "dwell": {"user_id": "u1", "content_id": "c1", "dwell_ms": 5000.5},
    "completion": {"user_id": "u1", "content_id": "c1", "ratio": 0.5},
    "report": {"user_id": "u1", "content_id": "c1", "reason": "spam"},
    "mute_creator": {"user_id": "u1", "creator_id": "cr1"},
    "session_end": {"user_id": "u1"},
    "live.started": {"live_session_id": "l1", "creator_id": "cr1"},
    "live.ended": {"live_session_id": "l1"},
    "live.viewer_joined": {"live_session_id": "l1", "user_id": "u1", "age_band": "13_15"},
    "live.viewer_left": {"live_session_id": "l1", "user_id": "u1", "age_band": "13_15"},
    "live.interaction": {
        "live_session_id": "l1",
        "from_user_id": "u1",
        "to_user_id": "u2",
        "from_age_band": "25_plus",
        "to_age_band": "13_15",
        "kind": "dm_request",
    },
    "live.chat": {"live_session_id": "l1", "user_id": "u1", "text": "hello"},
    "moderation.flag": {
        "subject_type": "creator",
        "subject_id": "cr1",
        "source": "classifier",
        "category": "harassment",
        "severity": "low",
        "score": 0.4,
    },
    "enforcement.violation": {
        "subject_type": "live_session",
        "subject_id": "l1",
        "category": "grooming",
        "severity": "high",
    },
}
for simple in ("impression", "open", "like", "dislike", "save", "share", "comment", "hide"):
    EXAMPLES[simple] = {"user_id": "u1", "content_id": "c1"}
for simple in ("not_interested", "scroll_past"):
    EXAMPLES[simple] = {"user_id": "u1", "content_id": "c1"}


def event(event_type: str, /, **extra: object) -> dict[str, object]:
    """A valid event of ``event_type`` with ``extra`` fields set or overridden."""
    return {
        "event_id": f"e-{event_type}",
        "type": event_type,
        "ts": TS,
        **EXAMPLES[event_type],
        **extra,
    }

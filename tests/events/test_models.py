from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from safefeed.events import EVENT_ADAPTER, EVENT_TYPES
from safefeed.events.models import ContentPublished, LiveInteraction, ModerationFlag, PolicyChanged
from tests.support.events import EXAMPLES, event


def test_every_contract_type_has_an_example_that_validates() -> None:
    assert set(EXAMPLES) == set(EVENT_TYPES)
    for kind in EVENT_TYPES:
        parsed = EVENT_ADAPTER.validate_python(event(kind))
        assert parsed.type == kind


def test_extra_fields_are_ignored_by_the_model() -> None:
    parsed = EVENT_ADAPTER.validate_python(event("like", platform_field={"a": 1}))
    assert not hasattr(parsed, "platform_field")


@pytest.mark.parametrize(
    ("kind", "patch", "fragment"),
    [
        ("like", {"user_id": 42}, "user_id"),
        ("completion", {"ratio": 1.5}, "ratio"),
        ("completion", {"ratio": "0.5"}, "ratio"),
        ("account.created", {"age_band": "17"}, "age_band"),
        ("account.created", {"region": "usa"}, "region"),
        ("account.created", {"timezone": "Mars/Olympus"}, "timezone"),
        ("content.published", {"format": "gif"}, "format"),
        ("content.published", {"topics": "news"}, "topics"),
        ("policy.changed", {"policy_state": "shadowbanned"}, "policy_state"),
        ("policy.changed", {"surfaces": {"home": "sometimes"}}, "surfaces"),
        ("moderation.flag", {"severity": "critical"}, "severity"),
        ("live.interaction", {"kind": "hug"}, "kind"),
    ],
)
def test_wrong_types_and_enums_are_rejected(
    kind: str, patch: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ValidationError) as info:
        EVENT_ADAPTER.validate_python(event(kind, **patch))
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "stamp",
    ["2026-05-01", "2026-05-01T21:14:03", "1714598043", "yesterday", "2026-13-01T00:00:00Z"],
)
def test_timestamps_must_be_rfc3339_with_offset(stamp: str) -> None:
    with pytest.raises(ValidationError):
        EVENT_ADAPTER.validate_python(event("open", ts=stamp))


def test_timestamps_keep_their_offset_and_nanoseconds_truncate() -> None:
    parsed = EVENT_ADAPTER.validate_python(event("open", ts="2026-05-01T23:14:03.123456789+02:00"))
    assert parsed.ts == datetime(2026, 5, 1, 21, 14, 3, 123456, tzinfo=UTC)
    assert parsed.ts.utcoffset() == timedelta(hours=2)
    assert parsed.ts.tzinfo == timezone(timedelta(hours=2))


def test_integer_policy_versions_are_read_as_text() -> None:
    parsed = EVENT_ADAPTER.validate_python(event("policy.changed", policy_version=7))
    assert isinstance(parsed, PolicyChanged)
    assert parsed.policy_version == "7"


def test_subjects_name_every_party() -> None:
    interaction = EVENT_ADAPTER.validate_python(event("live.interaction"))
    assert isinstance(interaction, LiveInteraction)
    assert interaction.subjects() == [("live_session", "l1"), ("user", "u1"), ("user", "u2")]
    flag = EVENT_ADAPTER.validate_python(event("moderation.flag", reporter_id="u9"))
    assert isinstance(flag, ModerationFlag)
    assert flag.subjects() == [("creator", "cr1"), ("user", "u9")]
    published = EVENT_ADAPTER.validate_python(event("content.published"))
    assert isinstance(published, ContentPublished)
    assert published.subjects() == [("content", "c1"), ("creator", "cr1")]
    assert EVENT_ADAPTER.validate_python(event("session_end")).subjects() == [("user", "u1")]

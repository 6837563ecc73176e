"""The event contract as JSON Schema, for platforms that produce events."""

from __future__ import annotations

from typing import Any

from safefeed.events.models import EVENT_ADAPTER

__all__ = ["CONTRACT_VERSION", "events_json_schema"]

CONTRACT_VERSION = "1"


def events_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one event line of the v1 contract."""
    schema = EVENT_ADAPTER.json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"safefeed event (contract v{CONTRACT_VERSION})"
    schema["description"] = (
        "One line of a safefeed event log: JSON Lines, UTF-8, one object per line, "
        "in time order, idempotent by event_id. Extra fields are kept but ignored."
    )
    return schema

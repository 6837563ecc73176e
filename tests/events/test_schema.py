from __future__ import annotations

import jsonschema
import pytest

from safefeed.events import EVENT_TYPES, events_json_schema
from tests.support.events import EXAMPLES, event


def test_schema_lists_every_event_type() -> None:
    schema = events_json_schema()
    tags = set(schema["discriminator"]["mapping"])
    assert tags == set(EVENT_TYPES)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_schema_accepts_valid_examples(kind: str) -> None:
    jsonschema.validate(event(kind), events_json_schema())


def test_schema_rejects_a_bad_enum() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(event("account.created", age_band="12"), events_json_schema())

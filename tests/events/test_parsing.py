from __future__ import annotations

import orjson
import pytest

from safefeed.events import parse_batch, parse_json_array, parse_json_lines
from safefeed.exceptions import BatchTooLargeError, InputError

GOOD = {
    "event_id": "e1",
    "type": "like",
    "ts": "2026-05-01T00:00:00Z",
    "user_id": "u",
    "content_id": "c",
}


def line(**patch: object) -> bytes:
    return orjson.dumps({**GOOD, **patch})


def test_json_lines_reports_each_bad_line_with_its_number_and_keeps_the_rest() -> None:
    data = b"\n".join(
        [
            line(event_id="a"),
            b"{not json",
            line(event_id="b", type="teleport"),
            b"",
            line(event_id="c", ts="soon"),
            b"[1, 2]",
            line(event_id="d"),
        ]
    )
    batch = parse_json_lines(data)
    assert [p.event.event_id for p in batch.events] == ["a", "d"]
    assert [p.line for p in batch.events] == [1, 7]
    errors = {e.line: e for e in batch.errors}
    assert sorted(errors) == [2, 3, 5, 6]
    assert "malformed JSON" in errors[2].error
    assert "unknown event type 'teleport'" in errors[3].error
    assert errors[3].event_id == "b"
    assert errors[5].error.startswith("ts:")
    assert "JSON object" in errors[6].error


def test_missing_type_is_a_clear_error() -> None:
    batch = parse_json_array(orjson.dumps([{"event_id": "x", "ts": "2026-05-01T00:00:00Z"}]))
    assert batch.errors[0].error == "type: field required"


def test_missing_required_field_is_named() -> None:
    batch = parse_json_array(b"[" + line(event_id="x", user_id=None) + b"]")
    assert batch.errors[0].line == 1
    assert "user_id" in batch.errors[0].error


def test_raw_objects_keep_extra_fields() -> None:
    batch = parse_batch(line(custom=[1, 2]))
    assert batch.events[0].raw["custom"] == [1, 2]


def test_array_and_lines_are_told_apart() -> None:
    as_array = parse_batch(b"  [" + line(event_id="a") + b"," + line(event_id="b") + b"]")
    as_lines = parse_batch(line(event_id="a") + b"\n" + line(event_id="b") + b"\n")
    assert [p.event.event_id for p in as_array.events] == ["a", "b"]
    assert [p.event.event_id for p in as_lines.events] == ["a", "b"]


@pytest.mark.parametrize("body", [b"", b"   ", b"[1, 2", b"[}"])
def test_unusable_bodies_raise_input_errors(body: bytes) -> None:
    with pytest.raises(InputError):
        parse_batch(body)


def test_a_lone_json_value_is_a_rejected_line() -> None:
    batch = parse_batch(b'"text"')
    assert batch.events == []
    assert batch.errors[0].error == "each event must be a JSON object"


def test_batches_over_the_bound_are_refused_whole() -> None:
    data = b"\n".join(line(event_id=str(i)) for i in range(11))
    with pytest.raises(BatchTooLargeError, match="11 events exceeds the limit of 10"):
        parse_batch(data, max_events=10)
    with pytest.raises(BatchTooLargeError):
        parse_batch(
            b"[" + b",".join(line(event_id=str(i)) for i in range(11)) + b"]", max_events=10
        )

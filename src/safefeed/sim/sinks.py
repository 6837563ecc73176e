"""Where simulated events go: an `EventSink` protocol with a JSON Lines file and a list.

The lead's store binding is a third sink that ingests each batch through the real
ingestor, so everything the feed and the risk funnel observe applies to a run.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol, runtime_checkable

import orjson

from safefeed.exceptions import InputError

__all__ = ["EventSink", "JsonlSink", "MemorySink"]


@runtime_checkable
class EventSink(Protocol):
    """Receives v1 events in time order, one batch per call."""

    def write(self, events: list[dict[str, Any]]) -> None:
        """Accept a batch (may be empty)."""
        ...


class MemorySink:
    """Keeps every event in ``events`` (for tests and small runs)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def write(self, events: list[dict[str, Any]]) -> None:
        """Append the batch."""
        self.events.extend(events)


class JsonlSink:
    """Appends events to a JSON Lines file, the v1 event log format.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> with JsonlSink(path) as sink:
    ...     sink.write([{"event_id": "e1", "type": "session_end", "ts": "2026-01-01T00:00:00Z",
    ...                  "user_id": "u1"}])
    >>> path.read_text().count("\\n")
    1
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[bytes] = path.open("wb")
        except OSError as exc:
            raise InputError(f"cannot write events to {path}: {exc.strerror or exc}") from None

    def write(self, events: list[dict[str, Any]]) -> None:
        """Write the batch, one line per event."""
        if events:
            self._file.write(b"\n".join(orjson.dumps(e) for e in events) + b"\n")

    def close(self) -> None:
        """Flush and close the file."""
        self._file.close()

    def __enter__(self) -> JsonlSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

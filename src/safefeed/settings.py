"""Settings, read from the environment once, at the edge (CLI and server start-up).

Domain code receives a `Settings` value and never reads ``os.environ`` itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from safefeed.exceptions import ConfigError
from safefeed.store.database import sqlite_url

__all__ = ["Settings"]


_FLAGS = {"": False, "0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a safefeed process needs to know about its environment."""

    data_dir: Path
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8000
    max_batch_events: int = 10_000
    max_body_bytes: int = 32 * 1024 * 1024
    #: Overrides the policy configuration's classifier (e.g. ``keyword`` in tests).
    text_classifier: str | None = None
    #: The risk funnel's configuration file (default: the packaged ``rollout.yaml``).
    risk_config: Path | None = None
    #: Overrides that file's rollout phase: ``shadow``, ``limited`` or ``expanded``.
    risk_phase: Literal["shadow", "limited", "expanded"] | None = None
    #: False only for a scratch store that is deleted after its run (the simulator's):
    #: a commit then waits for no fsync, and a crash may lose the store.
    durable: bool = True
    #: The same events give the same pages on every run (the simulator's need): the
    #: feed builds its embedding index in one thread instead of one per core.
    reproducible: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``SAFEFEED_*`` variables; defaults give the embedded SQLite store."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("SAFEFEED_DATA_DIR", ".safefeed")).expanduser()
        url = env.get("SAFEFEED_DATABASE_URL") or sqlite_url(data_dir / "safefeed.db")
        phase = env.get("SAFEFEED_RISK_PHASE") or None
        if phase not in (None, "shadow", "limited", "expanded"):
            raise ConfigError(f"SAFEFEED_RISK_PHASE={phase!r}: use shadow, limited or expanded")
        risk_config = env.get("SAFEFEED_RISK_CONFIG")
        reproducible = env.get("SAFEFEED_REPRODUCIBLE", "").strip().lower()
        if reproducible not in _FLAGS:
            raise ConfigError(f"SAFEFEED_REPRODUCIBLE={reproducible!r}: use 1 or 0")
        try:
            return cls(
                data_dir=data_dir,
                database_url=url,
                host=env.get("SAFEFEED_HOST", "127.0.0.1"),
                port=int(env.get("SAFEFEED_PORT", "8000")),
                max_batch_events=int(env.get("SAFEFEED_MAX_BATCH_EVENTS", "10000")),
                max_body_bytes=int(env.get("SAFEFEED_MAX_BODY_BYTES", str(32 * 1024 * 1024))),
                text_classifier=env.get("SAFEFEED_TEXT_CLASSIFIER") or None,
                risk_config=Path(risk_config) if risk_config else None,
                risk_phase=phase,  # type: ignore[arg-type]  # checked above
                reproducible=_FLAGS[reproducible],
            )
        except ValueError as exc:
            raise ConfigError(f"invalid SAFEFEED_* setting: {exc}") from None

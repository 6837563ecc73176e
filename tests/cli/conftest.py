"""Fixtures for the CLI tests: the shared runtime ones and the CLI's environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from safefeed.store.database import Database
from tests.support.runtime import api_keys, client, clock, runtime

__all__ = ["api_keys", "client", "clock", "env", "runtime"]


@pytest.fixture
def env(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the CLI (which reads the environment at its edge) at the store under test."""
    monkeypatch.setenv("SAFEFEED_DATABASE_URL", database.url)
    monkeypatch.setenv("SAFEFEED_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAFEFEED_TEXT_CLASSIFIER", "keyword")
    return tmp_path

from __future__ import annotations

from pathlib import Path

import pytest

from safefeed.exceptions import ConfigError
from safefeed.runtime import Runtime
from safefeed.settings import Settings


def test_defaults_give_the_embedded_sqlite_store() -> None:
    settings = Settings.from_env({})
    assert settings.data_dir == Path(".safefeed")
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith(".safefeed/safefeed.db")
    assert settings.risk_phase is None


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SAFEFEED_PORT", "eighty", "invalid SAFEFEED_"),
        ("SAFEFEED_MAX_BATCH_EVENTS", "1e3", "invalid SAFEFEED_"),
        ("SAFEFEED_RISK_PHASE", "yolo", "use shadow, limited or expanded"),
        ("SAFEFEED_REPRODUCIBLE", "sometimes", "use 1 or 0"),
    ],
)
def test_bad_settings_are_config_errors(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({variable: value})


def test_the_risk_rollout_phase_is_chosen_by_setting(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"SAFEFEED_DATA_DIR": str(tmp_path), "SAFEFEED_RISK_PHASE": "limited"}
    )
    runtime = Runtime(settings)
    try:
        assert runtime.risk.config.phase == "limited"
    finally:
        runtime.close()
    default = Runtime(Settings.from_env({"SAFEFEED_DATA_DIR": str(tmp_path)}))
    try:
        assert default.risk.config.phase == "shadow"
    finally:
        default.close()


def test_reproducible_pages_are_chosen_by_setting(tmp_path: Path) -> None:
    # Without it the embedding index is built by one thread per core, so two processes
    # over the same store and clock can serve different pages.
    assert Settings.from_env({}).reproducible is False
    env = {"SAFEFEED_DATA_DIR": str(tmp_path), "SAFEFEED_REPRODUCIBLE": "1"}
    settings = Settings.from_env(env)
    assert settings.reproducible is True
    runtime = Runtime(settings)
    try:
        assert runtime.feed.catalog.indexes[0].threads == 1
    finally:
        runtime.close()

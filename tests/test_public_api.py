"""The published names are chosen on purpose: these tests fail when that changes."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import safefeed

PUBLISHED = {
    "EVENT_ADAPTER",
    "BatchTooLargeError",
    "Clock",
    "ConfigError",
    "Event",
    "InputError",
    "ManualClock",
    "NotFoundError",
    "PermissionDeniedError",
    "SafefeedError",
    "StoreError",
    "SystemClock",
    "__version__",
    "events_json_schema",
}


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(safefeed.__path__, "safefeed."):
        if ".migrations" in info.name:
            continue  # Alembic scripts, not modules of the library
        names.append(info.name)
    return names


def test_the_package_publishes_exactly_the_intended_names() -> None:
    assert set(safefeed.__all__) == PUBLISHED
    for name in PUBLISHED:
        assert getattr(safefeed, name) is not None


@pytest.mark.parametrize("name", _modules())
def test_every_module_declares_what_it_exports(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} declares no __all__"
    missing = [n for n in exported if not hasattr(module, n)]
    assert missing == [], f"{name}.__all__ names what it does not define: {missing}"


def test_importing_the_package_stays_light() -> None:
    """``import safefeed`` must not pull in the web framework, the store or a model."""
    import subprocess
    import sys

    code = (
        "import sys, safefeed; "
        "heavy = ('fastapi', 'sqlalchemy', 'sklearn', 'profanity_check'); "
        "heavy = [m for m in heavy if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

"""The ``safefeed train`` commands over a store under test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safefeed.cli.main import main


def test_train_commands_on_a_store_without_traffic(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "list"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["train", "ranker"]) == 2
    assert "too few served impressions" in capsys.readouterr().err
    assert main(["train", "activate", "ranker-none", "--reason", "try"]) == 2
    assert "no ranker model version 'ranker-none'" in capsys.readouterr().err
    assert main(["train", "demo-traffic", "--pages", "1"]) == 2
    assert "the store is empty" in capsys.readouterr().err
    assert main(["train", "deactivate", "--reason", "nothing active"]) == 0
    assert "smoothed -> smoothed" in capsys.readouterr().out

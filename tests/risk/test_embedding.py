"""Trend-token vectors: the default hashing embedder and the MiniLM path."""

from __future__ import annotations

import pytest

from safefeed.risk.config import load_risk_config
from safefeed.risk.embedding import HashingEmbedder, cosine, make_embedder
from safefeed.risk.funnel import RiskFunnel
from safefeed.signals.embeddings import sentence_embedder_available
from tests.risk.helpers import parsed, small_log


def test_hashing_is_the_default_and_is_stamped_on_cases() -> None:
    config = load_risk_config()
    assert config.trend_embedder == "hashing"
    assert isinstance(make_embedder("hashing"), HashingEmbedder)
    assert RiskFunnel(config).versions()["trend_embedder"] == HashingEmbedder.version


@pytest.mark.slow
@pytest.mark.skipif(not sentence_embedder_available(), reason="needs the embeddings extra")
def test_the_minilm_trend_embedder_runs_the_funnel() -> None:
    embedder = make_embedder("minilm")
    close = cosine(embedder.embed("#skull_challenge"), embedder.embed("#skullchallenge2"))
    far = cosine(embedder.embed("#skull_challenge"), embedder.embed("#cooking"))
    assert close > far
    config = load_risk_config().model_copy(update={"trend_embedder": "minilm"})
    funnel = RiskFunnel(config)
    assert funnel.versions()["trend_embedder"].startswith("sentence:")
    events, _ = small_log()
    updates = funnel.observe_all(parsed(events))
    assert any(u.line["category"] == "emerging_trend" for u in updates)

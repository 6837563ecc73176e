"""Reranking: the slate rules (caps, diversity, sensitivity spacing, quotas)."""

from safefeed.feed.rerank.slate import SlateResult, rerank

__all__ = ["SlateResult", "rerank"]

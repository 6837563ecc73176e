"""Candidate sources, each with a quota and provenance, every one through the gate."""

from safefeed.feed.sources.base import CandidateSource, SourceContext
from safefeed.feed.sources.generate import DEFAULT_SOURCES, CandidatePool, generate

__all__ = ["DEFAULT_SOURCES", "CandidatePool", "CandidateSource", "SourceContext", "generate"]

"""The catalog: accounts, content and follows, kept current from the event log."""

from safefeed.catalog.candidates import load_candidates
from safefeed.catalog.consumer import CatalogConsumer

__all__ = ["CatalogConsumer", "load_candidates"]

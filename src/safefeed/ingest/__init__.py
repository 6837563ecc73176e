"""Event ingestion: validate, deduplicate, persist before acknowledging, hand to consumers."""

from safefeed.ingest.pipeline import Consumer, IngestContext, Ingestor, IngestResult

__all__ = ["Consumer", "IngestContext", "IngestResult", "Ingestor"]

"""The composition root: builds the store, the audit log, the policy store and
cache, the feed engine, the risk funnel and the ingestion pipeline with its
consumers (catalog, policy, text signals, feed state, risk), for the server, the
CLI, replay and the simulator alike — one wiring, so they all run the same code."""

from __future__ import annotations

from safefeed.access.keys import ApiKeyStore
from safefeed.audit import AuditLog
from safefeed.catalog.consumer import CatalogConsumer
from safefeed.clock import Clock, SystemClock
from safefeed.feed import FeedEngine, FeedStateConsumer
from safefeed.feed.config import FeedConfig
from safefeed.ingest.pipeline import Ingestor
from safefeed.policy.consumer import PolicyEventConsumer
from safefeed.policy.snapshot import PolicyCache
from safefeed.policy.store import PolicyStore
from safefeed.risk.config import load_risk_config
from safefeed.risk.consumer import RiskConsumer
from safefeed.settings import Settings
from safefeed.signals.consumer import TextSignalConsumer
from safefeed.signals.registry import load_classifier
from safefeed.signals.text import TextClassifier
from safefeed.store.database import Database

__all__ = ["Runtime"]


class Runtime:
    """One safefeed engine over one store."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        *,
        feed_config: FeedConfig | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.database = Database(settings.database_url, durable=settings.durable)
        self.audit = AuditLog(self.clock)
        self.policy = PolicyStore(self.database, self.audit, self.clock)
        self.keys = ApiKeyStore(self.audit, self.clock)
        self.text_signals = TextSignalConsumer(self.policy, self._classifier)
        self.ingestor = Ingestor(
            self.database,
            self.clock,
            [CatalogConsumer(), PolicyEventConsumer(self.policy), self.text_signals],
            max_batch=settings.max_batch_events,
        )
        self._policy_cache: PolicyCache | None = None
        # The feed: its state consumer runs inside the ingest transaction (after the
        # catalog's); the engine reads the policy cache through this runtime.
        self.feed = FeedEngine(
            self.database,
            lambda: self.policy_cache,
            self.clock,
            settings.data_dir,
            feed_config,
            reproducible=settings.reproducible,
        )
        self.ingestor.consumers.append(FeedStateConsumer(self.feed.config))
        # The risk funnel: a consumer too; it meets the feed only in policy state.
        risk_config = load_risk_config(settings.risk_config, phase=settings.risk_phase)
        self.risk = RiskConsumer(self.policy, self.audit, self.clock, risk_config)
        self.ingestor.consumers.append(self.risk)

    def _classifier(self) -> TextClassifier:
        spec = self.settings.text_classifier
        if spec is None:
            with self.database.read() as conn:
                spec = self.policy.active_config(conn).text_classifier
        return load_classifier(spec)

    @property
    def policy_cache(self) -> PolicyCache:
        """This process's policy snapshot holder (created on first use)."""
        if self._policy_cache is None:
            with self.database.read() as conn:
                config = self.policy.active_config(conn)
            self._policy_cache = PolicyCache(self.policy, self.clock, config)
        return self._policy_cache

    def migrate(self) -> None:
        self.database.migrate()

    def close(self) -> None:
        self.feed.close()
        self.database.dispose()

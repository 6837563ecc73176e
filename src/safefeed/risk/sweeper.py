"""The live funnel's clock: sweeps on a timer, so risk subsides without new events.

In replay the events' own clock drives decay and expiry. A live server only sees
time pass when events arrive; a quiet subject's interventions would then stay
in force past their expiry. `RiskSweeper` runs `RiskConsumer.sweep` on a daemon
thread every ``interval_s`` seconds (decaying idle cases, rolling back lapsed
interventions), and the server warm-starts the funnel from the event log first.
"""

from __future__ import annotations

import logging
import threading

from safefeed.risk.consumer import RiskConsumer
from safefeed.store.database import Database

__all__ = ["RiskSweeper"]

_log = logging.getLogger(__name__)


class RiskSweeper:
    """Calls `RiskConsumer.sweep` every ``interval_s`` seconds until stopped."""

    def __init__(self, consumer: RiskConsumer, database: Database, interval_s: float = 60.0):
        self.consumer = consumer
        self.database = database
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sweeps = 0

    def sweep_once(self) -> None:
        """One sweep in its own write transaction."""
        with self.database.write() as conn:
            self.consumer.sweep(conn)
        self.sweeps += 1

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="risk-sweeper", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sweep_once()
            except Exception:  # a failed sweep is retried at the next tick, never fatal
                _log.exception("risk sweep failed")

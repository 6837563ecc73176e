"""Runs the text classifier over content text and live chat at ingestion.

Every score is stored as a signal stamped with the classifier's ``model_version``
and the policy configuration version whose thresholds banded it. A content item
whose text bands at ``needs_review`` or ``limit`` is moved to ``needs_review`` or
``limited_distribution`` — reversible states, and only ever toward stricter: a
state set by a human review is never overridden by a classifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection

from safefeed.clock import to_us
from safefeed.events.models import ContentPublished, LiveChat
from safefeed.events.parsing import ParsedEvent
from safefeed.ingest.pipeline import IngestContext
from safefeed.policy.config import PolicyConfig
from safefeed.policy.store import PolicyStore, StateChange
from safefeed.signals.text import TextClassifier
from safefeed.signals.thresholds import Band, bands_for
from safefeed.store.tables import TextSignal, table_of
from safefeed.types import PolicyState, SubjectKey

__all__ = ["TextSignalConsumer", "split_sentences"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def split_sentences(text: str, *, max_sentences: int = 64) -> list[str]:
    """The text and, when it has several, its sentences (at most ``max_sentences``).

    >>> split_sentences("Lovely soup. You idiot! Serve hot.")
    ['Lovely soup. You idiot! Serve hot.', 'Lovely soup.', 'You idiot!', 'Serve hot.']
    >>> split_sentences("One line")
    ['One line']
    """
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    if len(sentences) <= 1:
        return [text]
    # The whole text too: some signals only show in context.
    return [text, *sentences[:max_sentences]]


_signals = table_of(TextSignal)

_BAND_STATE: dict[Band, PolicyState] = {
    "needs_review": "needs_review",
    "limit": "limited_distribution",
}
# How strict each state is, for "only ever toward stricter".
_STRICTNESS: dict[str, int] = {
    "allowed": 0,
    "needs_review": 1,
    "age_or_region_restricted": 1,
    "restricted": 2,
    "limited_distribution": 2,
    "search_only": 3,
    "not_recommendable": 3,
    "blocked": 4,
    "deleted": 4,
}


class TextSignalConsumer:
    """Scores text from ``content.published`` and ``live.chat`` events."""

    name = "text_signals"

    def __init__(
        self,
        policy: PolicyStore,
        classifier: Callable[[], TextClassifier],
    ) -> None:
        self.policy = policy
        self._classifier_factory = classifier
        self._classifier: TextClassifier | None = None

    @property
    def classifier(self) -> TextClassifier:
        # Loaded on first text, so processes that never see text never load a model.
        if self._classifier is None:
            self._classifier = self._classifier_factory()
        return self._classifier

    def consume(
        self, conn: Connection, events: Sequence[ParsedEvent], context: IngestContext
    ) -> None:
        items: list[tuple[SubjectKey, str, str, int]] = []
        for parsed in events:
            event = parsed.event
            if isinstance(event, ContentPublished) and event.text:
                items.append(
                    (("content", event.content_id), event.text, event.event_id, to_us(event.ts))
                )
            elif isinstance(event, LiveChat) and event.text:
                subject = ("live_session", event.live_session_id)
                items.append((subject, event.text, event.event_id, to_us(event.ts)))
        if not items:
            return
        config = self.policy.active_config(conn)
        scores = self._score_by_sentence([text for _, text, _, _ in items])
        thresholds = {k: v.as_thresholds() for k, v in config.text_thresholds.items()}
        rows: list[dict[str, Any]] = []
        escalations: dict[SubjectKey, tuple[Band, str, float, str]] = {}
        for (subject, _, event_id, ts_us), item_scores in zip(items, scores, strict=True):
            bands = bands_for(item_scores, thresholds)
            for category, score in item_scores.items():
                rows.append(
                    {
                        "event_id": event_id,
                        "subject_type": subject[0],
                        "subject_id": subject[1],
                        "category": category,
                        "score": float(score),
                        "band": bands[category],
                        "model_version": self.classifier.model_version,
                        "config_version": config.version,
                        "ts_us": ts_us,
                    }
                )
                if subject[0] == "content" and bands[category] != "allow":
                    escalations[subject] = (bands[category], category, float(score), event_id)
        conn.execute(_signals.insert(), rows)
        self._escalate(conn, escalations, config)

    def _score_by_sentence(self, texts: list[str]) -> list[dict[str, float]]:
        """Each text's score is its worst sentence's: bag-of-words models dilute one
        offending sentence in a long benign text (0.99 alone, 0.04 in an article)."""
        pieces: list[str] = []
        owners: list[int] = []
        for index, text in enumerate(texts):
            sentences = split_sentences(text)
            pieces.extend(sentences)
            owners.extend([index] * len(sentences))
        results: list[dict[str, float]] = [{} for _ in texts]
        for owner, piece_scores in zip(owners, self.classifier.score(pieces), strict=True):
            merged = results[owner]
            for category, score in piece_scores.items():
                merged[category] = max(merged.get(category, 0.0), score)
        return results

    def _escalate(
        self,
        conn: Connection,
        escalations: dict[SubjectKey, tuple[Band, str, float, str]],
        config: PolicyConfig,
    ) -> None:
        for subject, (band, category, score, event_id) in escalations.items():
            target = _BAND_STATE[band]
            current = self.policy.get_state(conn, subject)
            if current is not None and (
                current.review_status or _STRICTNESS[current.state] >= _STRICTNESS[target]
            ):
                continue
            threshold = getattr(config.text_thresholds[category], band)
            self.policy.set_state(
                conn,
                StateChange(
                    subject=subject,
                    state=target,
                    policy_version=config.version,
                    reasons=(category,),
                    event_id=event_id,
                ),
                actor=f"classifier:{self.classifier.model_version}",
                reason=(
                    f"{category} score {score:.3f} >= {band} threshold {threshold} "
                    f"(policy config {config.version})"
                ),
            )

"""Applies ``policy.changed`` and ``content.deleted`` events to the policy store."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from safefeed.events.models import ContentDeleted, PolicyChanged
from safefeed.events.parsing import ParsedEvent
from safefeed.ingest.pipeline import IngestContext
from safefeed.policy.store import PolicyStore, StateChange

__all__ = ["DELETION_POLICY_VERSION", "PolicyEventConsumer"]

#: Stamped on the state a ``content.deleted`` event implies (the event carries none).
DELETION_POLICY_VERSION = "content.deleted"


class PolicyEventConsumer:
    """Turns policy events from the platform into policy-store changes."""

    name = "policy"

    def __init__(self, store: PolicyStore) -> None:
        self.store = store

    def consume(
        self, conn: Connection, events: Sequence[ParsedEvent], context: IngestContext
    ) -> None:
        changes: list[StateChange] = []
        for parsed in events:
            event = parsed.event
            if isinstance(event, PolicyChanged):
                changes.append(
                    StateChange(
                        subject=(event.subject_type, event.subject_id),
                        state=event.policy_state,
                        policy_version=event.policy_version,
                        reasons=tuple(event.reasons or ()),
                        surfaces=dict(event.surfaces or {}),
                        review_status=event.review_status,
                        event_id=event.event_id,
                        at=event.ts,
                    )
                )
            elif isinstance(event, ContentDeleted):
                # Deletion is a tombstone: the deleted state is dropped on every surface.
                changes.append(
                    StateChange(
                        subject=("content", event.content_id),
                        state="deleted",
                        policy_version=DELETION_POLICY_VERSION,
                        reasons=("deleted",),
                        event_id=event.event_id,
                        at=event.ts,
                    )
                )
        if changes:
            self.store.set_states(
                conn, changes, actor=context.actor, reason="policy event from the platform"
            )

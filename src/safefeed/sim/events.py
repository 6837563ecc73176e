"""Renders what the world did (`StepFeedback`) as v1 events (``shared/EVENTS.md``).

Ids are ``sim<seed>-<n>`` in emission order and timestamps advance one millisecond
per event from midnight of the step's simulated day, so the log is in time order,
idempotent across re-sends and identical for the same seed. A sampled share of
users (``event_user_sample``) keeps engagement events affordable on big runs;
accounts, catalog and policy events are always complete.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safefeed.sim.config import SimConfig
from safefeed.sim.feedback import StepFeedback, item_id, user_id

__all__ = ["EPOCH", "EventRenderer"]

#: Midnight of simulated day 0; step ``t`` is day ``t``, the initial state the day before.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

_POLICY_VERSION = "sim-1"


class EventRenderer:
    """Turns each `StepFeedback` into a time-ordered list of v1 event dicts."""

    def __init__(self, config: SimConfig, seed: int) -> None:
        self.config = config
        self.seed = seed
        self._n = 0
        self._ms = 0
        rng = np.random.default_rng([seed, 0xE7E])
        accounts = config.users + config.bots
        self._sampled: NDArray[np.bool_] = rng.random(accounts) < config.event_user_sample

    def _base(self, kind: str, day: int) -> dict[str, Any]:
        n, ms = self._n, self._ms
        self._n += 1
        self._ms += 1
        # Past a day's worth of milliseconds the clock holds still rather than spill into tomorrow.
        ts = EPOCH + timedelta(days=day, milliseconds=min(ms, 86_399_999))
        return {
            "event_id": f"sim{self.seed}-{n}",
            "type": kind,
            "ts": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }

    def render(self, feedback: StepFeedback) -> list[dict[str, Any]]:
        """All events of one feedback: engagement of the day, then the overnight changes."""
        self._ms = 0  # each day's clock starts at midnight; ids keep counting
        day = feedback.step
        events = self._engagement(feedback, day)
        # Overnight changes come after the day's sessions (for the set-up: on day -1).
        events += self._catalog(feedback, day)
        return events

    def _catalog(self, feedback: StepFeedback, day: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for account in feedback.accounts:
            e = self._base("account.created", day)
            e.update(user_id=account, age_band="25_plus", region="US")
            out.append(e)
        for item in feedback.published:
            e = self._base("content.published", day)
            e.update(
                content_id=item.content_id,
                creator_id=item.creator_id,
                format="video",
                topics=[item.topic],
                duration_s=item.duration_s,
                quality_score=item.quality,
            )
            out.append(e)
        for label in feedback.labels:
            # A moderator clearing a false positive changes the policy but raises no flag.
            if label.policy_state != "allowed":
                flag = self._base("moderation.flag", day)
                flag.update(
                    subject_type="content",
                    subject_id=label.content_id,
                    source=label.source,
                    category=self.config.harm_category,
                    severity="high" if label.policy_state == "not_recommendable" else "medium",
                    score=round(label.score, 4),
                )
                out.append(flag)
            change = self._base("policy.changed", day)
            change.update(
                subject_type="content",
                subject_id=label.content_id,
                policy_state=label.policy_state,
                policy_version=_POLICY_VERSION,
                reasons=[f"{label.source}:{self.config.harm_category}"],
            )
            out.append(change)
        return out

    def _engagement(self, feedback: StepFeedback, day: int) -> list[dict[str, Any]]:
        acts = feedback.interactions
        if len(acts) == 0 or day < 0:
            return []
        keep = self._sampled[acts.user]
        # Group rows by session so each session's events are contiguous and end it.
        order = np.lexsort((acts.position[keep], acts.session[keep]))
        idx = np.flatnonzero(keep)[order]
        out: list[dict[str, Any]] = []
        columns = {
            name: getattr(acts, name)[idx].tolist()
            for name in (
                "user",
                "item",
                "session",
                "position",
                "related",
                "opened",
                "watch_s",
                "completion",
                "liked",
                "hidden",
                "reported",
            )
        }
        rows = len(idx)
        for r in range(rows):
            user, session = columns["user"][r], columns["session"][r]
            common: dict[str, Any] = {
                "user_id": user_id(user),
                "content_id": item_id(columns["item"][r]),
            }
            if session >= 0:
                common.update(
                    surface="related" if columns["related"][r] else "home",
                    session_id=f"s{day}-{user}",
                    position=columns["position"][r],
                )
                out.append({**self._base("impression", day), **common})
            if columns["opened"][r]:
                out.append({**self._base("open", day), **common})
                out.append(
                    {
                        **self._base("dwell", day),
                        **common,
                        "dwell_ms": round(columns["watch_s"][r] * 1000.0, 1),
                    }
                )
                out.append(
                    {
                        **self._base("completion", day),
                        **common,
                        "ratio": round(columns["completion"][r], 4),
                    }
                )
            if columns["liked"][r]:
                out.append({**self._base("like", day), **common})
            if columns["hidden"][r]:
                out.append({**self._base("hide", day), **common})
            if columns["reported"][r]:
                out.append({**self._base("report", day), **common, "reason": "extremism"})
            last_of_session = r + 1 == rows or columns["session"][r + 1] != session
            if session >= 0 and last_of_session:
                e = self._base("session_end", day)
                e.update(user_id=user_id(user), session_id=f"s{day}-{user}")
                out.append(e)
        return out

"""Renders what the world did (`StepFeedback`) as v1 events (``shared/EVENTS.md``).

Timestamps are spread the way people use a feed: each session starts at a random
time of its day (``session_hours``), and within it every slot takes a scroll, and
an opened item its watch time, so the engine's trust model sees people, not a
burst of events a millisecond apart (which it rightly down-weights as scripted).
Bot engagement is a tight burst at one random moment, each target replayed
``brigade_replays`` times, as watch farms do. The overnight catalog and
policy changes come at the end of the day. Ids are ``sim<seed>-<n>`` in time
order, so the log is in time order, idempotent across re-sends and identical for
the same seed. Every published item gets its policy state (``allowed``) with
its publication, as a real platform's pre-screen gives one; labels change it
later. A sampled share of users (``event_user_sample``) keeps engagement events
affordable on big runs; accounts, catalog and policy events are always complete.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safefeed.policy.records import MODERATOR_DECISION
from safefeed.sim.config import SimConfig
from safefeed.sim.feedback import LabelChange, StepFeedback, item_id, user_id

__all__ = ["EPOCH", "EventRenderer"]

#: Midnight of simulated day 0; step ``t`` is day ``t``, the initial state the day before.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

_POLICY_VERSION = "sim-1"
_PRESCREEN_MODEL = "sim-prescreen-1"
_HOUR_MS = 3_600_000
_SCROLL_MS = 1_500
_REACT_MS = 1_000
_BOT_GAP_MS = 200
#: The overnight catalog and policy changes land at 23:59; sessions are clamped below.
_OVERNIGHT_MS = 24 * _HOUR_MS - 60_000
#: The moderators' decisions on the platform's review queue land after them, at 23:59:30.
_REVIEW_MS = 24 * _HOUR_MS - 30_000
_LAST_MS = 24 * _HOUR_MS - 1


class EventRenderer:
    """Turns each `StepFeedback` into a time-ordered list of v1 event dicts."""

    def __init__(self, config: SimConfig, seed: int) -> None:
        self.config = config
        self.seed = seed
        self._n = 0
        rng = np.random.default_rng([seed, 0xE7E])
        accounts = config.users + config.bots
        self._sampled: NDArray[np.bool_] = rng.random(accounts) < config.event_user_sample

    def render(self, feedback: StepFeedback) -> list[dict[str, Any]]:
        """All events of one feedback: engagement of the day, then the overnight changes."""
        day = feedback.step
        rng = np.random.default_rng([self.seed, 0x715, day + 1])
        timed = self._engagement(feedback, rng)
        # Overnight changes come after the day's sessions (for the set-up: on day -1).
        overnight = self._catalog(feedback)
        timed += [(_OVERNIGHT_MS + k, e) for k, e in enumerate(overnight)]
        reviews = [e for label in feedback.reviews for e in self._label(label)]
        timed += [(_REVIEW_MS + k, e) for k, e in enumerate(reviews)]
        timed.sort(key=itemgetter(0))  # stable: a session's own order is kept on ties
        midnight = EPOCH + timedelta(days=day)
        out = []
        for ms, event in timed:
            ts = midnight + timedelta(milliseconds=min(ms, _LAST_MS))
            event["event_id"] = f"sim{self.seed}-{self._n}"
            event["ts"] = ts.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            self._n += 1
            out.append(event)
        return out

    def _catalog(self, feedback: StepFeedback) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for account in feedback.accounts:
            out.append(
                {
                    "type": "account.created",
                    "user_id": account,
                    "age_band": "25_plus",
                    "region": "US",
                }
            )
        for item in feedback.published:
            out.append(
                {
                    "type": "content.published",
                    "content_id": item.content_id,
                    "creator_id": item.creator_id,
                    "format": "video",
                    "topics": [item.topic],
                    "duration_s": item.duration_s,
                    "quality_score": item.quality,
                }
            )
            # Without a policy state the gate treats an item as unknown (limited at
            # best); the pre-screen that lets an item go live gives it ``allowed``.
            out.append(self._policy(item.content_id, "allowed", "publish"))
            if item.safety_score is not None:
                out.append(
                    {
                        "type": "moderation.flag",
                        "subject_type": "content",
                        "subject_id": item.content_id,
                        "source": "classifier",
                        "category": self.config.harm_category,
                        "severity": _severity(item.safety_score),
                        "score": item.safety_score,
                        "model_version": _PRESCREEN_MODEL,
                    }
                )
        for label in feedback.labels:
            out += self._label(label)
        return out

    def _label(self, label: LabelChange) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        # A moderator clearing an item changes (or confirms) the policy but raises no flag.
        if label.policy_state != "allowed":
            out.append(
                {
                    "type": "moderation.flag",
                    "subject_type": "content",
                    "subject_id": label.content_id,
                    "source": label.source,
                    "category": self.config.harm_category,
                    "severity": "high" if label.policy_state == "not_recommendable" else "medium",
                    "score": round(label.score, 4),
                }
            )
        out.append(self._policy(label.content_id, label.policy_state, label.source))
        return out

    def _policy(self, content: str, state: str, source: str) -> dict[str, Any]:
        event = {
            "type": "policy.changed",
            "subject_type": "content",
            "subject_id": content,
            "policy_state": state,
            "policy_version": _POLICY_VERSION,
            "reasons": [f"{source}:{self.config.harm_category}"],
        }
        if source == "moderator":
            event["review_status"] = MODERATOR_DECISION
        return event

    def _engagement(
        self, feedback: StepFeedback, rng: np.random.Generator
    ) -> list[tuple[int, dict[str, Any]]]:
        acts = feedback.interactions
        day = feedback.step
        if len(acts) == 0 or day < 0:
            return []
        keep = self._sampled[acts.user]
        # Group rows by session so each session's events are contiguous and end it.
        order = np.lexsort((acts.position[keep], acts.session[keep]))
        idx = np.flatnonzero(keep)[order]
        session = acts.session[idx]
        watch_ms = np.where(acts.opened[idx], acts.watch_s[idx] * 1000.0, 0.0)
        # A slot costs a scroll, and an opened item its watch time plus a moment to react.
        spent = (_SCROLL_MS + np.where(acts.opened[idx], watch_ms + 2 * _REACT_MS, 0.0)).astype(
            np.int64
        )
        first = np.r_[True, session[1:] != session[:-1]] if len(idx) else np.zeros(0, bool)
        group = np.cumsum(first) - 1
        before = np.cumsum(spent) - spent  # time spent before this row, run-wide
        offset = before - before[first][group]  # ... within its own session
        low, high = (h * _HOUR_MS for h in self.config.session_hours)
        start = rng.integers(low, high, size=int(first.sum()))[group]
        # Bots act in one burst: a short gap per row, whatever they watch.
        bot = session < 0
        offset = np.where(bot, np.arange(len(idx)) * _BOT_GAP_MS, offset)
        at = (start + offset).tolist()
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
        watched = watch_ms.astype(np.int64).tolist()
        out: list[tuple[int, dict[str, Any]]] = []
        rows = len(idx)
        for r in range(rows):
            user, sess, t = columns["user"][r], columns["session"][r], at[r]
            common: dict[str, Any] = {
                "user_id": user_id(user),
                "content_id": item_id(columns["item"][r]),
            }
            if sess >= 0:
                common.update(
                    surface="related" if columns["related"][r] else "home",
                    session_id=f"s{day}-{user}",
                    position=columns["position"][r],
                )
                out.append((t, {"type": "impression", **common}))
            t += _SCROLL_MS
            if columns["opened"][r]:
                dwell_ms = round(columns["watch_s"][r] * 1000.0, 1)
                ratio = round(columns["completion"][r], 4)
                # A bot loops the item; its events all land in the burst, so it looks scripted.
                replays = 1 if sess >= 0 else self.config.brigade_replays
                for _ in range(replays):
                    if sess < 0:  # every loop renders the item: the platform logs an impression
                        out.append((t, {"type": "impression", **common}))
                    out.append((t, {"type": "open", **common}))
                    if sess >= 0:
                        t += watched[r] + _REACT_MS
                    out.append((t, {"type": "dwell", **common, "dwell_ms": dwell_ms}))
                    out.append((t, {"type": "completion", **common, "ratio": ratio}))
            if columns["liked"][r]:
                out.append((t, {"type": "like", **common}))
            if columns["hidden"][r]:
                out.append((t, {"type": "hide", **common}))
            if columns["reported"][r]:
                out.append((t, {"type": "report", **common, "reason": "extremism"}))
            last_of_session = r + 1 == rows or columns["session"][r + 1] != sess
            if sess >= 0 and last_of_session:
                end = {
                    "type": "session_end",
                    "user_id": user_id(user),
                    "session_id": f"s{day}-{user}",
                }
                out.append((t + _REACT_MS, end))
        return out


def _severity(score: float) -> str:
    """The flag severity of a pre-screen score (a classifier's bands, not a verdict).

    >>> _severity(0.35), _severity(0.6), _severity(0.9)
    ('low', 'medium', 'high')
    """
    return "high" if score >= 0.8 else "medium" if score >= 0.5 else "low"

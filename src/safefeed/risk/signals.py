"""Stage 1, signal ingestion: an event of the v1 contract becomes an `Observation`.

This is the only stage that sees message text, and it reduces it right away to
what the later stages may use: trend tokens (hashtags, sounds, short recurring
phrases) and one text-classifier score. Event types the funnel has no use for
(feed engagement other than reports, policy changes) give no observation.

`RepeatFilter` drops a moderation signal that repeats one already taken, so the
same evidence is not counted twice when a platform sends it twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable

from safefeed.events.models import (
    AccountCreated,
    ContentPublished,
    EnforcementViolation,
    Event,
    LiveChat,
    LiveEnded,
    LiveInteraction,
    LiveStarted,
    LiveViewer,
    ModerationFlag,
    Report,
)
from safefeed.risk.bounded import BoundedDict
from safefeed.risk.model import Observation
from safefeed.signals.text import TextClassifier

__all__ = ["CONSUMED_TYPES", "SEVERITY_LEVEL", "RepeatFilter", "SignalExtractor", "phrase_of"]

SEVERITY_LEVEL: dict[str, int] = {"low": 1, "medium": 2, "high": 3}

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
#: Short chat lines are catchphrases when they recur; long ones are conversation.
_MAX_PHRASE_WORDS = 6


def phrase_of(text: str) -> str | None:
    """The normalized phrase token of a short chat line, or None for long or empty lines.

    >>> phrase_of("Do the  SKULL thing!!")
    'phrase:do the skull thing'
    >>> phrase_of("ok") is None
    True
    """
    words = _WORD.findall(text.lower())
    if len(words) < 2 or len(words) > _MAX_PHRASE_WORDS:
        return None
    return "phrase:" + " ".join(words)


def _tag(value: str) -> str:
    return "#" + value.lstrip("#").lower()


class SignalExtractor:
    """Turns events into observations; the text classifier scores live chat lines."""

    version = "signals-1"

    def __init__(self, classifier: TextClassifier | None = None) -> None:
        self.classifier = classifier
        self._dispatch: dict[str, Callable[[Event, float], Observation | None]] = {
            "account.created": self._account,
            "content.published": self._content,
            "live.started": self._started,
            "live.ended": self._ended,
            "live.viewer_joined": self._viewer,
            "live.viewer_left": self._viewer,
            "live.interaction": self._interaction,
            "live.chat": self._chat,
            "moderation.flag": self._flag,
            "report": self._report,
            "enforcement.violation": self._violation,
        }

    @property
    def model_version(self) -> str:
        return self.classifier.model_version if self.classifier is not None else "none"

    def extract(self, event: Event, t: float) -> Observation | None:
        """The observation of ``event`` at Unix time ``t``, or None if it carries no signal."""
        handler = self._dispatch.get(event.type)
        return None if handler is None else handler(event, t)

    @staticmethod
    def _account(event: Event, t: float) -> Observation:
        assert isinstance(event, AccountCreated)
        obs = Observation("account", t)
        obs.user_id = event.user_id
        obs.age_band = event.age_band
        # Region and zone are used only to find local time, in the context stage.
        obs.region = event.region
        obs.timezone = event.timezone
        obs.author_is_creator = bool(event.is_creator)
        return obs

    @staticmethod
    def _content(event: Event, t: float) -> Observation:
        assert isinstance(event, ContentPublished)
        obs = Observation("content", t)
        obs.subject_id = event.content_id
        obs.creator_id = event.creator_id
        obs.tokens = tuple(_tag(h) for h in event.hashtags or ())
        return obs

    @staticmethod
    def _started(event: Event, t: float) -> Observation:
        assert isinstance(event, LiveStarted)
        obs = Observation("session_start", t)
        obs.session_id = event.live_session_id
        obs.creator_id = event.creator_id
        obs.category = (event.category or "").lower() or None
        return obs

    @staticmethod
    def _ended(event: Event, t: float) -> Observation:
        assert isinstance(event, LiveEnded)
        obs = Observation("session_end", t)
        obs.session_id = event.live_session_id
        return obs

    @staticmethod
    def _viewer(event: Event, t: float) -> Observation:
        assert isinstance(event, LiveViewer)
        obs = Observation("join" if event.type == "live.viewer_joined" else "leave", t)
        obs.session_id = event.live_session_id
        obs.user_id = event.user_id
        obs.age_band = event.age_band
        return obs

    @staticmethod
    def _interaction(event: Event, t: float) -> Observation:
        assert isinstance(event, LiveInteraction)
        obs = Observation("interaction", t)
        obs.session_id = event.live_session_id
        obs.from_user = event.from_user_id
        obs.to_user = event.to_user_id
        obs.from_band = event.from_age_band
        obs.to_band = event.to_age_band
        obs.interaction_kind = event.kind
        return obs

    def _chat(self, event: Event, t: float) -> Observation:
        assert isinstance(event, LiveChat)
        obs = Observation("chat", t)
        obs.session_id = event.live_session_id
        obs.user_id = event.user_id
        tokens = [_tag(h) for h in event.hashtags or ()]
        tokens += ["sound:" + s.lower() for s in event.sounds or ()]
        phrase = phrase_of(event.text)
        if phrase is not None:
            tokens.append(phrase)
        obs.tokens = tuple(tokens)
        if self.classifier is not None:
            scores = self.classifier.score([event.text])[0]
            obs.text_score = max(scores.values(), default=0.0)
        return obs

    @staticmethod
    def _flag(event: Event, t: float) -> Observation:
        assert isinstance(event, ModerationFlag)
        obs = Observation("report" if event.source == "viewer_report" else "flag", t)
        obs.subject_type = event.subject_type
        obs.subject_id = event.subject_id
        obs.flag_source = event.source
        obs.flag_category = event.category
        obs.severity = SEVERITY_LEVEL[event.severity]
        obs.flag_score = event.score
        obs.user_id = event.reporter_id
        return obs

    @staticmethod
    def _report(event: Event, t: float) -> Observation:
        assert isinstance(event, Report)
        obs = Observation("report", t)
        obs.subject_type = "content"
        obs.subject_id = event.content_id
        obs.flag_source = "viewer_report"
        obs.flag_category = event.reason
        obs.severity = 1
        obs.user_id = event.user_id
        return obs

    @staticmethod
    def _violation(event: Event, t: float) -> Observation:
        assert isinstance(event, EnforcementViolation)
        obs = Observation("violation", t)
        obs.subject_type = event.subject_type
        obs.subject_id = event.subject_id
        obs.flag_source = "enforcement"
        obs.flag_category = event.category
        obs.severity = SEVERITY_LEVEL[event.severity]
        return obs


#: Event types that give an observation; everything else is skipped by the funnel.
CONSUMED_TYPES: frozenset[str] = frozenset(SignalExtractor()._dispatch)


class RepeatFilter:
    """Finds moderation signals that repeat one already taken (the funnel drops them).

    Event ids make re-sending an event a no-op, but other platforms' logs repeat
    evidence under new ids:

    - one reporter, one voice: a reporter's report of a subject they reported within
      ``report_hours`` is a repeat — a report sent both as a feed ``report`` event
      and as a ``viewer_report`` flag, or filed again, is one person's concern;
    - a copy: a flag, report or violation identical in every field to one within
      ``copy_seconds`` (a converter that mints a new event id on each retry).

    A classifier flagging the same live again later with the same score is not a
    copy: platforms round scores, so equal fields minutes apart may be new evidence.

    >>> repeats = RepeatFilter()
    >>> first = Observation("report", 0.0)
    >>> first.subject_type, first.subject_id, first.user_id = "content", "p1", "u1"
    >>> again = Observation("report", 3600.0)
    >>> again.subject_type, again.subject_id, again.user_id = "content", "p1", "u1"
    >>> repeats.repeated(first), repeats.repeated(again)
    (False, True)
    """

    version = "repeats-1"

    def __init__(
        self, report_hours: float = 24.0, copy_seconds: float = 60.0, max_keys: int = 200_000
    ) -> None:
        self.report_hours = report_hours
        self.copy_seconds = copy_seconds
        self.max_keys = max_keys
        self.seen_: BoundedDict[Hashable, float] = BoundedDict(max_keys)

    def repeated(self, obs: Observation) -> bool:
        """Whether ``obs`` repeats a signal taken before; a new one is remembered."""
        if obs.kind == "report" and obs.user_id is not None:
            kind = "account" if obs.subject_type in ("creator", "user") else obs.subject_type
            key: Hashable = ("report", kind, obs.subject_id, obs.user_id)
            window = self.report_hours * 3600.0
        else:
            key = (
                obs.kind,
                obs.flag_source,
                obs.subject_type,
                obs.subject_id,
                obs.flag_category,
                obs.severity,
                obs.flag_score,
                obs.user_id,
            )
            window = self.copy_seconds
        earlier = self.seen_.get(key)
        if earlier is not None and abs(obs.t - earlier) <= window:
            return True
        self.seen_[key] = obs.t
        return False

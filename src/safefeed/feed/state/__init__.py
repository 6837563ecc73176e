"""Feed state: engagement statistics, seen sets, feedback, mutes, affinities,
sessions and user controls — written by the ingest consumer, read per request."""

from safefeed.feed.state.consumer import FeedStateConsumer
from safefeed.feed.state.controls import UserControls
from safefeed.feed.state.session import SessionState
from safefeed.feed.state.user import UserState, load_user_states

__all__ = ["FeedStateConsumer", "SessionState", "UserControls", "UserState", "load_user_states"]

"""The engine and what each response leaves behind: cursor, served log, trace,
explanations and metrics."""

from safefeed.feed.serving.cursor import CursorSigner, PageCursor
from safefeed.feed.serving.engine import FeedEngine
from safefeed.feed.serving.served_log import exposure, request_trace, served_item
from safefeed.feed.serving.tally import ReachTally

__all__ = [
    "CursorSigner",
    "FeedEngine",
    "PageCursor",
    "ReachTally",
    "exposure",
    "request_trace",
    "served_item",
]

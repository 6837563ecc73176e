"""The review queue: prioritized risk cases, claims, moderator decisions."""

from safefeed.review.priority import base_priority, priority

__all__ = ["base_priority", "priority"]

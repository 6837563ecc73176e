"""Final validation before every response; stale state serves vetted fallback only."""

from safefeed.feed.validation.final import Verdict, VettedFallback, validate, validate_fallback

__all__ = ["Verdict", "VettedFallback", "validate", "validate_fallback"]

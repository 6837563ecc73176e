"""The text classifier seam, and a keyword classifier that is its simplest real implementation.

A text classifier turns a batch of texts into per-category scores in ``[0, 1]``. It is
called on whole batches because the real ones (linear models over sparse features)
are an order of magnitude faster vectorized than one text at a time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from safefeed.exceptions import ConfigError

__all__ = ["DEFAULT_KEYWORD_TERMS", "KeywordClassifier", "TextClassifier"]


@runtime_checkable
class TextClassifier(Protocol):
    """Scores texts per category; what every text safety signal looks like to safefeed.

    ``model_version`` must change whenever the scores could change, because it is
    stamped on every decision and flag that used them.
    """

    name: str
    model_version: str
    categories: tuple[str, ...]

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One ``{category: score}`` dict per text, in input order, scores in ``[0, 1]``."""
        ...


#: Ordinary mild profanity and insults; the built-in list of the ``keyword`` classifier.
DEFAULT_KEYWORD_TERMS: Mapping[str, tuple[str, ...]] = {
    "profanity": (
        "asshole",
        "bastard",
        "bullshit",
        "crap",
        "damn",
        "dumbass",
        "fuck",
        "fucking",
        "hell",
        "idiot",
        "idiots",
        "jerk",
        "moron",
        "morons",
        "pissed",
        "shit",
        "shut up",
        "stupid",
        "sucks",
    ),
}


class KeywordClassifier:
    """Counts whole-word, case-insensitive term hits per category.

    The score saturates: each hit removes a fixed share (``per_hit``) of the distance
    left to 1, so one hit scores ``per_hit`` and more hits approach but never pass 1.
    Multi-word terms match across any run of whitespace.

    >>> classifier = KeywordClassifier({"spam": ["free money", "click here"]})
    >>> classifier.score(["FREE  money! Click here", "Free moneybags", "hello"])
    [{'spam': 0.75}, {'spam': 0.0}, {'spam': 0.0}]
    """

    name = "keyword"

    def __init__(
        self,
        terms: Mapping[str, Iterable[str]] | None = None,
        *,
        per_hit: float = 0.5,
    ) -> None:
        if not 0.0 < per_hit <= 1.0:
            raise ConfigError(f"per_hit must be in (0, 1], got {per_hit!r}")
        source = DEFAULT_KEYWORD_TERMS if terms is None else terms
        if not source:
            raise ConfigError("a keyword classifier needs at least one category")
        normalized: dict[str, tuple[str, ...]] = {}
        for category, category_terms in source.items():
            cleaned = sorted({" ".join(term.casefold().split()) for term in category_terms})
            if not cleaned or "" in cleaned:
                raise ConfigError(f"category {category!r} needs non-blank terms")
            normalized[category] = tuple(cleaned)
        self.terms: Mapping[str, tuple[str, ...]] = normalized
        self.per_hit = per_hit
        self.categories: tuple[str, ...] = tuple(normalized)
        self.model_version = f"keyword-{self._fingerprint()}"
        self._term_categories: dict[str, list[str]] = {}
        for category, category_terms in normalized.items():
            for term in category_terms:
                self._term_categories.setdefault(term, []).append(category)
        # Longest first, so "shut up" wins over a listed "shut" at the same position.
        alternatives = sorted(self._term_categories, key=len, reverse=True)
        body = "|".join(r"\s+".join(map(re.escape, term.split())) for term in alternatives)
        # Lookarounds rather than \b so terms that start or end in punctuation still match.
        self._pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)")

    def _fingerprint(self) -> str:
        document = {"per_hit": self.per_hit, "terms": {k: list(v) for k, v in self.terms.items()}}
        encoded = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(encoded).hexdigest()[:12]

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Score each text: ``1 - (1 - per_hit) ** hits`` per category."""
        if isinstance(texts, str):
            raise TypeError("score() takes a sequence of texts, not one string")
        miss = 1.0 - self.per_hit
        clean = dict.fromkeys(self.categories, 0.0)
        results: list[dict[str, float]] = []
        for text in texts:
            terms = self._pattern.findall(text.casefold())
            if not terms:
                # Most texts hit nothing: no counting, the same all-zero scores.
                results.append(clean.copy())
                continue
            hits = dict.fromkeys(self.categories, 0)
            for term in terms:
                for category in self._term_categories[" ".join(term.split())]:
                    hits[category] += 1
            results.append({category: 1.0 - miss**count for category, count in hits.items()})
        return results

    def __repr__(self) -> str:
        return f"KeywordClassifier(categories={self.categories!r}, per_hit={self.per_hit!r})"

"""Text safety signals: a small classifier interface, its implementations, and bands.

`load_classifier` picks the classifier named in configuration; `bands_for` turns its
scores into the allow / needs-review / limit bands that policy acts on. Importing
this package loads no model: the profanity model loads on first use.
"""

from safefeed.signals.embeddings import (
    SentenceEmbedder,
    load_sentence_embedder,
    sentence_embedder_available,
)
from safefeed.signals.profanity import PROFANITY_CATEGORY, ProfanityClassifier
from safefeed.signals.registry import BUILTIN_CLASSIFIERS, DEFAULT_CLASSIFIER, load_classifier
from safefeed.signals.text import DEFAULT_KEYWORD_TERMS, KeywordClassifier, TextClassifier
from safefeed.signals.thresholds import Band, TextThresholds, band, bands_for

__all__ = [
    "BUILTIN_CLASSIFIERS",
    "DEFAULT_CLASSIFIER",
    "DEFAULT_KEYWORD_TERMS",
    "PROFANITY_CATEGORY",
    "Band",
    "KeywordClassifier",
    "ProfanityClassifier",
    "SentenceEmbedder",
    "TextClassifier",
    "TextThresholds",
    "band",
    "bands_for",
    "load_classifier",
    "load_sentence_embedder",
    "sentence_embedder_available",
]

from __future__ import annotations

import subprocess
import sys

import safefeed.signals


def test_public_names_are_exactly_these() -> None:
    assert set(safefeed.signals.__all__) == {
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
    }
    for name in safefeed.signals.__all__:
        assert hasattr(safefeed.signals, name)


def test_importing_and_building_loads_no_model() -> None:
    # A fresh interpreter: this test process may already have loaded the model.
    code = (
        "import sys, safefeed.signals as s; s.load_classifier('profanity'); "
        "heavy = ('profanity_check', 'sklearn', 'torch', 'sentence_transformers'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"

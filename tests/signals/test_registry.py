from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from safefeed.exceptions import ConfigError
from safefeed.signals.profanity import ProfanityClassifier
from safefeed.signals.registry import BUILTIN_CLASSIFIERS, load_classifier
from safefeed.signals.text import KeywordClassifier, TextClassifier

SPECS = [
    *BUILTIN_CLASSIFIERS,
    "safefeed.signals.text:KeywordClassifier",
    "safefeed.signals.profanity:ProfanityClassifier",
]


def test_default_is_the_profanity_classifier() -> None:
    assert isinstance(load_classifier(), ProfanityClassifier)
    assert isinstance(load_classifier("profanity"), ProfanityClassifier)


def test_keyword_uses_the_built_in_terms() -> None:
    classifier = load_classifier(" keyword ")

    assert isinstance(classifier, KeywordClassifier)
    assert classifier.model_version == KeywordClassifier().model_version


@pytest.mark.parametrize("spec", SPECS)
def test_contract_of_every_loadable_classifier(spec: str) -> None:
    classifier = load_classifier(spec)
    texts = ["shut up you idiot", "a calm afternoon by the lake", ""]

    scores = classifier.score(texts)

    assert isinstance(classifier, TextClassifier)
    assert classifier.name
    assert classifier.model_version
    assert len(scores) == len(texts)
    for one in scores:
        assert tuple(one) == classifier.categories
        assert all(0.0 <= value <= 1.0 for value in one.values())
    assert classifier.score(texts) == scores
    assert classifier.score([]) == []


def _write_module(directory: Path, name: str, source: str) -> None:
    (directory / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")


def test_an_external_class_can_be_swapped_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_module(
        tmp_path,
        "platform_signals",
        """
        class LengthClassifier:
            name = "length"
            model_version = "length-1"
            categories = ("long",)

            def score(self, texts):
                return [{"long": min(len(t) / 100, 1.0)} for t in texts]
        """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    classifier = load_classifier("platform_signals:LengthClassifier")

    assert classifier.name == "length"
    assert classifier.score(["x" * 50]) == [{"long": 0.5}]


def test_an_external_class_that_breaks_the_contract_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_module(
        tmp_path,
        "broken_signals",
        """
        class NoVersion:
            name = "x"
            categories = ("x",)

            def score(self, texts):
                return []

        class ListCategories:
            name = "x"
            model_version = "1"
            categories = ["x"]

            def score(self, texts):
                return []

        class NeedsArguments:
            def __init__(self, path):
                self.path = path

        def not_a_class():
            return None
        """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(ConfigError, match="does not satisfy TextClassifier"):
        load_classifier("broken_signals:NoVersion")
    with pytest.raises(ConfigError, match="non-empty tuple of strings"):
        load_classifier("broken_signals:ListCategories")
    with pytest.raises(ConfigError, match="with no arguments"):
        load_classifier("broken_signals:NeedsArguments")
    with pytest.raises(ConfigError, match="has no class 'not_a_class'"):
        load_classifier("broken_signals:not_a_class")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "unknown text classifier 'nope': use one of 'keyword', 'profanity'"),
        ("", "unknown text classifier ''"),
        ("Profanity", "unknown text classifier 'Profanity'"),
        ("no_such_module_xyz:Thing", "cannot import 'no_such_module_xyz'"),
        ("collections:NoSuchClass", "has no class 'NoSuchClass'"),
        ("collections:OrderedDict", "does not satisfy TextClassifier"),
        (":Thing", "must look like 'package.module:ClassName'"),
        ("collections:", "must look like 'package.module:ClassName'"),
    ],
)
def test_bad_specs_are_config_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_classifier(spec)

from __future__ import annotations

import pytest

from safefeed.exceptions import ConfigError
from safefeed.signals.text import DEFAULT_KEYWORD_TERMS, KeywordClassifier, TextClassifier


def test_scores_saturate_with_hits() -> None:
    classifier = KeywordClassifier({"insult": ["idiot", "moron"]})

    scores = classifier.score(["hello", "idiot", "idiot moron", "idiot moron idiot"])

    assert [s["insult"] for s in scores] == [0.0, 0.5, 0.75, 0.875]


def test_matching_is_whole_word_and_case_insensitive() -> None:
    classifier = KeywordClassifier({"insult": ["idiot"]})

    scores = classifier.score(["IDIOT!", "(idiot)", "idiotic", "semi-idiotproof", "an Idiot."])

    assert [s["insult"] for s in scores] == [0.5, 0.5, 0.0, 0.0, 0.5]


def test_multi_word_terms_match_across_whitespace() -> None:
    classifier = KeywordClassifier({"rude": ["shut up"]})

    scores = classifier.score(["Shut   up", "shut\nup now", "shutup", "shut it up"])

    assert [s["rude"] for s in scores] == [0.5, 0.5, 0.0, 0.0]


def test_a_term_in_two_categories_counts_for_both() -> None:
    classifier = KeywordClassifier({"a": ["damn"], "b": ["damn", "heck"]})

    assert classifier.score(["damn heck"]) == [{"a": 0.5, "b": 0.75}]


def test_every_text_gets_every_category_in_order() -> None:
    classifier = KeywordClassifier({"x": ["foo"], "y": ["bar"]})

    scores = classifier.score(["bar", "", "foo"])

    assert scores == [{"x": 0.0, "y": 0.5}, {"x": 0.0, "y": 0.0}, {"x": 0.5, "y": 0.0}]
    assert classifier.categories == ("x", "y")
    assert classifier.score([]) == []


def test_per_hit_sets_the_saturation_rate() -> None:
    classifier = KeywordClassifier({"x": ["foo"]}, per_hit=1.0)

    assert classifier.score(["foo", "nothing"]) == [{"x": 1.0}, {"x": 0.0}]


def test_model_version_follows_the_term_lists_only() -> None:
    base = KeywordClassifier({"x": ["foo", "bar"]})

    assert base.model_version.startswith("keyword-")
    # Order, case, duplicates and extra whitespace do not change what is matched.
    assert KeywordClassifier({"x": ["BAR", "foo", "foo "]}).model_version == base.model_version
    assert KeywordClassifier({"x": ["foo", "baz"]}).model_version != base.model_version
    assert KeywordClassifier({"y": ["foo", "bar"]}).model_version != base.model_version
    assert KeywordClassifier({"x": ["foo", "bar"]}, per_hit=0.3).model_version != (
        base.model_version
    )


def test_default_terms_and_protocol() -> None:
    classifier = KeywordClassifier()

    assert isinstance(classifier, TextClassifier)
    assert classifier.categories == tuple(DEFAULT_KEYWORD_TERMS)
    [rude, polite] = classifier.score(["Shut up, you stupid idiot", "Thanks for the recipe"])
    assert rude["profanity"] > 0.8
    assert polite["profanity"] == 0.0


@pytest.mark.parametrize(
    ("terms", "per_hit"),
    [
        ({}, 0.5),
        ({"x": []}, 0.5),
        ({"x": ["  "]}, 0.5),
        ({"x": ["foo"]}, 0.0),
        ({"x": ["foo"]}, 1.5),
    ],
)
def test_invalid_configuration_is_a_config_error(
    terms: dict[str, list[str]], per_hit: float
) -> None:
    with pytest.raises(ConfigError):
        KeywordClassifier(terms, per_hit=per_hit)


def test_a_single_string_is_rejected() -> None:
    with pytest.raises(TypeError, match="sequence of texts"):
        KeywordClassifier().score("idiot")

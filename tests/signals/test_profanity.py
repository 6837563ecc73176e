from __future__ import annotations

import re
from importlib import metadata

import pytest

from safefeed.signals.profanity import ProfanityClassifier
from safefeed.signals.text import TextClassifier

OFFENSIVE = [
    "shut up you stupid idiot",
    "what the hell is wrong with you, moron",
    "this is complete bullshit",
    "you suck, get lost",
    "fuck this stupid game",
]
BENIGN = [
    "the recipe needs two cups of flour and an egg",
    "our team won the match on saturday",
    "new study finds that sleep improves memory",
    "I love walking my dog in the park",
    "the train to Berlin leaves at nine",
]


@pytest.fixture(scope="module")
def classifier() -> ProfanityClassifier:
    return ProfanityClassifier()


def test_separates_offensive_from_benign_sentences(classifier: ProfanityClassifier) -> None:
    scores = [s["profanity"] for s in classifier.score(OFFENSIVE + BENIGN)]
    offensive, benign = scores[: len(OFFENSIVE)], scores[len(OFFENSIVE) :]

    # Measured with alt-profanity-check 1.9.1: offensive >= 0.98, benign <= 0.07.
    assert min(offensive) > 0.8, offensive
    assert max(benign) < 0.3, benign


def test_one_score_per_text_in_order(classifier: ProfanityClassifier) -> None:
    texts = [BENIGN[0], OFFENSIVE[0]] * 50

    scores = classifier.score(texts)

    assert len(scores) == len(texts)
    assert all(set(s) == {"profanity"} for s in scores)
    assert all(0.0 <= s["profanity"] <= 1.0 for s in scores)
    assert all(type(s["profanity"]) is float for s in scores)
    assert scores[0]["profanity"] < scores[1]["profanity"]
    assert classifier.score(texts[:2]) == scores[:2]


def test_empty_batch_and_empty_text(classifier: ProfanityClassifier) -> None:
    assert classifier.score([]) == []
    [empty] = classifier.score([""])
    assert 0.0 <= empty["profanity"] < 0.5


def test_model_version_names_the_installed_package(classifier: ProfanityClassifier) -> None:
    assert re.fullmatch(r"alt-profanity-check==\d+(\.\d+)+\S*", classifier.model_version)
    assert classifier.model_version.endswith(metadata.version("alt-profanity-check"))


def test_satisfies_the_protocol(classifier: ProfanityClassifier) -> None:
    assert isinstance(classifier, TextClassifier)
    assert classifier.name == "profanity"
    assert classifier.categories == ("profanity",)


def test_a_single_string_is_rejected(classifier: ProfanityClassifier) -> None:
    with pytest.raises(TypeError, match="sequence of texts"):
        classifier.score("you idiot")

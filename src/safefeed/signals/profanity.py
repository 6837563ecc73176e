"""The default text signal: the trained model shipped inside ``alt-profanity-check``.

The model is a calibrated linear classifier over TF-IDF word features, trained on
offensive-language data. It reliably separates profanity and insults from ordinary
text, but it reads words, not meaning: threats or hateful statements phrased without
offensive words score low. That is why the category is called ``"profanity"`` and
not ``"toxicity"`` — the name promises no more than the model does.

Scores are per text over length-normalised features, so one rude sentence inside a
long, otherwise ordinary text is diluted, at times far below any flagging threshold;
score sentences on their own where that matters.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from functools import cache
from importlib import metadata
from typing import Any

from safefeed.exceptions import ConfigError

__all__ = ["PROFANITY_CATEGORY", "ProfanityClassifier"]

PROFANITY_CATEGORY = "profanity"
_DISTRIBUTION = "alt-profanity-check"


@cache
def _installed_version() -> str:
    try:
        return metadata.version(_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise ConfigError(
            f"the profanity classifier needs the {_DISTRIBUTION!r} package; install it "
            "or configure another text classifier"
        ) from None


@cache
def _predict_prob() -> Callable[[list[str]], Any]:
    # Importing profanity_check unpickles its model (about a second, plus scikit-learn),
    # so it waits for the first score() instead of slowing every `import safefeed`.
    from sklearn.exceptions import InconsistentVersionWarning

    with warnings.catch_warnings():
        # alt-profanity-check pins the scikit-learn it pickled its model with; the
        # warning only appears when an installer overrode that pin. The classifier
        # tests check the scores still separate offensive from benign text, which is
        # what matters — failing every import over it would turn a signal off silently.
        warnings.filterwarnings("ignore", category=InconsistentVersionWarning)
        from profanity_check import predict_prob
    return predict_prob  # type: ignore[no-any-return]


class ProfanityClassifier:
    """Probability that a text is profane or insulting, from ``alt-profanity-check``.

    Construction is cheap and checks only that the package is installed; the model
    loads on the first call to `score`.
    """

    name = "profanity"
    categories: tuple[str, ...] = (PROFANITY_CATEGORY,)

    def __init__(self) -> None:
        self.model_version = f"{_DISTRIBUTION}=={_installed_version()}"

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Score a batch in one vectorized call; scores are calibrated probabilities."""
        if isinstance(texts, str):
            raise TypeError("score() takes a sequence of texts, not one string")
        if not texts:
            # scikit-learn rejects a zero-row matrix rather than returning no rows.
            return []
        probabilities: list[float] = _predict_prob()(list(texts)).tolist()
        return [{PROFANITY_CATEGORY: p} for p in probabilities]

    def __repr__(self) -> str:
        return f"ProfanityClassifier(model_version={self.model_version!r})"

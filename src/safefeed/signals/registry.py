"""Choosing the text classifier by configuration (``text_classifier`` in the policy).

A spec is a built-in name or ``package.module:ClassName``, so a platform can swap in
its own classifier without changing safefeed: the class is imported, built with no
arguments, and must satisfy `TextClassifier`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

from safefeed.exceptions import ConfigError
from safefeed.signals.profanity import ProfanityClassifier
from safefeed.signals.text import KeywordClassifier, TextClassifier

__all__ = ["BUILTIN_CLASSIFIERS", "DEFAULT_CLASSIFIER", "load_classifier"]

DEFAULT_CLASSIFIER = "profanity"

#: Built-in specs and what they build.
BUILTIN_CLASSIFIERS: Mapping[str, Callable[[], TextClassifier]] = {
    "profanity": ProfanityClassifier,
    "keyword": KeywordClassifier,
}


def load_classifier(spec: str = DEFAULT_CLASSIFIER) -> TextClassifier:
    """Build the classifier a spec names; any problem is a `ConfigError` saying which.

    >>> load_classifier("keyword").name
    'keyword'
    >>> load_classifier("nope")
    Traceback (most recent call last):
    ...
    safefeed.exceptions.ConfigError: unknown text classifier 'nope': use one of 'keyword', \
'profanity', or 'package.module:ClassName'
    """
    spec = spec.strip()
    builtin = BUILTIN_CLASSIFIERS.get(spec)
    if builtin is not None:
        return builtin()
    if ":" not in spec:
        names = ", ".join(repr(name) for name in sorted(BUILTIN_CLASSIFIERS))
        raise ConfigError(
            f"unknown text classifier {spec!r}: use one of {names}, or 'package.module:ClassName'"
        )
    return _load_external(spec)


def _load_external(spec: str) -> TextClassifier:
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise ConfigError(f"text classifier {spec!r} must look like 'package.module:ClassName'")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        # Not only ImportError: a module that fails while importing is a config problem too.
        raise ConfigError(
            f"text classifier {spec!r}: cannot import {module_name!r}: {exc}"
        ) from exc
    factory = getattr(module, class_name, None)
    if not isinstance(factory, type):
        raise ConfigError(f"text classifier {spec!r}: {module_name} has no class {class_name!r}")
    try:
        instance = factory()
    except Exception as exc:
        # Any failure here is a configuration problem to report, whatever the class raised.
        raise ConfigError(
            f"text classifier {spec!r}: could not build it with no arguments: {exc}"
        ) from exc
    return _check_contract(spec, instance)


def _check_contract(spec: str, instance: object) -> TextClassifier:
    if not isinstance(instance, TextClassifier):
        raise ConfigError(
            f"text classifier {spec!r} does not satisfy TextClassifier: it needs `name`, "
            "`model_version`, `categories` and a `score(texts)` method"
        )
    problems = []
    if not isinstance(instance.name, str) or not instance.name:
        problems.append("`name` must be a non-empty string")
    if not isinstance(instance.model_version, str) or not instance.model_version:
        problems.append("`model_version` must be a non-empty string")
    categories = instance.categories
    if (
        not isinstance(categories, tuple)
        or not categories
        or not all(isinstance(c, str) and c for c in categories)
    ):
        problems.append("`categories` must be a non-empty tuple of strings")
    if problems:
        raise ConfigError(f"text classifier {spec!r}: {'; '.join(problems)}")
    return instance

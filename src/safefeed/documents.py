"""Versioned configuration documents (policy, feed): validation with one clear error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from safefeed.exceptions import ConfigError

__all__ = ["validate_document"]

Model = TypeVar("Model", bound=BaseModel)


def validate_document(model: type[Model], document: Mapping[str, Any], what: str) -> Model:
    """Validate ``document`` as ``model``; every problem is listed in one `ConfigError`.

    >>> from pydantic import BaseModel
    >>> class Limits(BaseModel):
    ...     size: int
    >>> validate_document(Limits, {"size": "big"}, "limits")
    Traceback (most recent call last):
    ...
    safefeed.exceptions.ConfigError: invalid limits: size: Input should be a valid integer, \
unable to parse string as an integer
    """
    try:
        return model.model_validate(dict(document))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'document'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise ConfigError(f"invalid {what}: {problems}") from None

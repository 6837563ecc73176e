"""Configuration documents (policy, feed, risk, simulation): reading and validation,
each with one clear, one-line error."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from safefeed.exceptions import ConfigError, SafefeedError

__all__ = ["describe_errors", "read_yaml_document", "validate_document"]

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
        raise ConfigError(f"invalid {what}: {describe_errors(exc)}") from None


def describe_errors(exc: ValidationError) -> str:
    """Every problem of a pydantic error on one line: ``field: reason; field: reason``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'document'}: {e['msg']}"
        for e in exc.errors(include_url=False)
    )


def read_yaml_document(
    path: Path, what: str, error: type[SafefeedError] = ConfigError
) -> dict[str, Any]:
    """The mapping a YAML (or JSON) file holds; an empty file is an empty mapping.
    Problems raise ``error``: a `ConfigError` for the operator's own configuration, an
    `InputError` where a caller hands the document in.

    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "world.yaml"
    >>> _ = bad.write_text("users: [1, 2\\n")
    >>> read_yaml_document(bad, "sim config")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    safefeed.exceptions.ConfigError: sim config ...: not valid YAML: ... (line 2, column 1)
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{what} {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{what} {path}: not valid YAML: {problem}{where}") from None
    except UnicodeDecodeError:
        raise error(f"{what} {path}: not UTF-8 text") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise error(f"{what} {path}: must hold a mapping, not {type(document).__name__}")
    return document

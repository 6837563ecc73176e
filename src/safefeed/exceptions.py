"""Exceptions raised by safefeed.

The hierarchy::

    SafefeedError
    ├── ConfigError            configuration or policy document is invalid
    ├── StoreError             the store cannot be read or written
    ├── NotFoundError          a named subject, key or record does not exist
    ├── PermissionDeniedError  the caller's roles do not allow the action
    └── InputError             bad input from a caller (event batch, CLI argument, API body)
        └── BatchTooLargeError an event batch exceeds the configured bound

The API maps ``InputError`` to 4xx problem responses and the CLI to a one-line
message with a non-zero exit; nothing else is expected to escape to a caller.
"""

from __future__ import annotations

__all__ = [
    "BatchTooLargeError",
    "ConfigError",
    "InputError",
    "NotFoundError",
    "PermissionDeniedError",
    "SafefeedError",
    "StoreError",
]


class SafefeedError(Exception):
    """Base class of every error safefeed raises on purpose."""


class ConfigError(SafefeedError):
    """A configuration value or policy document is invalid."""


class StoreError(SafefeedError):
    """The store could not be read or written."""


class NotFoundError(SafefeedError):
    """A named subject, key or record does not exist."""


class PermissionDeniedError(SafefeedError):
    """The caller's roles do not allow the requested action."""


class InputError(SafefeedError):
    """Input from a caller is malformed or violates the contract."""


class BatchTooLargeError(InputError):
    """An event batch is larger than the configured bound."""

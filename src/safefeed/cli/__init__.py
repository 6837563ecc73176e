"""The ``safefeed`` command line (Typer)."""

from safefeed.cli.main import app, main

__all__ = ["app", "main"]

"""The package version, stamped on every decision and audit record."""

__all__ = ["__version__"]

__version__ = "0.1.0"

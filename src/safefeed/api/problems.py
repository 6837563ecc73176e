"""Errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from safefeed.exceptions import (
    BatchTooLargeError,
    ConfigError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    StoreError,
)

__all__ = ["ProblemError", "install_problem_handlers", "problem"]

PROBLEM_TYPE = "application/problem+json"
#: What a 503 (the store unavailable) asks a client to wait before retrying.
RETRY_AFTER_SECONDS = 5


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem-details response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE)


class ProblemError(Exception):
    """Raised by routes to answer with a problem (and optional extra members)."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


_MAPPING: list[tuple[type[Exception], int, str]] = [
    (BatchTooLargeError, 413, "Batch too large"),
    (InputError, 400, "Bad request"),
    (ConfigError, 400, "Invalid configuration"),
    (NotFoundError, 404, "Not found"),
    (PermissionDeniedError, 403, "Forbidden"),
    (StoreError, 503, "Store unavailable"),
]


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error the app returns a problem document, and never a traceback."""

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"location": _location(e["loc"]), "error": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['location']}: {e['error']}" for e in errors)
        return problem(422, "Invalid request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem(exc.status_code, _title(exc.status_code), str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    for error_type, status, title in _MAPPING:

        def _handler(
            _: Request, exc: Exception, status: int = status, title: str = title
        ) -> JSONResponse:
            response = problem(status, title, str(exc))
            if status == 503:
                # A platform's sender retries an unacknowledged batch; say when (a store
                # back within seconds, as after a failover, takes it then).
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response

        app.add_exception_handler(error_type, _handler)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # The cause goes to the server log; the caller gets no traceback.
        return problem(500, "Internal error", "an unexpected error occurred; it has been logged")


def _title(status: int) -> str:
    return {
        400: "Bad request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        413: "Payload too large",
        415: "Unsupported media type",
    }.get(status, "Error")

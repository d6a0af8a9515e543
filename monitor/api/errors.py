"""One JSON error shape for every error the app answers, whatever raised it."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor.errors import StoreError
from monitor.query.errors import QueryError

log = logging.getLogger("monitor.api")

_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 406: "not_acceptable",
          422: "invalid_request", 503: "unavailable"}


class ErrorDetail(BaseModel):
    """What went wrong, for people and for programs."""

    status: int = Field(description="the HTTP status, repeated")
    code: str = Field(description="stable machine-readable name, e.g. bad_query, not_found")
    message: str = Field(description="one sentence a person can act on")
    details: list[dict[str, Any]] | dict[str, Any] | None = Field(
        None, description="per-field problems (validation) or per-check state (readiness)")


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


def error_response(status: int, code: str, message: str,
                   details: list[dict[str, Any]] | dict[str, Any] | None = None) -> JSONResponse:
    """The one error shape."""
    body = ErrorBody(error=ErrorDetail(status=status, code=code, message=message, details=details))
    return JSONResponse(body.model_dump(), status_code=status)


# For the OpenAPI document: every route may answer these.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody, "description": d} for s, d in (
        (400, "bad query, filter or cursor"), (422, "invalid parameters"),
        (500, "internal error"), (503, "database unreachable, not ready or query timed out"))
}


async def _http(_req: Request, exc: Exception) -> JSONResponse:
    """404s from routing, 405s, and HTTPExceptions raised by routes."""
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    return error_response(exc.status_code, _CODES.get(exc.status_code, "http_error"), message)


async def _validation(_req: Request, exc: Exception) -> JSONResponse:
    """Parameters that do not fit their declared types."""
    assert isinstance(exc, RequestValidationError)
    details = [{"loc": [str(p) for p in e.get("loc", ())], "message": str(e.get("msg", ""))}
               for e in exc.errors()]
    where = ", ".join(".".join(d["loc"][1:] or d["loc"]) for d in details) or "request"
    return error_response(422, "invalid_request", f"invalid parameters: {where}", details)


async def _query(_req: Request, exc: Exception) -> JSONResponse:
    """The query side's own errors carry their status and code."""
    assert isinstance(exc, QueryError)
    return error_response(exc.status, exc.code, str(exc))


async def _store(_req: Request, exc: Exception) -> JSONResponse:
    """The store cannot serve (e.g. its schema is not at head)."""
    return error_response(503, "unavailable", str(exc))


async def _internal(req: Request, exc: Exception) -> JSONResponse:
    """Anything else: logged with its traceback, answered without internals."""
    log.error("api: %s %s failed", req.method, req.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error; the server log has the details")


def install(app: FastAPI) -> None:
    """Route every kind of error to the one shape."""
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(QueryError, _query)
    app.add_exception_handler(StoreError, _store)
    app.add_exception_handler(Exception, _internal)

"""Errors as the contract's Problem body, and their OpenAPI documentation.

Every error the server gives (ours, FastAPI's validation errors, Starlette's 404/405) goes out as
a :class:`intake.contract.Problem`, so a client needs one error parser and schemathesis can check
every documented error body against the schema. Problem texts are capped at the model's 200
characters and never carry request values that could be personal data.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from intake.contract import Problem

_MAX_TEXT = 200

_DESCRIPTIONS = {
    400: "The body is not JSON",
    401: "Not signed, or the signature does not verify (the detail says why)",
    403: "Signed, but not allowed for this kiosk",
    404: "No such resource",
    409: "Conflicts with the state the server holds",
    413: "Body larger than the server accepts",
    422: "The request is well-formed but invalid",
}


class ProblemError(Exception):
    """Raised by handlers; becomes a Problem response (or ``body``, when the contract says so)."""

    def __init__(self, status: int, title: str, detail: str = "", *, body: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail
        self.body = body
        self.headers = headers


def problem_response(status: int, title: str, detail: str = "", headers: dict[str, str] | None = None) -> JSONResponse:
    body = Problem(title=title[:_MAX_TEXT], detail=detail[:_MAX_TEXT])
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry documenting these error statuses with the Problem model."""
    return {s: {"model": Problem, "description": _DESCRIPTIONS[s]} for s in statuses}


def _validation_detail(exc: RequestValidationError) -> str:
    # Location and message only: pydantic's "input" would echo the request's values.
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        if exc.body is not None:
            return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)
        return problem_response(exc.status, exc.title, exc.detail, exc.headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(422, "invalid request", _validation_detail(exc))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(exc.status_code, str(exc.detail), "", dict(exc.headers or {}))

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)

"""Errors the API answers with, each a 4xx whose JSON body names the parameter and the problem.

Every error body is ``{"error": <kind>, "detail": <message>}``; request validation errors from
FastAPI are reshaped to the same form so a client has one thing to parse.
"""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class EnforcemapError(Exception):
    """Base of every error the API reports to the client."""

    status_code = 400
    kind = "bad_request"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class InvalidParameter(EnforcemapError):
    """A query parameter is malformed or out of range."""

    status_code = 422
    kind = "invalid_parameter"


class NotFound(EnforcemapError):
    """The path names a collection, feature or county that does not exist."""

    status_code = 404
    kind = "not_found"


class PayloadTooLarge(EnforcemapError):
    """A request body, polygon or point list is over its configured limit."""

    status_code = 413
    kind = "payload_too_large"


def error_body(kind: str, detail: str) -> dict:
    """The one error shape every 4xx uses."""
    return {"error": kind, "detail": detail}


def add_exception_handlers(app: FastAPI) -> None:
    """Answer domain errors, validation errors and HTTP errors in the one JSON shape."""

    @app.exception_handler(EnforcemapError)
    async def _domain(request: Request, exc: EnforcemapError) -> JSONResponse:
        return JSONResponse(error_body(exc.kind, exc.detail), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in error['loc'] if p not in ('query', 'path', 'body'))}: "
            f"{error['msg']}"
            for error in exc.errors()
        ]
        return JSONResponse(error_body("invalid_parameter", "; ".join(problems)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = "not_found" if exc.status_code == 404 else "http_error"
        return JSONResponse(
            error_body(kind, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

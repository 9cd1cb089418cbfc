"""Errors as JSON, never a stack trace: ``{"error": <code>, "detail": <one line or the issues>, "request_id"}``.

User errors of the lower layers keep their meaning: an ``InputValidationError`` is 422 with one issue
per problem, a missing file 404; anything unexpected is 500 with only the request id (the traceback
goes to the log, under the same id).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..core.errors import InputFileError, InputValidationError, LandcarbonError
from ..io.catalog import CatalogError
from . import logs

log = logs.get("landcarbon.web")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          406: "not_acceptable", 409: "conflict", 411: "length_required", 413: "too_large",
          415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests", 500: "internal",
          503: "unavailable"}


class APIError(Exception):
    status = 400

    def __init__(self, detail: Any, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(str(detail))
        self.detail = detail
        self.headers = headers
        self.extra = extra


class BadRequest(APIError):
    status = 400


class Unauthorized(APIError):
    status = 401


class Forbidden(APIError):
    status = 403


class NotFound(APIError):
    status = 404


class Conflict(APIError):
    status = 409


class TooLarge(APIError):
    status = 413


class Invalid(APIError):
    status = 422


class Unavailable(APIError):
    status = 503


def _rid(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def error_response(request: Request, status: int, detail: Any, *, headers: dict[str, str] | None = None,
                   **extra: Any) -> JSONResponse:
    body = {"error": _CODES.get(status, "error"), "detail": detail, **extra, "request_id": _rid(request)}
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def _api(request: Request, err: APIError) -> JSONResponse:
        return error_response(request, err.status, err.detail, headers=err.headers, **err.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> JSONResponse:
        return error_response(request, err.status_code, err.detail, headers=getattr(err, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, err: RequestValidationError) -> JSONResponse:
        issues = [{"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
                  for e in err.errors()]
        return error_response(request, 422, "; ".join(f"{i['where']}: {i['message']}" for i in issues),
                              issues=issues)

    @app.exception_handler(InputValidationError)
    async def _input(request: Request, err: InputValidationError) -> JSONResponse:
        issues = [{"where": getattr(i, "key", ""), "message": getattr(i, "message", str(i))} for i in err.issues]
        return error_response(request, 422, str(err), issues=issues)

    @app.exception_handler(InputFileError)
    async def _file(request: Request, err: InputFileError) -> JSONResponse:
        return error_response(request, 404, str(err))

    @app.exception_handler(CatalogError)
    async def _catalog(request: Request, err: CatalogError) -> JSONResponse:
        log.error("catalog error", extra={"request_id": _rid(request), "detail": str(err)})
        return error_response(request, 503, "the catalog cannot answer now; the server log has the details")

    @app.exception_handler(OperationalError)
    async def _db(request: Request, err: OperationalError) -> JSONResponse:
        log.error("catalog unreachable", extra={"request_id": _rid(request), "detail": str(err.orig)[:300]})
        return error_response(request, 503, "the catalog database does not answer; try again later")

    @app.exception_handler(LandcarbonError)
    async def _lc(request: Request, err: LandcarbonError) -> JSONResponse:
        return error_response(request, 400, str(err))

    @app.exception_handler(Exception)
    async def _any(request: Request, err: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=err, extra={"request_id": _rid(request), "path": request.url.path})
        return error_response(request, 500, "internal error; the server log has the details under this request id")


__all__ = ["APIError", "BadRequest", "Conflict", "Forbidden", "Invalid", "NotFound", "TooLarge", "Unauthorized",
           "Unavailable", "error_response", "install"]

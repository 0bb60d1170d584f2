"""The API's error answers: `{"error": {"code", "message"}}` with a 4xx/5xx, for every failure."""

from __future__ import annotations

import logging
import math
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from cco_enrich.api.headers import SECURITY_HEADERS
from cco_enrich.api.responses import JSONResponse
from cco_enrich.errors import (
    BodyTimeoutError,
    InputError,
    InputTooLargeError,
    LimitExceededError,
    SessionBusyError,
    SessionNotFoundError,
    UnknownFormatError,
    UnknownStatusError,
    UnsupportedMediaTypeError,
)
from cco_enrich.store import STORE_UNAVAILABLE_ERRORS

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    503: "unavailable",
}


def error_response(status_code: int, code: str, message: str, **extra: Any) -> JSONResponse:
    """The one shape every error takes."""
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    response = error_response(exc.status_code, code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _session_not_found(request: Request, exc: Exception) -> Response:
    return error_response(404, "session_not_found", str(exc))


async def _session_busy(request: Request, exc: Exception) -> Response:
    return error_response(409, "session_busy", str(exc))


async def _too_large(request: Request, exc: Exception) -> Response:
    return error_response(413, "too_large", str(exc))


async def _invalid_input(request: Request, exc: Exception) -> Response:
    return error_response(422, "invalid_input", str(exc))


async def _unsupported_media_type(request: Request, exc: Exception) -> Response:
    return error_response(415, "unsupported_media_type", str(exc))


async def _unknown_status(request: Request, exc: Exception) -> Response:
    return error_response(400, "bad_request", str(exc))


async def _unknown_format(request: Request, exc: Exception) -> Response:
    return error_response(400, "unknown_format", str(exc))


async def _limit_exceeded(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LimitExceededError)
    response = error_response(429, "too_many_requests", str(exc))
    response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s)))
    return response


async def _body_timeout(request: Request, exc: Exception) -> Response:
    # The client is still (slowly) sending: close the connection rather than wait for the rest.
    response = error_response(408, "request_timeout", str(exc))
    response.headers["Connection"] = "close"
    return response


async def _redis_down(request: Request, exc: Exception) -> Response:
    log.warning("%s %s: Redis unreachable: %s", request.method, request.url.path, exc)
    return error_response(
        503, "redis_unavailable", "The session store is unreachable; try again shortly."
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("%s %s failed", request.method, request.url.path)
    response = error_response(
        500, "internal_error", "Something went wrong on our side; it is logged."
    )
    # Starlette sends this answer from outside every middleware: add the headers here.
    response.headers.update(SECURITY_HEADERS)
    return response


EXCEPTION_HANDLERS = {
    HTTPException: _http_exception,
    SessionNotFoundError: _session_not_found,
    SessionBusyError: _session_busy,
    InputTooLargeError: _too_large,
    UnsupportedMediaTypeError: _unsupported_media_type,
    UnknownStatusError: _unknown_status,
    InputError: _invalid_input,
    UnknownFormatError: _unknown_format,
    LimitExceededError: _limit_exceeded,
    BodyTimeoutError: _body_timeout,
    **dict.fromkeys(STORE_UNAVAILABLE_ERRORS, _redis_down),
    Exception: _unexpected,
}

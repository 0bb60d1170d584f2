"""Who may call the API and from where: the CCO_API_TOKEN check, CORS, and security headers.

Middleware order (outermost first), as `create_app` stacks it: security headers (so every answer has
them, a 401 or a CORS preflight too), CORS (a preflight carries no token), then the token check.
"""

from __future__ import annotations

import hmac
import logging
import re

from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cco_enrich.api.errors import error_response
from cco_enrich.api.headers import SECURITY_HEADERS

# EventSource cannot send headers, so the event stream (and only it) also takes `?token=`.
EVENTS_PATH = re.compile(r"^/api/sessions/[^/]+/events$")
CHALLENGE = 'Bearer realm="cco_enrich"'
UNAUTHORIZED_MESSAGE = (
    "This API needs the CCO_API_TOKEN: send `Authorization: Bearer TOKEN` "
    "(the event stream also takes `?token=TOKEN`)."
)
CORS_METHODS = ["GET", "POST", "DELETE"]
CORS_HEADERS = ["Authorization", "Content-Type", "Last-Event-ID"]
_TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&\s\"]*")


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _given_token(scope: Scope) -> str | None:
    scheme, _, credentials = Headers(scope=scope).get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    if EVENTS_PATH.match(scope["path"]):
        return QueryParams(scope["query_string"]).get("token") or None
    return None


class ApiTokenMiddleware:
    """Answers 401 to every `/api/*` call that lacks the bearer token; other paths stay open."""

    def __init__(self, app: ASGIApp, *, token: str) -> None:
        self.app = app
        self.token = token.encode()

    def is_authorised(self, scope: Scope) -> bool:
        given = _given_token(scope)
        # Constant time, so the answer's timing says nothing about how much of a guess was right.
        return given is not None and hmac.compare_digest(given.encode(), self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope["path"]) or self.is_authorised(scope):
            await self.app(scope, receive, send)
            return
        response = error_response(401, "unauthorized", UNAUTHORIZED_MESSAGE)
        response.headers["WWW-Authenticate"] = CHALLENGE
        await response(scope, receive, send)


class SecurityHeadersMiddleware:
    """Adds SECURITY_HEADERS to every answer that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def parse_origins(text: str) -> list[str]:
    """CCO_CORS_ORIGINS as a list: 'https://a.example, https://b.example/' -> without the '/'."""
    return [origin.strip().rstrip("/") for origin in text.split(",") if origin.strip()]


def security_middleware(
    *, api_token: str | None, cors_origins: str, inner: list[Middleware]
) -> list[Middleware]:
    """The middleware list: headers, CORS when origins are set, the token check, then `inner`."""
    origins = parse_origins(cors_origins)
    cors = (
        [
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=CORS_METHODS,
                allow_headers=CORS_HEADERS,
                expose_headers=["Location", "Retry-After"],
                max_age=600,
            )
        ]
        if origins
        else []
    )
    token = [Middleware(ApiTokenMiddleware, token=api_token)] if api_token else []
    return [Middleware(SecurityHeadersMiddleware), *cors, *token, *inner]


class AccessLogTokenFilter(logging.Filter):
    """Blanks `?token=...` in access log lines (uvicorn logs every path with its query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_QUERY.sub(r"\1***", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def install_access_log_filter(logger_name: str = "uvicorn.access") -> None:
    """Attach AccessLogTokenFilter to the access logger, once."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, AccessLogTokenFilter) for f in logger.filters):
        logger.addFilter(AccessLogTokenFilter())

"""The admin page's access and data: CCO_ADMIN_TOKEN checks, the login cookie, /admin/api/overview.

Access is a bearer token (`Authorization: Bearer TOKEN`, for scripts) or a cookie set by the login
form (for the page). The cookie never holds the token itself: it holds an expiry and an HMAC of that
expiry keyed by the token, so changing CCO_ADMIN_TOKEN logs every browser out.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import time
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cco_enrich.api.errors import error_response
from cco_enrich.api.headers import SECURITY_HEADERS
from cco_enrich.api.responses import JSONResponse
from cco_enrich.models import utc_now

if TYPE_CHECKING:
    from cco_enrich.api.sessions import ApiState
    from cco_enrich.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
ADMIN_COOKIE = "cco_admin"
COOKIE_MAX_AGE_S = 12 * 3600
RECENT_SESSIONS_DEFAULT = 50
RECENT_SESSIONS_MAX = 500
DISABLED_MESSAGE = (
    "The admin page is disabled. To enable it, set CCO_ADMIN_TOKEN to a long random string "
    "(for example the output of `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) "
    "and restart the API."
)
UNAUTHORIZED_MESSAGE = (
    "Admin access needs the CCO_ADMIN_TOKEN: send `Authorization: Bearer TOKEN`, "
    "or log in at /admin."
)
PAGE_HEADERS = {"Cache-Control": "no-cache", **SECURITY_HEADERS}
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="cco_enrich admin"'}


def admin_token(request: Request) -> str | None:
    """The configured admin token, or None when the admin page is disabled."""
    settings: Settings = request.app.state.settings
    secret = settings.admin_token
    value = secret.get_secret_value() if secret is not None else ""
    return value or None


def _cookie_signature(token: str, expires: int) -> str:
    message = f"cco_enrich admin until {expires}".encode()
    return hmac.new(token.encode(), message, hashlib.sha256).hexdigest()


def make_cookie_value(token: str, *, now: float | None = None) -> str:
    """A login cookie valid for COOKIE_MAX_AGE_S: `<expiry>.<hmac>`."""
    expires = int(now if now is not None else time.time()) + COOKIE_MAX_AGE_S
    return f"{expires}.{_cookie_signature(token, expires)}"


def _is_cookie_valid(token: str, value: str) -> bool:
    expires_text, _, signature = value.partition(".")
    if not expires_text.isdigit() or int(expires_text) < time.time():
        return False
    expected = _cookie_signature(token, int(expires_text))
    return hmac.compare_digest(signature.encode(), expected.encode())


def is_authorised(request: Request, token: str) -> bool:
    """Whether the request carries the admin token as a bearer token or a valid login cookie."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return hmac.compare_digest(credentials.strip().encode(), token.encode())
    cookie = request.cookies.get(ADMIN_COOKIE)
    return cookie is not None and _is_cookie_valid(token, cookie)


def _message_page(title: str, body: str, status_code: int, *, form: bool = False) -> HTMLResponse:
    """A small server-rendered page (disabled notice or login form) in the site's style."""
    error = f'<p class="alert" role="alert">{html.escape(body)}</p>' if body else ""
    login = (
        '<form method="post" action="/admin/login" class="login">'
        # A fixed user name: password managers and browsers expect one next to a password field.
        '<input type="text" name="username" value="admin" autocomplete="username" hidden>'
        '<label for="token">Admin token</label>'
        '<input id="token" name="token" type="password" autocomplete="current-password" '
        "required autofocus>"
        '<button type="submit" class="primary">Log in</button>'
        "</form>"
        '<p class="hint">The token is the value of <code>CCO_ADMIN_TOKEN</code> on the API '
        "server. Scripts can send it as <code>Authorization: Bearer TOKEN</code>.</p>"
        if form
        else ""
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · cco_enrich</title>"
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        '<link rel="stylesheet" href="/static/style.css"></head>'
        '<body><header class="site"><div class="wrap">'
        '<a class="brand" href="/">cco_enrich</a> <span class="tagline">admin</span>'
        '</div></header><main class="wrap narrow">'
        f'<section class="panel"><h1>{html.escape(title)}</h1>{error}{login}</section>'
        "</main></body></html>"
    )
    return HTMLResponse(page, status_code, headers={**PAGE_HEADERS, **(_CHALLENGE if form else {})})


async def admin_page(request: Request) -> Response:
    """GET /admin: the admin page, the login form, or a 404 saying how to enable it."""
    token = admin_token(request)
    if token is None:
        return _message_page("Admin is disabled", DISABLED_MESSAGE, 404)
    if not is_authorised(request, token):
        return _message_page("Admin login", "", 401, form=True)
    return FileResponse(STATIC_DIR / "admin.html", headers=PAGE_HEADERS)


async def login(request: Request) -> Response:
    """POST /admin/login: check the token from the form and set the HttpOnly login cookie."""
    token = admin_token(request)
    if token is None:
        return _message_page("Admin is disabled", DISABLED_MESSAGE, 404)
    async with request.form(max_files=0, max_fields=4) as form:
        given = form.get("token")
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), token.encode()):
        return _message_page("Admin login", "That token is not the admin token.", 401, form=True)
    response = RedirectResponse("/admin", status_code=303)
    response.set_cookie(
        ADMIN_COOKIE,
        make_cookie_value(token),
        max_age=COOKIE_MAX_AGE_S,
        path="/admin",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


async def logout(request: Request) -> Response:
    """POST /admin/logout: forget the login cookie."""
    response = RedirectResponse("/admin", status_code=303)
    response.delete_cookie(ADMIN_COOKIE, path="/admin", httponly=True, samesite="strict")
    return response


def _api_denial(request: Request) -> Response | None:
    """The error answer for an admin API call that may not proceed, or None when it may."""
    token = admin_token(request)
    if token is None:
        return error_response(404, "admin_disabled", DISABLED_MESSAGE)
    if not is_authorised(request, token):
        response = error_response(401, "unauthorized", UNAUTHORIZED_MESSAGE)
        response.headers.update(_CHALLENGE)
        return response
    return None


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "")
    if not raw.isdigit():
        return RECENT_SESSIONS_DEFAULT
    return max(1, min(int(raw), RECENT_SESSIONS_MAX))


async def overview(request: Request) -> Response:
    """GET /admin/api/overview: sessions per state, live workers and the recent sessions."""
    denial = _api_denial(request)
    if denial is not None:
        return denial
    state: ApiState = request.app.state.api
    store = state.store
    recent = await store.recent_sessions(_limit(request))
    return JSONResponse(
        {
            "counts": await store.queue_counts(),
            "workers": await store.live_workers(),
            "sessions": [
                {"id": session_id, "processing_status": status.model_dump(mode="json")}
                for session_id, status in recent
            ],
            "server_time": utc_now().isoformat(),
        },
        headers={"Cache-Control": "no-store"},
    )


def routes() -> list[BaseRoute]:
    """The admin page, its login and logout, and its JSON API."""
    return [
        Route("/admin", admin_page, methods=["GET"]),
        Route("/admin/login", login, methods=["POST"]),
        Route("/admin/logout", logout, methods=["POST"]),
        Route("/admin/api/overview", overview, methods=["GET"]),
    ]

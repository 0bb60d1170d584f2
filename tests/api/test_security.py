"""Who may call the API: CCO_API_TOKEN, CORS, security headers, and the access log filter."""

from __future__ import annotations

import logging

import pytest
from arq.connections import ArqRedis
from starlette.testclient import TestClient

import cco_enrich.api
from cco_enrich.api import create_app
from cco_enrich.api.security import AccessLogTokenFilter, parse_origins
from cco_enrich.settings import Settings
from cco_enrich.store import SessionStore
from tests.api.conftest import ClientFactory, error_code

TOKEN = "api-token-for-tests-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
ORIGIN = "https://curator.example.org"


def _create(client, headers: dict[str, str] = BEARER) -> str:  # type: ignore[no-untyped-def]
    answer = client.post("/api/sessions", json={"identifiers": ["10.1000/a"]}, headers=headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer "},
        {"Authorization": TOKEN},
    ],
    ids=["none", "wrong", "longer", "basic", "empty", "no scheme"],
)
def test_every_api_call_without_the_token_is_401(
    make_client: ClientFactory, headers: dict[str, str]
) -> None:
    client = make_client(api_token=TOKEN)
    session_id = _create(client)
    for method, path in [
        ("POST", "/api/sessions"),
        ("GET", f"/api/sessions/{session_id}"),
        ("GET", f"/api/sessions/{session_id}/status"),
        ("GET", f"/api/sessions/{session_id}/events"),
        ("POST", f"/api/sessions/{session_id}/enrich"),
        ("GET", f"/api/sessions/{session_id}/export"),
        ("DELETE", f"/api/sessions/{session_id}"),
        ("GET", "/api/queue"),
        ("GET", "/api/no-such-thing"),
    ]:
        answer = client.request(method, path, headers=headers)
        assert answer.status_code == 401, (method, path)
        assert error_code(answer) == "unauthorized"
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert client.get(f"/api/sessions/{session_id}", headers=BEARER).status_code == 200


def test_with_the_token_every_call_works(make_client: ClientFactory) -> None:
    client = make_client(api_token=TOKEN)
    session_id = _create(client)
    assert client.get(f"/api/sessions/{session_id}/status", headers=BEARER).status_code == 200
    assert client.get("/api/queue", headers=BEARER).status_code == 200
    assert client.post(f"/api/sessions/{session_id}/enrich", headers=BEARER).status_code == 202


def test_health_page_static_files_and_schema_stay_open(make_client: ClientFactory) -> None:
    client = make_client(api_token=TOKEN)
    for path in ["/healthz", "/", "/static/app.js", "/static/style.css", "/openapi.json"]:
        assert client.get(path).status_code == 200, path


def test_the_event_stream_also_takes_the_token_in_the_query(make_client: ClientFactory) -> None:
    """EventSource cannot send headers, so /events (and only it) reads `?token=`."""
    client = make_client(api_token=TOKEN)
    session_id = _create(client)
    client.post(f"/api/sessions/{session_id}/cancel", headers=BEARER)
    with client.stream("GET", f"/api/sessions/{session_id}/events?token={TOKEN}") as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
    assert client.get(f"/api/sessions/{session_id}/events?token=wrong").status_code == 401
    assert client.get(f"/api/sessions/{session_id}/status?token={TOKEN}").status_code == 401


def test_without_a_token_setting_the_api_is_open(make_client: ClientFactory) -> None:
    client = make_client()
    _create(client, headers={})


def test_admin_keeps_its_own_token(make_client: ClientFactory) -> None:
    client = make_client(api_token=TOKEN, admin_token="admin-token-for-tests")
    assert client.get("/admin/api/overview", headers=BEARER).status_code == 401
    answer = client.get(
        "/admin/api/overview", headers={"Authorization": "Bearer admin-token-for-tests"}
    )
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "path", ["/", "/healthz", "/api/queue", "/api/sessions/nope/status", "/static/app.js"]
)
def test_every_answer_carries_the_security_headers(make_client: ClientFactory, path: str) -> None:
    answer = make_client().get(path)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert "script-src 'self'" in answer.headers["content-security-policy"]


def test_a_401_carries_the_security_headers_too(make_client: ClientFactory) -> None:
    answer = make_client(api_token=TOKEN).get("/api/queue")
    assert answer.status_code == 401
    assert answer.headers["x-frame-options"] == "DENY"


def test_cors_is_off_by_default(make_client: ClientFactory) -> None:
    client = make_client()
    answer = client.get("/api/queue", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in answer.headers
    preflight = client.options(
        "/api/sessions",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_only_the_listed_origins(make_client: ClientFactory) -> None:
    client = make_client(api_token=TOKEN, cors_origins=f"{ORIGIN}/, https://other.example")
    preflight = client.options(
        "/api/sessions",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    answer = client.get("/api/queue", headers={"Origin": ORIGIN, **BEARER})
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    stranger = client.options(
        "/api/sessions",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert stranger.status_code == 400
    assert "access-control-allow-origin" not in stranger.headers


def test_origins_are_read_from_a_comma_list() -> None:
    assert parse_origins(" https://a.example/, ,https://b.example:8443 ") == [
        "https://a.example",
        "https://b.example:8443",
    ]
    assert parse_origins("") == []


def test_the_access_log_never_shows_the_token() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/api/sessions/x/events?token={TOKEN}&a=1", "1.1", 200),
        None,
    )
    assert AccessLogTokenFilter().filter(record)
    assert TOKEN not in record.getMessage()
    assert "token=***&a=1" in record.getMessage()


def test_an_unexpected_error_carries_the_security_headers_too(
    fake_redis: ArqRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starlette sends a 500 from outside every middleware: its handler adds the headers itself."""

    async def fake_pool(*args: object, **kwargs: object) -> ArqRedis:
        return fake_redis

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cco_enrich.api, "create_pool", fake_pool)
    monkeypatch.setattr(SessionStore, "queue_counts", broken)
    with TestClient(create_app(Settings()), raise_server_exceptions=False) as client:
        answer = client.get("/api/queue")
    assert answer.status_code == 500
    assert error_code(answer) == "internal_error"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"

"""The web page, its static assets, and the admin page's access rules and overview JSON."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from arq.connections import ArqRedis
from fakeredis import FakeAsyncRedis, FakeServer
from pydantic import SecretStr
from starlette.testclient import TestClient

import cco_enrich.api
from cco_enrich.api import STATIC_DIR, create_app
from cco_enrich.api.admin import ADMIN_COOKIE, COOKIE_MAX_AGE_S, make_cookie_value
from cco_enrich.settings import Settings
from cco_enrich.store import SessionStore

TOKEN = "s3cret-admin-token-for-tests"
ClientFactory = Callable[..., TestClient]


class _AssetCollector(HTMLParser):
    """Every URL a page loads by itself: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src", "iframe": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def _loaded_urls(html: str) -> list[str]:
    collector = _AssetCollector()
    collector.feed(html)
    return collector.urls


@pytest.fixture
def client_factory(monkeypatch: pytest.MonkeyPatch) -> Iterator[ClientFactory]:
    """Builds started TestClients over one fresh fakeredis server; closes them at the end."""
    server = FakeServer()

    async def fake_pool(*args: Any, **kwargs: Any) -> ArqRedis:
        return ArqRedis(connection_pool=FakeAsyncRedis(server=server).connection_pool)

    monkeypatch.setattr(cco_enrich.api, "create_pool", fake_pool)
    clients: list[TestClient] = []

    def make(admin_token: str | None = None) -> TestClient:
        settings = Settings(
            redis_url="redis://fake:6379/0",
            admin_token=SecretStr(admin_token) if admin_token is not None else None,
        )
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(client_factory: ClientFactory) -> TestClient:
    return client_factory()


@pytest.fixture
def admin_client(client_factory: ClientFactory) -> TestClient:
    return client_factory(TOKEN)


def _bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- the curator's page ---------------------------------------------------------------------------


def test_index_is_html_with_a_strict_content_security_policy(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "<textarea" in response.text
    assert 'id="start"' in response.text


@pytest.mark.parametrize("path", ["/", "/static/admin.html"])
def test_pages_load_only_local_assets(client: TestClient, path: str) -> None:
    """No CDN: every script, stylesheet and icon comes from this server."""
    urls = _loaded_urls(client.get(path).text)
    assert urls, "the page should load its script and stylesheet"
    assert all(url.startswith("/static/") for url in urls), urls


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("app.js", "text/javascript"),
        ("admin.js", "text/javascript"),
        ("style.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
        ("admin.html", "text/html"),
    ],
)
def test_static_assets_load(client: TestClient, name: str, media_type: str) -> None:
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.content


def test_index_references_assets_that_exist(client: TestClient) -> None:
    for url in _loaded_urls(client.get("/").text):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("name", ["app.js", "admin.js"])
def test_scripts_never_write_markup(name: str) -> None:
    """Upstream text goes in with textContent only; no API that parses a string as HTML."""
    source = (STATIC_DIR / name).read_text(encoding="utf-8")
    code = re.sub(r"^\s*//.*$", "", source, flags=re.MULTILINE)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in code, f"{name} uses {sink}"


def test_scripts_load_nothing_from_other_hosts() -> None:
    for name in ("app.js", "admin.js", "style.css"):
        source = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert not re.search(r"(?:import|url\()\s*['\"]?(?:https?:)?//", source), name


# -- admin disabled -------------------------------------------------------------------------------


def test_admin_page_is_404_and_says_how_to_enable_it_when_no_token_is_set(
    client: TestClient,
) -> None:
    response = client.get("/admin")
    assert response.status_code == 404
    assert "CCO_ADMIN_TOKEN" in response.text


def test_admin_api_is_404_when_no_token_is_set(client: TestClient) -> None:
    response = client.get("/admin/api/overview", headers=_bearer())
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "admin_disabled"
    assert "CCO_ADMIN_TOKEN" in error["message"]


def test_admin_login_is_404_when_no_token_is_set(client: TestClient) -> None:
    response = client.post("/admin/login", data={"token": ""}, follow_redirects=False)
    assert response.status_code == 404


def test_an_empty_admin_token_keeps_admin_disabled(client_factory: ClientFactory) -> None:
    assert client_factory("").get("/admin").status_code == 404


# -- admin enabled: bearer token ------------------------------------------------------------------


def test_admin_api_without_a_token_is_401_json(admin_client: TestClient) -> None:
    response = admin_client.get("/admin/api/overview")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization", [f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", TOKEN, "Bearer s3cret"]
)
def test_admin_api_with_a_wrong_token_is_401(admin_client: TestClient, authorization: str) -> None:
    response = admin_client.get("/admin/api/overview", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_admin_api_with_the_bearer_token_is_200(admin_client: TestClient) -> None:
    response = admin_client.get("/admin/api/overview", headers=_bearer())
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


def test_admin_page_with_the_bearer_token_is_the_admin_page(admin_client: TestClient) -> None:
    response = admin_client.get("/admin", headers=_bearer())
    assert response.status_code == 200
    assert "/static/admin.js" in response.text


def test_admin_page_without_a_token_is_the_login_form(admin_client: TestClient) -> None:
    response = admin_client.get("/admin")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="/admin/login"' in response.text
    assert 'name="token"' in response.text
    assert "admin.js" not in response.text


# -- admin enabled: login cookie ------------------------------------------------------------------


def test_login_with_the_right_token_sets_a_strict_httponly_cookie(admin_client: TestClient) -> None:
    response = admin_client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{ADMIN_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/admin" in cookie
    assert TOKEN not in cookie


def test_after_login_the_page_and_the_api_work(admin_client: TestClient) -> None:
    admin_client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    assert admin_client.get("/admin").status_code == 200
    assert admin_client.get("/admin/api/overview").status_code == 200


def test_login_with_a_wrong_token_shows_the_form_again_without_a_cookie(
    admin_client: TestClient,
) -> None:
    response = admin_client.post("/admin/login", data={"token": "nope"}, follow_redirects=False)
    assert response.status_code == 401
    assert "not the admin token" in response.text
    assert "set-cookie" not in response.headers
    assert admin_client.get("/admin/api/overview").status_code == 401


def test_login_without_a_token_field_is_401(admin_client: TestClient) -> None:
    response = admin_client.post("/admin/login", data={}, follow_redirects=False)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "cookie",
    [
        "garbage",
        make_cookie_value("another-token"),
        make_cookie_value(TOKEN, now=0),  # expired long ago
        make_cookie_value(TOKEN).split(".")[0] + ".0000",
    ],
)
def test_a_forged_or_expired_cookie_is_401(admin_client: TestClient, cookie: str) -> None:
    admin_client.cookies.set(ADMIN_COOKIE, cookie)
    assert admin_client.get("/admin/api/overview").status_code == 401


def test_a_cookie_made_with_the_token_is_accepted(admin_client: TestClient) -> None:
    admin_client.cookies.set(ADMIN_COOKIE, make_cookie_value(TOKEN))
    assert admin_client.get("/admin/api/overview").status_code == 200


def test_the_cookie_lasts_twelve_hours() -> None:
    expires = int(make_cookie_value(TOKEN, now=1000).split(".")[0])
    assert expires == 1000 + COOKIE_MAX_AGE_S


def test_logout_clears_the_cookie(admin_client: TestClient) -> None:
    admin_client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    response = admin_client.post("/admin/logout", follow_redirects=False)
    assert response.status_code == 303
    assert f'{ADMIN_COOKIE}=""' in response.headers["set-cookie"]
    assert admin_client.get("/admin/api/overview").status_code == 401


# -- the overview ---------------------------------------------------------------------------------


def _store(client: TestClient) -> SessionStore:
    store: SessionStore = client.app.state.api.store  # type: ignore[attr-defined]
    return store


def test_overview_has_counts_workers_and_recent_sessions(admin_client: TestClient) -> None:
    created = admin_client.post(
        "/api/sessions",
        json={"identifiers": ["10.1371/journal.pone.0033693", "10.5061/dryad.8515"]},
    )
    assert created.status_code == 201, created.text
    queued = admin_client.post("/api/sessions?enrich=true", json={"identifiers": ["10.1000/x"]})
    assert queued.status_code == 201, queued.text
    store = _store(admin_client)
    register = functools.partial(
        store.register_worker, "w-1", {"host": "box", "pid": 42, "sessions": []}, 30.0
    )
    assert admin_client.portal is not None
    admin_client.portal.call(register)

    overview = admin_client.get("/admin/api/overview", headers=_bearer()).json()

    assert overview["counts"]["idle"] == 1
    assert overview["counts"]["queued"] == 1
    assert set(overview["counts"]) >= {"queued", "running", "completed", "failed", "cancelled"}
    assert [(w["id"], w["host"], w["pid"]) for w in overview["workers"]] == [("w-1", "box", 42)]
    assert "heartbeat" in overview["workers"][0]
    ids = {s["id"] for s in overview["sessions"]}
    assert ids == {created.json()["id"], queued.json()["id"]}
    statuses = {s["id"]: s["processing_status"] for s in overview["sessions"]}
    assert statuses[queued.json()["id"]]["status"] == "queued"
    assert statuses[created.json()["id"]]["total"] == 2
    assert "server_time" in overview


def test_overview_limits_the_recent_sessions(admin_client: TestClient) -> None:
    for _ in range(3):
        admin_client.post("/api/sessions", json={"identifiers": ["10.1000/x"]})
    sessions = admin_client.get("/admin/api/overview?limit=2", headers=_bearer()).json()["sessions"]
    assert len(sessions) == 2


def test_overview_of_an_empty_service(admin_client: TestClient) -> None:
    overview = admin_client.get("/admin/api/overview?limit=oops", headers=_bearer()).json()
    assert overview["workers"] == []
    assert overview["sessions"] == []
    assert set(overview["counts"].values()) == {0}

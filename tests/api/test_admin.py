"""The admin page: off without CCO_ADMIN_TOKEN, bearer token or login cookie, and its overview."""

from __future__ import annotations

import functools

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from cco_enrich.api.admin import ADMIN_COOKIE, COOKIE_MAX_AGE_S, make_cookie_value
from tests.api.steps import ClientFactory, store_of

TOKEN = "s3cret-admin-token-for-tests"


@pytest.fixture
def admin_client(client_factory: ClientFactory) -> TestClient:
    return client_factory(admin_token=SecretStr(TOKEN))


def _bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


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
    assert client_factory(admin_token=SecretStr("")).get("/admin").status_code == 404


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


def test_overview_has_counts_workers_and_recent_sessions(admin_client: TestClient) -> None:
    created = admin_client.post(
        "/api/sessions",
        json={"identifiers": ["10.1371/journal.pone.0033693", "10.5061/dryad.8515"]},
    )
    assert created.status_code == 201, created.text
    queued = admin_client.post("/api/sessions?enrich=true", json={"identifiers": ["10.1000/x"]})
    assert queued.status_code == 201, queued.text
    store = store_of(admin_client)
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

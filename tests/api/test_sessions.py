"""Reading and deleting a session: resources in order, 404 for an unknown id, time to live."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.steps import IDENTIFIERS, create_session, error_code, store_of


def test_unknown_session_is_404_everywhere(client: TestClient) -> None:
    for method, path in [
        ("GET", "/api/sessions/doesnotexist0"),
        ("GET", "/api/sessions/doesnotexist0/status"),
        ("GET", "/api/sessions/doesnotexist0/events"),
        ("GET", "/api/sessions/doesnotexist0/export"),
        ("POST", "/api/sessions/doesnotexist0/enrich"),
        ("POST", "/api/sessions/doesnotexist0/retry"),
        ("POST", "/api/sessions/doesnotexist0/cancel"),
        ("DELETE", "/api/sessions/doesnotexist0"),
        ("GET", "/api/sessions/bad%20id!"),
    ]:
        answer = client.request(method, path)
        assert answer.status_code == 404, (method, path, answer.text)
        assert error_code(answer) == "session_not_found"


def test_get_session_returns_resources_in_input_order(client: TestClient) -> None:
    session_id = create_session(client)
    body = client.get(f"/api/sessions/{session_id}").json()
    assert [r["identifier"] for r in body["resources"]] == [
        IDENTIFIERS[0],
        IDENTIFIERS[1],
        IDENTIFIERS[3],
        IDENTIFIERS[4],
    ]
    assert [r["status"] for r in body["resources"]] == ["pending", "pending", "invalid", "pending"]
    assert body["processing_status"]["status"] == "idle"
    only = client.get(f"/api/sessions/{session_id}?status=invalid").json()["resources"]
    assert [r["identifier"] for r in only] == ["junk"]
    bogus = client.get(f"/api/sessions/{session_id}?status=bogus")
    assert bogus.status_code == 400
    assert error_code(bogus) == "bad_request"
    assert "unknown status ['bogus']" in bogus.json()["error"]["message"]


def test_delete_removes_the_session(client: TestClient) -> None:
    session_id = create_session(client)
    assert client.delete(f"/api/sessions/{session_id}").status_code == 204
    assert client.get(f"/api/sessions/{session_id}").status_code == 404


def test_reading_a_session_keeps_it_alive(client: TestClient) -> None:
    session_id = create_session(client)
    key = f"cco:session:{session_id}"
    redis = store_of(client).redis

    async def shorten() -> None:
        await redis.expire(key, 5)

    client.portal.call(shorten)  # type: ignore[union-attr]
    client.get(f"/api/sessions/{session_id}/status")
    ttl = client.portal.call(redis.ttl, key)  # type: ignore[union-attr]
    assert ttl > 5

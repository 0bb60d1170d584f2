"""Enrich, retry, force, cancel and the queue overview: what each does to a session's status."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.steps import IDENTIFIERS, create_session, error_code, finish_session


def test_enrich_queues_a_job_and_refuses_a_second_while_queued(client: TestClient) -> None:
    session_id = create_session(client)
    answer = client.post(f"/api/sessions/{session_id}/enrich")
    assert answer.status_code == 202
    assert answer.json()["status"] == "queued"
    assert answer.json()["job_id"].startswith("enrich:")
    assert client.get(f"/api/sessions/{session_id}/status").json()["status"] == "queued"
    again = client.post(f"/api/sessions/{session_id}/enrich")
    assert again.status_code == 409
    assert error_code(again) == "session_busy"


def test_create_with_enrich_true_queues_at_once(client: TestClient) -> None:
    body = client.post("/api/sessions?enrich=true", json={"identifiers": IDENTIFIERS}).json()
    assert body["job_id"]
    assert client.get(f"/api/sessions/{body['id']}/status").json()["status"] == "queued"


def test_retry_resets_only_failed_resources(client: TestClient) -> None:
    session_id = create_session(client)
    finish_session(client, session_id, failed=True)
    answer = client.post(f"/api/sessions/{session_id}/retry")
    assert answer.status_code == 202
    assert answer.json()["reset"] == 1
    statuses = [r["status"] for r in client.get(f"/api/sessions/{session_id}").json()["resources"]]
    assert statuses[:2] == ["enriched", "pending"]


def test_force_resets_every_doi(client: TestClient) -> None:
    session_id = create_session(client)
    finish_session(client, session_id, failed=False)
    answer = client.post(f"/api/sessions/{session_id}/enrich?force=true")
    assert answer.status_code == 202
    assert answer.json()["reset"] == 2
    body = client.get(f"/api/sessions/{session_id}").json()
    assert [r["status"] for r in body["resources"]] == ["pending", "pending", "invalid", "pending"]
    assert body["resources"][0]["title"] is None


def test_cancel_a_queued_session_is_immediate_and_idempotent(client: TestClient) -> None:
    session_id = create_session(client)
    client.post(f"/api/sessions/{session_id}/enrich")
    first = client.post(f"/api/sessions/{session_id}/cancel")
    second = client.post(f"/api/sessions/{session_id}/cancel")
    assert first.json()["status"] == second.json()["status"] == "cancelled"
    assert first.status_code == second.status_code == 200


def test_queue_overview(client: TestClient) -> None:
    client.post("/api/sessions?enrich=true", json={"identifiers": IDENTIFIERS})
    body = client.get("/api/queue").json()
    assert body["sessions"]["queued"] == 1
    assert body["workers"] == []
    assert body["pools"] == {}  # no worker has published its pools yet

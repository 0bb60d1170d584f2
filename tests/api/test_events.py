"""GET /api/sessions/{id}/events: the SSE stream ends after the last state and resumes by id."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.steps import create_session, finish_session


def test_events_of_a_finished_session_send_the_status_and_close(client: TestClient) -> None:
    session_id = create_session(client)
    finish_session(client, session_id, failed=False)
    with client.stream("GET", f"/api/sessions/{session_id}/events") as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        text = "".join(answer.iter_text())
    assert "event: status" in text
    assert '"status":"completed"' in text
    assert "id: " in text


def test_events_resume_after_last_event_id(client: TestClient) -> None:
    session_id = create_session(client)
    with client.stream("GET", f"/api/sessions/{session_id}/events") as answer:
        first_id = next(line for line in answer.iter_lines() if line.startswith("id:"))[3:].strip()
        # the session is idle, so the stream stays open: drop it like a flaky network would
    finish_session(client, session_id, failed=False)
    with client.stream(
        "GET", f"/api/sessions/{session_id}/events", headers={"Last-Event-ID": first_id}
    ) as answer:
        text = "".join(answer.iter_text())
    assert "event: resources" in text
    assert '"status":"completed"' in text
    assert f"id: {first_id}\r\n" not in text

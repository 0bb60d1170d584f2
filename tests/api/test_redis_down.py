"""Redis down: every API call answers 503 in the error shape within seconds, then recovers."""

from __future__ import annotations

import os
import signal
import time

import pytest
from starlette.testclient import TestClient

from cco_enrich.api import create_app
from cco_enrich.api.connection import SOCKET_TIMEOUT_S
from cco_enrich.settings import Settings
from tests.api.conftest import error_code
from tests.conftest import RedisServer

pytestmark = pytest.mark.redis

ANSWER_WITHIN_S = 3.0


def test_every_call_answers_503_quickly_and_recovers(redis_server: RedisServer) -> None:
    with TestClient(create_app(Settings(redis_url=redis_server.url))) as client:
        created = client.post("/api/sessions", json={"identifiers": ["10.1000/a"]})
        session_id = created.json()["id"]
        redis_server.stop()
        for method, path in [
            ("POST", "/api/sessions"),
            ("GET", f"/api/sessions/{session_id}"),
            ("GET", f"/api/sessions/{session_id}/status"),
            ("GET", f"/api/sessions/{session_id}/events"),
            ("POST", f"/api/sessions/{session_id}/enrich"),
            ("POST", f"/api/sessions/{session_id}/cancel"),
            ("GET", f"/api/sessions/{session_id}/export"),
            ("DELETE", f"/api/sessions/{session_id}"),
            ("GET", "/api/queue"),
        ]:
            started = time.monotonic()
            kwargs = {"json": {"identifiers": ["10.1000/b"]}} if path == "/api/sessions" else {}
            answer = client.request(method, path, **kwargs)
            elapsed_s = time.monotonic() - started
            assert answer.status_code == 503, (method, path, answer.text)
            assert error_code(answer) == "redis_unavailable"
            assert elapsed_s < ANSWER_WITHIN_S, (method, path, elapsed_s)
        started = time.monotonic()
        assert client.get("/healthz").json()["redis"] == "unreachable"
        assert time.monotonic() - started < ANSWER_WITHIN_S
        redis_server.start()  # AOF on: the session is still there
        assert client.get(f"/api/sessions/{session_id}").status_code == 200
        assert client.get("/healthz").json()["redis"] == "ok"


def test_a_frozen_redis_costs_a_call_the_socket_timeout_and_no_more(
    redis_server: RedisServer,
) -> None:
    """A Redis that stops answering (SIGSTOP), rather than refusing, still gets a 503: no hang."""
    assert redis_server.process is not None
    with TestClient(create_app(Settings(redis_url=redis_server.url))) as client:
        session_id = client.post("/api/sessions", json={"identifiers": ["10.1000/a"]}).json()["id"]
        os.kill(redis_server.process.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            answer = client.get(f"/api/sessions/{session_id}/status")
            elapsed_s = time.monotonic() - started
        finally:
            os.kill(redis_server.process.pid, signal.SIGCONT)
        assert answer.status_code == 503
        assert error_code(answer) == "redis_unavailable"
        # One socket timeout, never retried (above the event hub's 5 s blocking read).
        assert elapsed_s < SOCKET_TIMEOUT_S + 1.5
        assert client.get(f"/api/sessions/{session_id}/status").status_code == 200

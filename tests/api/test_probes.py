"""GET /readyz and GET /metrics: readiness names what is missing; metrics parse and are true."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from cco_enrich.api import create_app
from cco_enrich.models import utc_now
from cco_enrich.settings import Settings
from tests.api.steps import ClientFactory, create_session, error_code, finish_session, store_of
from tests.conftest import RedisServer
from tests.metrics.scrape import families, value

LIMITS = {"crossref-list": {"per_second": 3.0, "in_flight": 3}}


def heartbeat(client: TestClient, worker_id: str = "host-1-abc", **info: Any) -> None:
    """What a running worker writes every 5 s."""
    store = store_of(client)
    client.portal.call(store.register_worker, worker_id, {"host": "host", **info}, 15)  # type: ignore[union-attr]


def test_readyz_answers_200_with_a_fresh_worker_heartbeat(client: TestClient) -> None:
    heartbeat(client)
    answer = client.get("/readyz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ready"
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["workers"] == {"ok": True, "message": "1 live", "count": 1}


def test_readyz_answers_503_naming_the_missing_worker(client: TestClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["error"] == {
        "code": "not_ready",
        "message": "no worker heartbeat in the last 15 s",
    }
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["workers"]["ok"] is False
    assert body["checks"]["workers"]["count"] == 0


def test_readyz_forgets_a_worker_whose_heartbeat_stopped(client: TestClient) -> None:
    heartbeat(client, "gone-1")
    client.portal.call(store_of(client).unregister_worker, "gone-1")  # type: ignore[union-attr]
    assert client.get("/readyz").status_code == 503


@pytest.mark.redis
def test_readyz_answers_503_naming_redis_when_it_is_down(redis_server: RedisServer) -> None:
    with TestClient(create_app(Settings(redis_url=redis_server.url))) as client:
        assert client.get("/healthz").json()["redis"] == "ok"
        redis_server.stop()
        answer = client.get("/readyz")
        assert client.get("/healthz").status_code == 200  # liveness does not depend on Redis
    assert answer.status_code == 503
    body = answer.json()
    assert body["error"]["code"] == "not_ready"
    assert body["error"]["message"].startswith("Redis is unreachable")
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["workers"]["ok"] is False


def test_metrics_report_sessions_queue_and_workers(client: TestClient) -> None:
    idle = create_session(client)
    done = create_session(client)
    finish_session(client, done, failed=False)
    waiting = create_session(client)
    assert client.post(f"/api/sessions/{waiting}/enrich").status_code == 202
    store = store_of(client)
    queued = client.portal.call(store.status, waiting)  # type: ignore[union-attr]
    # It has waited 90 s already.
    waited = queued.model_copy(update={"updated_at": utc_now() - timedelta(seconds=90)})
    client.portal.call(store.set_status, waiting, waited)  # type: ignore[union-attr]
    heartbeat(client, "w-1", limits=LIMITS)
    heartbeat(client, "w-2", limits={"crossref-list": {"per_second": 2.0, "in_flight": 1}})

    answer = client.get("/metrics")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    text = answer.text
    assert idle
    assert value(text, "cco_sessions", state="idle") == 1
    assert value(text, "cco_sessions", state="completed") == 1
    assert value(text, "cco_sessions", state="queued") == 1
    assert value(text, "cco_sessions", state="running") == 0
    assert value(text, "cco_queue_depth") == 1
    age = value(text, "cco_queue_oldest_age_seconds")
    assert age is not None
    assert 90 <= age < 150
    assert value(text, "cco_workers") == 2
    assert value(text, "cco_pool_rate_limit", pool="crossref-list") == 3.0
    assert value(text, "cco_pool_in_flight_limit", pool="crossref-list") == 3.0
    assert value(text, "cco_redis_up") == 1
    assert value(text, "cco_sse_clients") is not None
    names = families(text)
    assert len(names) == len(set(names)), "a family appears twice"


def test_metrics_with_no_queue_report_zero_wait(client: TestClient) -> None:
    text = client.get("/metrics").text
    assert value(text, "cco_queue_depth") == 0
    assert value(text, "cco_queue_oldest_age_seconds") == 0
    assert value(text, "cco_workers") == 0


def test_an_open_event_stream_is_counted(client: TestClient) -> None:
    session_id = create_session(client)
    before = value(client.get("/metrics").text, "cco_sse_clients") or 0
    with client.stream("GET", f"/api/sessions/{session_id}/events") as stream:
        lines = stream.iter_lines()  # kept: a dropped iterator closes the stream
        assert next(lines).startswith("id:")
        during = value(client.get("/metrics").text, "cco_sse_clients")
    assert during == before + 1
    deadline = time.monotonic() + 5  # the server notices the disconnect on its next receive
    while value(client.get("/metrics").text, "cco_sse_clients") != before:
        assert time.monotonic() < deadline, "a closed stream is still counted"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": "Basic bWU6czNjcmV0"}, 401),
        ({"Authorization": "Bearer s3cret"}, 200),
    ],
)
def test_metrics_token_is_required_when_set(
    client_factory: ClientFactory, headers: dict[str, str], status: int
) -> None:
    client = client_factory(metrics_token="s3cret")
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == status
    if status == 401:
        assert error_code(answer) == "unauthorized"
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert "s3cret" not in answer.text
    else:
        assert value(answer.text, "cco_redis_up") == 1


def test_probes_stay_open_when_only_the_metrics_token_is_set(client_factory: ClientFactory) -> None:
    client = client_factory(metrics_token="s3cret")
    assert client.get("/readyz").status_code == 503  # answers (no worker), never 401
    assert client.get("/healthz").status_code == 200

"""Limits a client cannot exceed: sessions per minute per address, and queued sessions in total."""

from __future__ import annotations

from arq.connections import ArqRedis

from cco_enrich.store import count_hit, queued_sessions
from tests.api.conftest import ClientFactory, error_code

BODY = {"identifiers": ["10.1000/a", "10.1000/b"]}


def _retry_after(answer) -> int:  # type: ignore[no-untyped-def]
    assert answer.status_code == 429, answer.text
    assert error_code(answer) == "too_many_requests"
    return int(answer.headers["retry-after"])


def test_sessions_per_minute_are_limited_per_client(make_client: ClientFactory) -> None:
    client = make_client(rate_limit_per_min=3)
    for _ in range(3):
        assert client.post("/api/sessions", json=BODY).status_code == 201
    answer = client.post("/api/sessions", json=BODY)
    assert 1 <= _retry_after(answer) <= 60
    assert "CCO_RATE_LIMIT_PER_MIN" in answer.json()["error"]["message"]
    assert client.get("/api/queue").status_code == 200  # reading is not limited


def test_every_api_process_shares_the_count(make_client: ClientFactory) -> None:
    """A second API process over the same Redis sees what the first one counted."""
    first = make_client(rate_limit_per_min=2)
    assert first.post("/api/sessions", json=BODY).status_code == 201
    assert first.post("/api/sessions", json=BODY).status_code == 201
    first.__exit__(None, None, None)
    second = make_client(rate_limit_per_min=2)
    _retry_after(second.post("/api/sessions", json=BODY))


def test_without_the_setting_sessions_are_not_limited(make_client: ClientFactory) -> None:
    client = make_client()
    for _ in range(30):
        assert client.post("/api/sessions", json=BODY).status_code == 201


async def test_the_count_is_per_client_address_and_window(fake_redis: ArqRedis) -> None:
    assert (await count_hit(fake_redis, "sessions", "10.0.0.1"))[0] == 1
    hits, retry_after_s = await count_hit(fake_redis, "sessions", "10.0.0.1")
    assert hits == 2
    assert 0 < retry_after_s <= 60
    assert (await count_hit(fake_redis, "sessions", "10.0.0.2"))[0] == 1
    keys = await fake_redis.keys("cco:ratelimit:*")
    assert len(keys) == 2
    for key in keys:
        assert 0 < await fake_redis.ttl(key) <= 61


def test_queued_sessions_are_limited(make_client: ClientFactory) -> None:
    client = make_client(max_queued_sessions=2)
    ids = [client.post("/api/sessions", json=BODY).json()["id"] for _ in range(3)]
    assert client.post(f"/api/sessions/{ids[0]}/enrich").status_code == 202
    assert client.post(f"/api/sessions/{ids[1]}/enrich").status_code == 202
    full = client.post(f"/api/sessions/{ids[2]}/enrich")
    assert _retry_after(full) >= 1
    assert "CCO_MAX_QUEUED_SESSIONS" in full.json()["error"]["message"]
    assert client.get(f"/api/sessions/{ids[2]}/status").json()["status"] == "idle"
    _retry_after(client.post(f"/api/sessions/{ids[2]}/retry"))
    created = client.post("/api/sessions?enrich=true", json=BODY)
    _retry_after(created)
    assert client.get("/api/queue").json()["sessions"]["queued"] == 2
    # One leaves the queue: there is room again.
    assert client.post(f"/api/sessions/{ids[0]}/cancel").status_code == 200
    assert client.post(f"/api/sessions/{ids[2]}/enrich").status_code == 202


async def test_queued_counts_only_sessions_waiting_for_a_worker(fake_redis: ArqRedis) -> None:
    from cco_enrich.ingest import build_resource
    from cco_enrich.models import JobState
    from cco_enrich.store import SessionStore

    store = SessionStore(fake_redis, session_ttl_s=600)
    for session_id in ("session-a", "session-b"):
        await store.create(session_id, [build_resource("10.1000/a")], metadata={})
        await store.enqueue(session_id)
    assert await queued_sessions(fake_redis) == 2
    running = (await store.status("session-a")).model_copy(update={"status": JobState.RUNNING})
    await store.set_status("session-a", running)
    assert await queued_sessions(fake_redis) == 1

"""A real worker (arq, burst mode) on a real redis-server against the stand-in registries:
its counters move when it runs a session, and its metrics are visible on its port and, for the
fleet gauges, through the API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from arq import create_pool
from arq.connections import ArqRedis
from starlette.testclient import TestClient

from cco_enrich.api import create_app
from cco_enrich.ingest import IdentifierListIngestor
from cco_enrich.models import JobState
from cco_enrich.settings import Settings
from cco_enrich.store import SessionStore, redis_settings
from cco_enrich.worker import WorkerSettings
from tests.conftest import RedisServer
from tests.metrics.scrape import families, now, value
from tests.standin import Corpus, Policy, StandinServer, make_corpus
from tests.test_worker import _run_burst

pytestmark = pytest.mark.redis

POOLS = ("crossref-list", "crossref-single", "datacite", "doi-org")


@pytest.fixture
async def corpus() -> Corpus:
    return make_corpus(30, 10, 0, 4, seed=12)


@pytest.fixture
async def standin(corpus: Corpus) -> AsyncIterator[StandinServer]:
    async with StandinServer(corpus, Policy()) as server:
        yield server


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(redis_settings(redis_server.url))
    yield pool
    await pool.aclose()


def _settings(redis_server: RedisServer, standin: StandinServer, **overrides: Any) -> Settings:
    return Settings(
        redis_url=redis_server.url,
        crossref_url=standin.crossref_url,
        datacite_url=standin.datacite_url,
        doi_url=standin.doi_url,
        mailto="tests@example.org",
        retry_wait_initial_s=0.01,
        worker_metrics_host="127.0.0.1",
        **overrides,
    )


async def _first_heartbeat(redis: ArqRedis) -> dict[str, Any]:
    """The worker's heartbeat, once its heartbeat task has run."""
    store = SessionStore(redis, session_ttl_s=600)
    for _ in range(100):
        workers = await store.live_workers()
        if workers:
            return workers[0]
        await asyncio.sleep(0.02)
    raise AssertionError("the worker sent no heartbeat within 2 s")


def _counters() -> dict[str, float]:
    return {
        "enriched crossref": now("cco_resolved_total", source="crossref", outcome="enriched"),
        "enriched datacite": now("cco_resolved_total", source="datacite", outcome="enriched"),
        "not_found": now("cco_resolved_total", source="none", outcome="not_found"),
        "list 200s": now("cco_upstream_responses_total", pool="crossref-list", status="200"),
        "list batches": now("cco_batch_size_count", pool="crossref-list"),
        "list batch DOIs": now("cco_batch_size_sum", pool="crossref-list"),
        "checkpoints": now("cco_checkpoint_duration_seconds_count"),
        "sessions completed": now("cco_session_duration_seconds_count", status="completed"),
        "cache misses": now("cco_cache_lookups_total", result="miss"),
    }


async def test_a_session_run_moves_the_worker_s_counters(
    redis: ArqRedis, redis_server: RedisServer, standin: StandinServer, corpus: Corpus
) -> None:
    store = SessionStore(redis, session_ttl_s=600)
    result = IdentifierListIngestor(max_identifiers=1000, max_bytes=10**6).ingest_json(
        {"identifiers": corpus.dois()}
    )
    await store.create("session-m1", result.resources, metadata={})
    await store.enqueue("session-m1")
    before = _counters()

    await _run_burst(redis, _settings(redis_server, standin))

    status = await store.status("session-m1")
    assert status.status is JobState.COMPLETED
    moved = {name: count - before[name] for name, count in _counters().items()}
    assert moved["enriched crossref"] + moved["enriched datacite"] == status.enriched
    assert moved["enriched crossref"] > 0
    assert moved["not_found"] == status.not_found
    assert moved["list 200s"] >= 1
    assert moved["list batches"] >= 1
    assert moved["list batch DOIs"] >= moved["list batches"]
    assert moved["checkpoints"] >= 1
    assert moved["sessions completed"] == 1
    assert moved["cache misses"] == status.total


async def test_a_worker_s_metrics_are_on_the_port_its_heartbeat_names(
    redis: ArqRedis, redis_server: RedisServer, standin: StandinServer
) -> None:
    settings = _settings(redis_server, standin, worker_metrics_port=0, metrics_token="s3cret")
    ctx: dict[str, Any] = {"redis": redis, "settings": settings}
    await WorkerSettings.on_startup(ctx)
    try:
        heartbeat = await _first_heartbeat(redis)
        port = heartbeat["metrics_port"]
        assert port == ctx["metrics_port"]
        assert set(heartbeat["limits"]) == set(POOLS)
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/metrics"
            async with http.get(url) as refused:
                assert refused.status == 401
            async with http.get(url, headers={"Authorization": "Bearer s3cret"}) as answer:
                assert answer.status == 200
                text = await answer.text()
    finally:
        await WorkerSettings.on_shutdown(ctx)
    for pool in POOLS:
        assert value(text, "cco_pool_rate_limit", pool=pool)
        assert value(text, "cco_pool_in_flight_limit", pool=pool)
    assert value(text, "cco_pool_rate_limit", pool="crossref-list") == settings.crossref_list_per_s
    assert "cco_resolved_total" in families(text)


async def test_the_api_sees_the_live_worker_and_its_limits(
    redis: ArqRedis, redis_server: RedisServer, standin: StandinServer
) -> None:
    settings = _settings(redis_server, standin)
    ctx: dict[str, Any] = {"redis": redis, "settings": settings}
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 503
        await WorkerSettings.on_startup(ctx)
        try:
            await _first_heartbeat(redis)  # (the sync client blocks this loop while it asks)
            ready = client.get("/readyz")
            text = client.get("/metrics").text
        finally:
            await WorkerSettings.on_shutdown(ctx)
        gone = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert value(text, "cco_workers") == 1
    assert value(text, "cco_pool_rate_limit", pool="doi-org") == settings.doi_org_per_s
    assert gone.status_code == 503  # a worker that stops says goodbye at once

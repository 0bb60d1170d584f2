"""The arq worker against a real redis-server and the stand-in registries, in burst mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from arq import create_pool
from arq.connections import ArqRedis
from arq.worker import Worker

from cco_enrich.models import JobState, ResourceStatus
from cco_enrich.settings import Settings
from cco_enrich.store import SessionStore, redis_settings
from cco_enrich.worker import WorkerSettings, sweep_sessions
from tests.conftest import RedisServer
from tests.fakes import Recorder
from tests.standin import Corpus, Policy, StandinServer, make_corpus

pytestmark = pytest.mark.redis


@pytest.fixture
async def corpus() -> Corpus:
    return make_corpus(40, 12, 4, 6, seed=3)


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
        **overrides,
    )


def _worker(redis: ArqRedis, settings: Settings) -> Worker:
    return Worker(
        functions=WorkerSettings.functions,
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        redis_pool=redis,
        queue_name=WorkerSettings.queue_name,
        burst=True,
        poll_delay=0.05,
        max_tries=WorkerSettings.max_tries,
        job_timeout=60,
        handle_signals=False,
        ctx={"settings": settings},
    )


async def _run_burst(redis: ArqRedis, settings: Settings) -> None:
    worker = _worker(redis, settings)
    try:
        await worker.main()
    finally:
        await worker.close()


async def test_worker_enriches_a_session_against_the_registries(
    redis: ArqRedis, redis_server: RedisServer, standin: StandinServer, corpus: Corpus
) -> None:
    """Every resource ends enriched with the registry's facts, or not_found/invalid and why."""
    store = SessionStore(redis, session_ttl_s=600)
    from cco_enrich.ingest import IdentifierListIngestor

    dois = corpus.dois()
    result = IdentifierListIngestor(max_identifiers=1000, max_bytes=10**6).ingest_json(
        {"identifiers": [*dois, "not a doi", dois[0].upper()]}
    )
    await store.create("session-0001", result.resources, metadata={})
    await store.enqueue("session-0001")

    await _run_burst(redis, _settings(redis_server, standin))

    status = await store.status("session-0001")
    assert status.status is JobState.COMPLETED
    assert status.percent == 100.0
    assert (status.enriched, status.not_found, status.invalid) == (56, 6, 1)
    resources = {r.doi: r for r in await store.resources("session-0001") if r.doi}
    for doi, truth in corpus.works.items():
        resource = resources[doi]
        assert resource.status is ResourceStatus.ENRICHED, resource
        got = resource.model_dump(mode="json")
        expected = truth.resource_fields()
        assert {k: got[k] for k in expected} == expected
    for doi in corpus.missing:
        assert resources[doi].status is ResourceStatus.NOT_FOUND
        assert resources[doi].error
    assert all(pool.too_many_requests == 0 for pool in standin.stats.pools.values())


async def test_ping_answers_through_the_queue(
    redis: ArqRedis, redis_server: RedisServer, standin: StandinServer
) -> None:
    job = await redis.enqueue_job("ping", "hello")
    assert job is not None
    await _run_burst(redis, _settings(redis_server, standin))
    assert (await job.result(timeout=5)).startswith("pong (hello) from worker ")


async def test_sweeper_requeues_a_running_session_whose_worker_died(
    redis: ArqRedis, redis_server: RedisServer, standin: StandinServer, corpus: Corpus
) -> None:
    """A session left 'running' with no lease (SIGKILL) is queued again under a new job id."""
    store = SessionStore(redis, session_ttl_s=600)
    from cco_enrich.ingest import IdentifierListIngestor

    result = IdentifierListIngestor(max_identifiers=1000, max_bytes=10**6).ingest_json(
        {"identifiers": corpus.dois()[:10]}
    )
    await store.create("session-dead", result.resources, metadata={})
    first_job = await store.enqueue("session-dead")
    # What a SIGKILLed worker leaves: the status says running, arq still lists the job, no lease.
    status = await store.status("session-dead")
    await store.set_status("session-dead", status.model_copy(update={"status": JobState.RUNNING}))
    await redis.delete("arq:queue")
    await redis.set(f"arq:in-progress:{first_job}", b"1", px=60_000)

    worker = _worker(redis, _settings(redis_server, standin))
    ctx: dict[str, Any] = {"redis": redis, "settings": worker.ctx["settings"]}
    await WorkerSettings.on_startup(ctx)
    try:
        assert await sweep_sessions(ctx) == 1
        assert await sweep_sessions(ctx) == 0  # queued now, and arq knows the job
    finally:
        await WorkerSettings.on_shutdown(ctx)
    record = await store.record("session-dead")
    assert record.job_id == "enrich:session-dead:2"

    await _run_burst(redis, _settings(redis_server, standin))
    assert (await store.status("session-dead")).status is JobState.COMPLETED


async def test_a_finished_session_calls_its_webhook(
    redis: ArqRedis, redis_server: RedisServer, standin: StandinServer, corpus: Corpus
) -> None:
    """The callback_url gets one POST with the final status, signed with CCO_WEBHOOK_SECRET."""
    from aiohttp import web

    from cco_enrich.ingest import IdentifierListIngestor
    from cco_enrich.webhooks import SIGNATURE_HEADER, verify_signature

    received: list[tuple[bytes, str]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.read(), request.headers.get(SIGNATURE_HEADER, "")))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        store = SessionStore(redis, session_ttl_s=600)
        result = IdentifierListIngestor(max_identifiers=100, max_bytes=10**6).ingest_json(
            {"identifiers": corpus.dois()[:5]}
        )
        await store.create("session-hook", result.resources, metadata={}, callback_url=url)
        await store.enqueue("session-hook")
        settings = _settings(
            redis_server, standin, webhook_secret="s3cret", webhook_allow_private=True
        )
        await _run_burst(redis, settings)
    finally:
        await runner.cleanup()
    assert len(received) == 1
    body, signature = received[0]
    assert verify_signature(signature, body, "s3cret")
    assert b'"status":"completed"' in body
    assert b'"session_id":"session-hook"' in body
    [delivery] = await store.webhook_deliveries("session-hook")
    assert (delivery.delivered, delivery.status_code, delivery.attempts) == (True, 204, 1)
    assert delivery.event == "session.completed"


async def test_a_small_session_finishes_before_a_big_one_started_earlier(
    redis: ArqRedis, redis_server: RedisServer
) -> None:
    """A small session started while a big one runs gets the pools' next free slots."""
    import asyncio

    from cco_enrich.ingest import IdentifierListIngestor

    corpus = make_corpus(600, 0, 0, 0, seed=8, n_prefixes=2)
    policy = Policy(latency_base_s=0.3, latency_per_item_s=0.002)
    ingestor = IdentifierListIngestor(max_identifiers=1000, max_bytes=10**6)
    dois = corpus.dois()
    store = SessionStore(redis, session_ttl_s=600)
    big = ingestor.ingest_json({"identifiers": dois[:590]})
    small = ingestor.ingest_json({"identifiers": dois[590:]})
    await store.create("session-big", big.resources, metadata={})
    await store.create("session-small", small.resources, metadata={})
    async with StandinServer(corpus, policy) as slow_standin:
        await store.enqueue("session-big")
        worker = asyncio.create_task(_run_burst(redis, _settings(redis_server, slow_standin)))
        while (await store.status("session-big")).status is not JobState.RUNNING:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # its batches are waiting for the Crossref list pool
        await store.enqueue("session-small")
        await worker
    big_status, small_status = (
        await store.status("session-big"),
        await store.status("session-small"),
    )
    assert big_status.status is small_status.status is JobState.COMPLETED
    assert small_status.updated_at < big_status.updated_at


async def test_small_sessions_on_one_worker_share_upstream_requests(
    redis: ArqRedis, redis_server: RedisServer, standin: StandinServer, corpus: Corpus
) -> None:
    """Six sessions of two Crossref DOIs each: fewer list requests than sessions, each outcome
    checkpointed into its own session."""
    from cco_enrich.ingest import IdentifierListIngestor

    ingestor = IdentifierListIngestor(max_identifiers=100, max_bytes=10**6)
    store = SessionStore(redis, session_ttl_s=600)
    dois = [w.doi for w in corpus.works_of("crossref") if "," not in w.doi][:12]
    for n in range(6):
        result = ingestor.ingest_json({"identifiers": dois[2 * n : 2 * n + 2]})
        await store.create(f"session-small-{n}", result.resources, metadata={})
        await store.enqueue(f"session-small-{n}")
    await _run_burst(redis, _settings(redis_server, standin))
    for n in range(6):
        session = f"session-small-{n}"
        assert (await store.status(session)).enriched == 2
        assert {r.doi for r in await store.resources(session)} == set(dois[2 * n : 2 * n + 2])
    requests = standin.stats.endpoint("crossref-list").requests
    assert 1 <= requests < 6
    assert all(n == 1 for n in standin.stats.lookups("crossref-list").values())


async def test_a_stopping_worker_saves_the_batches_in_flight_before_handing_the_session_back(
    redis: ArqRedis, redis_server: RedisServer
) -> None:
    """SIGTERM mid-session: no new request starts, the ones in flight land in the checkpoint,
    and the session goes back to the queue. Nothing fetched is thrown away."""
    import asyncio
    import contextlib

    from cco_enrich.ingest import IdentifierListIngestor
    from cco_enrich.worker import stop_gracefully

    corpus = make_corpus(400, 0, 0, 0, seed=9, n_prefixes=2)
    store = SessionStore(redis, session_ttl_s=600)
    result = IdentifierListIngestor(max_identifiers=1000, max_bytes=10**6).ingest_json(
        {"identifiers": corpus.dois()}
    )
    await store.create("session-stop", result.resources, metadata={})
    await store.enqueue("session-stop")
    async with StandinServer(corpus, Policy(latency_base_s=0.4)) as slow:
        worker = _worker(redis, _settings(redis_server, slow))
        main = asyncio.create_task(worker.main())
        while slow.state.limiters["polite-array"].in_flight == 0:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        assert await stop_gracefully(worker.ctx, 5.0, main)
        with contextlib.suppress(asyncio.CancelledError):
            await main
        await worker.close()
        served = set(slow.stats.lookups("crossref-list")) | set(
            slow.stats.lookups("crossref-single")
        )
    status = await store.status("session-stop")
    assert (status.status, status.stage) == (JobState.QUEUED, "interrupted")
    saved = {
        r.doi for r in await store.resources("session-stop") if r.status is ResourceStatus.ENRICHED
    }
    assert 0 < len(saved) < len(corpus.works)
    assert served == saved


async def test_sigterm_drains_and_then_stops_the_worker_s_main_task(
    redis: ArqRedis, redis_server: RedisServer, standin: StandinServer
) -> None:
    """The worker's own SIGTERM handler: no new request starts, then arq's main task ends."""
    import asyncio
    import os
    import signal

    from cco_enrich.worker import OWN_SIGNALS

    ctx: dict[str, Any] = {
        "redis": redis,
        "settings": _settings(redis_server, standin, stop_grace_s=2.0),
        OWN_SIGNALS: True,
    }
    ready = asyncio.Event()

    async def main_task() -> None:  # stands for arq's Worker.main, which runs on_startup
        await WorkerSettings.on_startup(ctx)
        ready.set()
        await asyncio.Event().wait()

    main = asyncio.create_task(main_task())
    await ready.wait()
    loop = asyncio.get_running_loop()
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        async with asyncio.timeout(5):
            with pytest.raises(asyncio.CancelledError):
                await main
        assert ctx["deps"].stopping.is_set()
        assert await ctx["stopper"] is True  # nothing was in flight
        limiter = ctx["deps"].registries.limiters["crossref-list"]
        waiting = asyncio.create_task(Recorder().request(limiter, 0.0))
        await asyncio.sleep(0.05)
        assert limiter.started == 0  # a stopping worker starts no new request
        waiting.cancel()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await WorkerSettings.on_shutdown(ctx)

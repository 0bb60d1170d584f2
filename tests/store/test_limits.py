"""RedisLimitBackend against a real redis-server: several limiters (workers) share one budget."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from cco_enrich.registries.limits import PoolLimit, PoolLimiter
from cco_enrich.store import RedisLimitBackend, read_pool_limits
from cco_enrich.store.keys import SLOTS_KEY
from tests.conftest import RedisServer, free_port, require_redis_server
from tests.fakes import Recorder

pytestmark = pytest.mark.redis

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
WINDOW_S = 0.2


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One private redis-server for the module (each test flushes it).

    Not durable: an fsync per write would delay some grants by milliseconds, and the tests
    time the starts they see on this side.
    """
    server = RedisServer(
        port=free_port(), directory=tmp_path_factory.mktemp("redis"), durable=False
    )
    require_redis_server()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def second_redis(redis_url: str) -> AsyncIterator[Redis]:
    """Another connection pool, as a second worker process would have."""
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_two_workers_together_stay_under_n_per_window_and_c_in_flight(
    redis: Redis, second_redis: Redis
) -> None:
    limit = PoolLimit(3, WINDOW_S, 2)
    workers = [
        PoolLimiter("crossref-list", limit, shared=RedisLimitBackend(client), margin_s=0.02)
        for client in (redis, second_redis)
    ]
    recorder = Recorder()
    async with asyncio.TaskGroup() as group:
        for i in range(16):
            group.create_task(recorder.request(workers[i % 2], 0.03))
    assert len(recorder.starts) == 16
    assert recorder.most_in_any_window(WINDOW_S) <= 3
    assert recorder.peak <= 2
    assert await redis.zcard(SLOTS_KEY.format(pool="crossref-list")) == 0


async def test_each_worker_alone_would_have_gone_faster(redis: Redis, second_redis: Redis) -> None:
    """The shared window is what held them back: local buckets each allow N per window."""
    limit = PoolLimit(3, WINDOW_S, 5)
    workers = [
        PoolLimiter("datacite", limit, shared=RedisLimitBackend(client), margin_s=0.02)
        for client in (redis, second_redis)
    ]
    recorder = Recorder()
    async with asyncio.TaskGroup() as group:
        for i in range(6):
            group.create_task(recorder.request(workers[i % 2], 0.0))
    assert recorder.most_in_any_window(WINDOW_S) == 3
    assert max(recorder.starts) - min(recorder.starts) >= WINDOW_S


async def test_a_dead_workers_slot_comes_back_after_its_ttl(redis: Redis) -> None:
    backend = RedisLimitBackend(redis)
    assert await backend.acquire_slot("doi-cn", "dead-worker", 1, ttl_s=0.1) == (True, 1, 1)
    assert await backend.acquire_slot("doi-cn", "live-worker", 1, ttl_s=5) == (False, 1, 1)
    await asyncio.sleep(0.12)
    assert (await backend.acquire_slot("doi-cn", "live-worker", 1, ttl_s=5))[0]
    await backend.release_slot("doi-cn", "live-worker")
    assert await redis.zcard(SLOTS_KEY.format(pool="doi-cn")) == 0


async def test_try_start_answers_how_long_to_wait(redis: Redis) -> None:
    backend = RedisLimitBackend(redis)
    assert [await backend.try_start("p", 2, 0.5) for _ in range(2)] == [(0.0, 2, 1), (0.0, 2, 2)]
    wait_s, _, starts = await backend.try_start("p", 2, 0.5)
    assert starts == 2
    assert 0.4 < wait_s <= 0.5


async def test_a_pause_in_one_worker_holds_the_other(redis: Redis, second_redis: Redis) -> None:
    first = PoolLimiter("crossref-single", PoolLimit(100, 1.0, 3), shared=RedisLimitBackend(redis))
    second = PoolLimiter(
        "crossref-single", PoolLimit(100, 1.0, 3), shared=RedisLimitBackend(second_redis)
    )
    await first.pause(0.15)
    await first.pause(0.01)  # a shorter pause never cuts a longer one short
    began = time.monotonic()
    async with second.slot():
        waited = time.monotonic() - began
    assert waited >= 0.12


async def test_learned_limits_are_shared_by_every_worker_and_a_restarted_one(
    redis: Redis, second_redis: Redis
) -> None:
    """One worker's 429 lowers the pool for the fleet; a new worker starts from it."""
    ceiling = PoolLimit(3, WINDOW_S, 4)
    first = PoolLimiter("crossref-list", ceiling, shared=RedisLimitBackend(redis), margin_s=0.02)
    second = PoolLimiter(
        "crossref-list", ceiling, shared=RedisLimitBackend(second_redis), margin_s=0.02
    )
    await first.register()
    await second.register()
    await first.answered(429)
    assert (first.limit.requests, first.limit.in_flight) == (2, 2)
    recorder = Recorder()
    async with asyncio.TaskGroup() as group:
        for _ in range(6):
            group.create_task(recorder.request(second, 0.05))
    assert (second.limit.requests, second.limit.in_flight) == (2, 2)  # learned from Redis
    assert recorder.most_in_any_window(WINDOW_S) <= 2
    assert recorder.peak <= 2
    restarted = PoolLimiter("crossref-list", ceiling, shared=RedisLimitBackend(second_redis))
    await restarted.register()
    assert (restarted.limit.requests, restarted.limit.in_flight) == (2, 2)
    assert await read_pool_limits(redis) == {
        "crossref-list": {
            "learned": {"requests": 2, "window_s": WINDOW_S, "in_flight": 2},
            "ceiling": {"requests": 3, "window_s": WINDOW_S, "in_flight": 4},
            "reason": "429",
        }
    }


async def test_two_workers_429s_in_one_epoch_lower_the_pool_once(
    redis: Redis, second_redis: Redis
) -> None:
    ceiling = PoolLimit(8, 1.0, 4)
    workers = [
        PoolLimiter("doi-org", ceiling, shared=RedisLimitBackend(client))
        for client in (redis, second_redis)
    ]
    await asyncio.gather(*(w.answered(429) for w in workers for _ in range(3)))
    learned = await RedisLimitBackend(redis).learned("doi-org")
    assert learned is not None
    assert (learned.requests, learned.in_flight) == (4, 2)


async def test_an_abandoned_request_keeps_its_shared_slot_until_the_grace_ends(
    redis: Redis, second_redis: Redis
) -> None:
    """The slot's expiry in Redis becomes the end of the hold: another worker waits for it."""
    ceiling = PoolLimit(100, 1.0, 1)
    dying = PoolLimiter("crossref-list", ceiling, shared=RedisLimitBackend(redis), min_grace_s=0.4)
    other = PoolLimiter("crossref-list", ceiling, shared=RedisLimitBackend(second_redis))

    async def request() -> None:
        async with dying.slot(timeout_s=30):
            await asyncio.sleep(10)

    abandoned = asyncio.create_task(request())
    await asyncio.sleep(0.05)
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    cancelled_at = time.monotonic()
    async with other.slot():
        waited = time.monotonic() - cancelled_at
    assert 0.3 < waited < 2.0

"""PoolLimiter: never more than N starts in any window, never more than C in flight."""

from __future__ import annotations

import asyncio
import time

import pytest

from cco_enrich.registries.limits import REQUEST_PRIORITY, PoolLimit, PoolLimiter
from cco_enrich.settings import Settings
from cco_enrich.wiring import pool_limits
from tests.fakes import Recorder

WINDOW_S = 0.2


async def test_limiter_never_starts_more_than_n_in_any_window() -> None:
    limiter = PoolLimiter("test", PoolLimit(3, WINDOW_S, 10), margin_s=0.005)
    recorder = Recorder()
    async with asyncio.TaskGroup() as group:
        for _ in range(12):
            group.create_task(recorder.request(limiter, 0.001))
    assert len(recorder.starts) == 12
    assert limiter.started == 12
    assert recorder.most_in_any_window(WINDOW_S) == 3
    # Close to the limit: evenly paced, 12 starts take 11 gaps of W/N, and not much more.
    assert max(recorder.starts) - min(recorder.starts) < 11 * WINDOW_S / 3 + 0.1


async def test_limiter_paces_evenly_instead_of_bursting() -> None:
    limiter = PoolLimiter("test", PoolLimit(4, WINDOW_S, 10), margin_s=0.005)
    recorder = Recorder()
    async with asyncio.TaskGroup() as group:
        for _ in range(5):
            group.create_task(recorder.request(limiter, 0.0))
    gaps = [b - a for a, b in zip(recorder.starts, recorder.starts[1:], strict=False)]
    assert min(gaps) >= WINDOW_S / 4 - 0.01


async def test_limiter_never_has_more_than_c_in_flight() -> None:
    limiter = PoolLimiter("test", PoolLimit(100, 1.0, 2), margin_s=0.005)
    recorder = Recorder()
    async with asyncio.TaskGroup() as group:
        for _ in range(8):
            group.create_task(recorder.request(limiter, 0.02))
    assert recorder.peak == 2
    assert limiter.in_flight == 0


async def test_raising_in_flight_at_run_time_lets_waiters_start() -> None:
    limiter = PoolLimiter("test", PoolLimit(100, 1.0, 1), margin_s=0.0)
    recorder = Recorder()
    tasks = [asyncio.create_task(recorder.request(limiter, 0.05)) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert recorder.active == 1
    limiter.set_ceiling(PoolLimit(100, 1.0, 3))
    await asyncio.sleep(0.03)
    assert recorder.active == 3
    await asyncio.gather(*tasks)


async def test_cancelled_waiter_gives_no_slot_away() -> None:
    limiter = PoolLimiter("test", PoolLimit(100, 1.0, 1), margin_s=0.0)
    recorder = Recorder()
    holder = asyncio.create_task(recorder.request(limiter, 0.03))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(recorder.request(limiter, 0.0))
    await asyncio.sleep(0.005)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await holder
    assert limiter.in_flight == 0
    await recorder.request(limiter, 0.0)
    assert len(recorder.starts) == 2


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"x-rate-limit-limit": "3", "x-rate-limit-interval": "1s", "x-concurrency-limit": "3"},
            PoolLimit(3, 1.0, 3),
        ),
        # more than the ceiling: the ceiling stays (and duplicated headers read as one)
        (
            {"x-rate-limit-limit": "50, 50", "x-rate-limit-interval": "1s, 1s"},
            PoolLimit(10, 1.0, 3),
        ),
        ({"x-rate-limit-limit": "5", "x-concurrency-limit": "1"}, PoolLimit(5, 1.0, 1)),
        # 3 per 500 ms is 6 per our 1 s window
        ({"x-rate-limit-limit": "3", "x-rate-limit-interval": "500ms"}, PoolLimit(6, 1.0, 3)),
        ({}, PoolLimit(10, 1.0, 3)),
        ({"x-rate-limit-limit": "lots", "x-concurrency-limit": "0"}, PoolLimit(10, 1.0, 3)),
    ],
)
async def test_rate_limit_headers_set_the_limit_within_the_ceiling(
    headers: dict[str, str], expected: PoolLimit
) -> None:
    limiter = PoolLimiter("crossref-single", PoolLimit(10, 1.0, 3))
    await limiter.observe(headers)
    assert limiter.limit == expected


async def test_lowered_limit_applies_to_the_next_starts() -> None:
    limiter = PoolLimiter("test", PoolLimit(50, WINDOW_S, 5), margin_s=0.005)
    await limiter.observe(
        {
            "x-rate-limit-limit": "2",
            "x-rate-limit-interval": f"{WINDOW_S}s",
            "x-concurrency-limit": "1",
        }
    )
    recorder = Recorder()
    async with asyncio.TaskGroup() as group:
        for _ in range(5):
            group.create_task(recorder.request(limiter, 0.0))
    assert recorder.most_in_any_window(WINDOW_S) == 2
    assert recorder.peak == 1


async def test_pause_holds_every_start_of_the_pool() -> None:
    limiter = PoolLimiter("test", PoolLimit(100, 1.0, 5), margin_s=0.0)
    await limiter.pause(0.1)
    began = time.monotonic()
    recorder = Recorder()
    await asyncio.gather(recorder.request(limiter, 0.0), recorder.request(limiter, 0.0))
    assert min(recorder.starts) - began >= 0.09


def test_default_settings_give_the_published_pools() -> None:
    """Settings are the one source of pool limits; the worker only passes them on."""
    polite, public = pool_limits(Settings(mailto="a@b.org")), pool_limits(Settings(mailto=None))
    assert (polite.crossref_single, polite.crossref_list) == (
        PoolLimit(10, 1, 3),
        PoolLimit(3, 1, 3),
    )
    assert (public.crossref_single, public.crossref_list) == (
        PoolLimit(5, 1, 1),
        PoolLimit(1, 1, 1),
    )
    assert polite.datacite.per_second == pytest.approx(1000 / 300)
    assert public.datacite == PoolLimit(500, 300.0, 3)
    assert polite.doi_org == public.doi_org == PoolLimit(10, 1.0, 5)
    assert set(polite.by_pool()) == {
        "crossref-single",
        "crossref-list",
        "datacite",
        "doi-org",
    }


def test_public_datacite_limit_never_exceeds_the_identified_one() -> None:
    lowered = pool_limits(Settings(mailto=None, datacite_per_5min=200))
    assert lowered.datacite == PoolLimit(200, 300.0, 3)
    assert pool_limits(Settings(mailto=None, datacite_public_per_5min=300)).datacite.requests == 300


async def test_a_small_session_jumps_the_queue_for_a_free_slot() -> None:
    """Waiters with a lower REQUEST_PRIORITY (fewer open DOIs) get the next slot first."""
    limiter = PoolLimiter("test", PoolLimit(1000, 1.0, 1), margin_s=0.0)
    order: list[str] = []
    first_holds = asyncio.Event()
    let_go = asyncio.Event()

    async def request(name: str, priority: int) -> None:
        REQUEST_PRIORITY.set(priority)
        async with limiter.slot():
            order.append(name)
            if name == "big-0":
                first_holds.set()
                await let_go.wait()  # holds the only slot until everyone else waits

    async with asyncio.TaskGroup() as group:
        group.create_task(request("big-0", 1000))
        await first_holds.wait()
        for n in range(1, 4):
            group.create_task(request(f"big-{n}", 1000))
        group.create_task(request("small", 10))
        for _ in range(5):  # let every waiter reach the slot queue
            await asyncio.sleep(0)
        let_go.set()
    assert order == ["big-0", "small", "big-1", "big-2", "big-3"]

"""Learned limits: a pool halves on 429s, 503s and timeouts, recovers step by step, stays capped;
and a request abandoned in flight keeps its slot until it would have ended."""

from __future__ import annotations

import asyncio
import time

import pytest

from cco_enrich.registries.adaptive import (
    PROBE_AGAIN_S,
    RECOVER_EVERY_S,
    Cap,
    LearnedLimit,
    announced_limits,
)
from cco_enrich.registries.limits import PoolLimit, PoolLimiter
from tests.fakes import Recorder

CAP = Cap(requests=8, window_s=1.0, in_flight=4)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _levels(limiter: PoolLimiter) -> tuple[int, int]:
    return limiter.limit.requests, limiter.limit.in_flight


async def test_a_pool_halves_on_429_and_recovers_step_by_step_up_to_its_ceiling(
    clock: Clock,
) -> None:
    limiter = PoolLimiter("crossref-list", PoolLimit(8, 1.0, 4), clock=clock)
    await limiter.answered(429)
    assert _levels(limiter) == (4, 2)
    steps = []
    for _ in range(12):
        clock.advance(RECOVER_EVERY_S)
        await limiter.answered(200)
        steps.append(_levels(limiter))
    # one step every RECOVER_EVERY_S of clean answers, rate and concurrency in turn
    assert steps[:4] == [(5, 2), (5, 3), (6, 3), (6, 4)]
    assert steps[-1] == (8, 4)
    assert max(steps) == (8, 4)  # never above the ceiling


async def test_one_overload_counts_once_per_epoch(clock: Clock) -> None:
    """A burst of 429s from one overload halves the limit once, not down to 1."""
    limiter = PoolLimiter("crossref-list", PoolLimit(8, 1.0, 4), clock=clock)
    for _ in range(5):
        await limiter.answered(429)
    assert _levels(limiter) == (4, 2)
    clock.advance(limiter.epoch_s)
    await limiter.overloaded("timeout")
    await limiter.answered(503)
    assert _levels(limiter) == (2, 1)
    for _ in range(3):
        clock.advance(limiter.epoch_s)
        await limiter.answered(503)
    assert _levels(limiter) == (1, 1)  # the floor


async def test_a_step_that_draws_a_429_goes_back_and_waits_before_trying_again(
    clock: Clock,
) -> None:
    """Above a level known to be clean, a 429 steps back to it instead of halving."""
    limiter = PoolLimiter("doi-org", PoolLimit(10, 1.0, 5), clock=clock)
    await limiter.answered(429)
    clock.advance(RECOVER_EVERY_S)
    await limiter.answered(200)
    assert _levels(limiter) == (6, 3)  # clean at (5, 3): one step of rate
    await limiter.answered(429)
    assert _levels(limiter) == (5, 3)
    clock.advance(RECOVER_EVERY_S)
    await limiter.answered(200)
    assert _levels(limiter) == (5, 4)  # the rate waits; concurrency may still step
    clock.advance(RECOVER_EVERY_S)
    await limiter.answered(200)
    assert _levels(limiter) == (5, 5)
    clock.advance(RECOVER_EVERY_S)
    await limiter.answered(200)
    assert _levels(limiter) == (5, 5)  # 6 drew a 429: not again before PROBE_AGAIN_S
    clock.advance(PROBE_AGAIN_S)
    await limiter.answered(200)
    assert _levels(limiter) == (6, 5)


def test_probing_a_failed_level_again_and_failing_doubles_the_wait() -> None:
    state = LearnedLimit(6, 4, good_requests=5, good_in_flight=4, probe="in_flight")
    first = state.decreased(CAP, 100.0, epoch_s=1, reason="429")
    assert first is not None
    assert (first.requests, first.failed_requests, first.wait_requests_s) == (5, 6, PROBE_AGAIN_S)
    retried = first.increased(CAP, 100.0 + PROBE_AGAIN_S)
    assert retried is not None
    assert retried.requests == 6
    second = retried.decreased(CAP, 101.0 + PROBE_AGAIN_S, epoch_s=1, reason="429")
    assert second is not None
    assert second.wait_requests_s == 2 * PROBE_AGAIN_S


async def test_new_headers_set_the_limit_directly_and_the_same_again_do_not(clock: Clock) -> None:
    limiter = PoolLimiter("crossref-list", PoolLimit(8, 1.0, 4), clock=clock)
    headers = {"x-rate-limit-limit": "3", "x-concurrency-limit": "3"}
    await limiter.observe(headers)
    assert _levels(limiter) == (3, 3)
    await limiter.answered(429)
    assert _levels(limiter) == (2, 2)
    await limiter.observe(headers)  # the same announcement does not undo what a 429 taught
    assert _levels(limiter) == (2, 2)
    for _ in range(5):
        clock.advance(RECOVER_EVERY_S)
        await limiter.answered(200)
    assert _levels(limiter) == (3, 3)  # recovery stops at what the upstream announced
    await limiter.observe({"x-rate-limit-limit": "20", "x-concurrency-limit": "20"})
    assert _levels(limiter) == (8, 4)  # a new announcement counts, within the ceiling


def test_announced_limits_read_the_headers_in_our_window() -> None:
    assert announced_limits({"x-rate-limit-limit": "50, 50"}, 1.0) == (50, 0)
    assert announced_limits({"x-rate-limit-limit": "3", "x-rate-limit-interval": "1s"}, 300) == (
        900,
        0,
    )
    assert announced_limits({"x-concurrency-limit": "2"}, 1.0) == (0, 2)
    assert announced_limits({}, 1.0) == (0, 0)


def test_the_learned_limit_round_trips_through_hash_fields() -> None:
    state = LearnedLimit(3, 2, good_requests=3, failed_in_flight=3, reason="429", decreased_at=5.5)
    assert LearnedLimit.from_fields(state.to_fields()) == state
    assert LearnedLimit.from_fields({"ceiling_requests": "3"}) is None
    assert LearnedLimit.from_fields({"requests": "x", "in_flight": "1"}) is None


async def test_a_lowered_limit_holds_back_the_next_starts() -> None:
    limiter = PoolLimiter("test", PoolLimit(8, 0.2, 4), margin_s=0.005)
    await limiter.answered(429)
    recorder = Recorder()
    async with asyncio.TaskGroup() as group:
        for _ in range(6):
            group.create_task(recorder.request(limiter, 0.02))
    assert recorder.most_in_any_window(0.2) == 4
    assert recorder.peak <= 2


async def test_an_abandoned_request_keeps_its_slot_until_the_grace_ends() -> None:
    limiter = PoolLimiter("test", PoolLimit(100, 1.0, 1), margin_s=0.0, min_grace_s=0.3)
    recorder = Recorder()
    abandoned = asyncio.create_task(recorder.request(limiter, 10.0))
    await asyncio.sleep(0.02)
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    cancelled_at = time.monotonic()
    assert (limiter.in_flight, limiter.active) == (1, 0)
    await recorder.request(limiter, 0.0)
    assert recorder.starts[-1] - cancelled_at >= 0.28
    assert limiter.in_flight == 0


async def test_an_abandoned_request_keeps_its_slot_no_longer_than_its_timeout() -> None:
    limiter = PoolLimiter("test", PoolLimit(100, 1.0, 1), margin_s=0.0, min_grace_s=5.0)

    async def request() -> None:
        async with limiter.slot(timeout_s=0.25):
            await asyncio.sleep(10)

    abandoned = asyncio.create_task(request())
    await asyncio.sleep(0.05)
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    began = time.monotonic()
    async with limiter.slot():
        waited = time.monotonic() - began
    assert 0.12 < waited < 1.0  # the rest of its 0.25 s timeout, not the 5 s grace


async def test_a_request_cancelled_before_it_started_gives_its_slot_back_at_once() -> None:
    limiter = PoolLimiter("test", PoolLimit(1, 10.0, 2), margin_s=0.0, min_grace_s=5.0)
    async with limiter.slot():
        waiter = asyncio.create_task(Recorder().request(limiter, 0.0))  # waits for a start
        await asyncio.sleep(0.02)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
    assert limiter.in_flight == 0


async def test_held_starts_start_nothing_until_resumed() -> None:
    limiter = PoolLimiter("test", PoolLimit(100, 1.0, 5), margin_s=0.0)
    limiter.hold_starts()
    recorder = Recorder()
    task = asyncio.create_task(recorder.request(limiter, 0.0))
    await asyncio.sleep(0.05)
    assert recorder.starts == []
    limiter.resume_starts()
    await task
    assert len(recorder.starts) == 1


async def test_a_reserved_start_is_taken_by_the_first_request_of_its_pool() -> None:
    limiter = PoolLimiter("test", PoolLimit(1, 10.0, 1), margin_s=0.0)
    held = await limiter.reserve()
    assert limiter.started == 1
    async with limiter.using(held), limiter.slot():
        assert limiter.started == 1  # no second start: the window allows one per 10 s
    assert limiter.in_flight == 0


async def test_a_reserved_start_nobody_takes_gives_the_slot_back() -> None:
    limiter = PoolLimiter("test", PoolLimit(5, 1.0, 1), margin_s=0.0)
    held = await limiter.reserve()
    async with limiter.using(held):
        assert limiter.in_flight == 1
    assert (limiter.in_flight, limiter.active) == (0, 0)


def test_a_429_blames_what_no_clean_answer_saw() -> None:
    """doi.org really allows 5/s and 2 in flight; clean answers saw 5 starts and 2 in flight."""
    cap = Cap(requests=10, window_s=1.0, in_flight=5)
    ok = (5, 2)
    first = LearnedLimit.at(cap, 0.0).decreased(
        cap, 1.0, reason="429", epoch_s=1, usage=(6, 2), known_ok=ok, started_ago_s=0.01
    )
    assert first is not None
    assert (first.requests, first.in_flight, first.failed_requests) == (5, 5, 6)
    # a request admitted before that decrease says nothing new...
    assert (
        first.decreased(cap, 1.2, reason="429", epoch_s=1, usage=(6, 3), started_ago_s=0.5) is None
    )
    # ...one admitted after it does: now the concurrency is to blame
    second = first.decreased(
        cap, 1.3, reason="429", epoch_s=1, usage=(5, 3), known_ok=ok, started_ago_s=0.1
    )
    assert second is not None
    assert (second.requests, second.in_flight, second.failed_in_flight) == (5, 2, 3)
    # both levels just above drew a 429: recovery leaves them alone for a while
    clean = second.increased(cap, 1.4 + RECOVER_EVERY_S)
    assert clean is not None
    assert (clean.requests, clean.in_flight, clean.good_requests) == (5, 2, 5)
    assert clean.increased(cap, 1.3 + 5 * RECOVER_EVERY_S) is None
    probe = clean.increased(cap, 1.3 + PROBE_AGAIN_S)
    assert probe is not None
    assert (probe.requests, probe.in_flight) == (6, 2)


def test_a_refused_request_alone_in_flight_blames_the_rate() -> None:
    cap = Cap(requests=3, window_s=1.0, in_flight=3)
    lowered = LearnedLimit.at(cap, 0.0).decreased(
        cap, 1.0, reason="429", epoch_s=1, usage=(3, 1), started_ago_s=0.01
    )
    assert lowered is not None
    assert (lowered.requests, lowered.in_flight, lowered.failed_requests) == (2, 3, 3)


async def test_the_limiter_hands_what_a_request_saw_to_the_decrease() -> None:
    limiter = PoolLimiter("doi-org", PoolLimit(10, 1.0, 5), margin_s=0.0)
    release = asyncio.Event()

    async def request() -> None:
        async with limiter.slot():
            await release.wait()

    holders = [asyncio.create_task(request()) for _ in range(2)]
    await asyncio.sleep(0.25)
    async with limiter.slot() as claim:
        assert claim.usage == (3, 3)
        await limiter.answered(429, claim)
    release.set()
    await asyncio.gather(*holders)
    # nothing clean seen yet: both are to blame, each kept below what the request saw
    assert (limiter.limit.requests, limiter.limit.in_flight) == (2, 2)

"""SharedBatcher: keys of many tickets in few requests, smallest session first, asked once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from cco_enrich.batcher import SharedBatcher, Ticket
from cco_enrich.registries.limits import PoolLimit, PoolLimiter

BATCH = 3


class Upstream:
    """Answers each key with its upper case; records the batches; holds each until released."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def send(self, keys: list[str]) -> dict[str, str]:
        self.batches.append(keys)
        await self.gate.wait()
        return {key: key.upper() for key in keys}


class Collected:
    def __init__(self) -> None:
        self.parts: list[dict[str, str]] = []

    def __call__(self, keys: list[str], part: dict[str, str]) -> None:
        assert sorted(keys) == sorted(part)
        self.parts.append(part)

    @property
    def answers(self) -> dict[str, str]:
        return {k: v for part in self.parts for k, v in part.items()}


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
async def batcher(upstream: Upstream) -> AsyncIterator[SharedBatcher[str, dict[str, str]]]:
    shared: SharedBatcher[str, dict[str, str]] = SharedBatcher(
        "test",
        first_batch=lambda keys: keys[:BATCH],
        send=upstream.send,
        part=lambda result, keys: {k: result[k] for k in keys},
        on_error=lambda keys, exc: {k: f"failed: {exc}" for k in keys},
        limiter=PoolLimiter("test", PoolLimit(1000, 1.0, 1)),
    )
    yield shared
    await shared.aclose()


async def _settle() -> None:
    """Let the lanes take and send what they can (the pool paces starts 1 ms apart)."""
    await asyncio.sleep(0.03)


async def test_keys_that_wait_for_a_busy_pool_share_its_next_request(
    batcher: SharedBatcher[str, dict[str, str]], upstream: Upstream
) -> None:
    upstream.gate.clear()
    first, second, third = Collected(), Collected(), Collected()
    batcher.submit(Ticket(10, first), ["a"])
    await _settle()  # "a" is in flight, alone; the pool allows one at a time
    batcher.submit(Ticket(10, second), ["b"])
    batcher.submit(Ticket(10, third), ["c", "d"])
    upstream.gate.set()
    await _settle()
    assert upstream.batches == [["a"], ["b", "c", "d"]]
    assert (first.answers, second.answers, third.answers) == (
        {"a": "A"},
        {"b": "B"},
        {"c": "C", "d": "D"},
    )


async def test_the_smallest_session_goes_first(
    batcher: SharedBatcher[str, dict[str, str]], upstream: Upstream
) -> None:
    upstream.gate.clear()
    batcher.submit(Ticket(1000, Collected()), ["x"])
    await _settle()
    batcher.submit(Ticket(1000, Collected()), ["b1", "b2", "b3", "b4"])
    batcher.submit(Ticket(2, Collected()), ["s1", "s2"])
    upstream.gate.set()
    await _settle()
    assert upstream.batches[1] == ["s1", "s2", "b1"]


async def test_a_key_queued_or_in_flight_is_asked_once_for_every_ticket(
    batcher: SharedBatcher[str, dict[str, str]], upstream: Upstream
) -> None:
    upstream.gate.clear()
    early, late, later = Collected(), Collected(), Collected()
    batcher.submit(Ticket(1, early), ["p"])
    await _settle()
    batcher.submit(Ticket(1, late), ["p", "q"])  # "p" is in flight: joins it
    batcher.submit(Ticket(1, later), ["q"])  # "q" is queued: joins it
    upstream.gate.set()
    await _settle()
    assert upstream.batches == [["p"], ["q"]]
    assert (early.answers, late.answers, later.answers) == (
        {"p": "P"},
        {"p": "P", "q": "Q"},
        {"q": "Q"},
    )


async def test_withdrawn_and_cancelled_keys_are_not_sent(
    batcher: SharedBatcher[str, dict[str, str]], upstream: Upstream
) -> None:
    upstream.gate.clear()
    batcher.submit(Ticket(1, Collected()), ["busy"])
    await _settle()
    kept, gone, shared_keys = Collected(), Collected(), Collected()
    keeping, leaving = Ticket(1, kept), Ticket(1, gone)
    batcher.submit(keeping, ["k1", "k2"])
    batcher.submit(leaving, ["g1", "k2"])
    batcher.submit(Ticket(1, shared_keys), ["g1"])
    assert batcher.withdraw(keeping, ["k1", "busy"]) == ["k1"]
    batcher.cancel(leaving)
    upstream.gate.set()
    await _settle()
    assert upstream.batches[1:] == [["k2", "g1"]]
    assert (kept.answers, gone.answers, shared_keys.answers) == ({"k2": "K2"}, {}, {"g1": "G1"})


async def test_a_failing_request_answers_every_ticket() -> None:
    async def broken(keys: list[str]) -> dict[str, str]:
        raise RuntimeError("boom")

    collected = Collected()
    shared: SharedBatcher[str, dict[str, str]] = SharedBatcher(
        "broken",
        first_batch=lambda keys: keys,
        send=broken,
        part=lambda result, keys: {k: result[k] for k in keys},
        on_error=lambda keys, exc: {k: f"failed: {exc}" for k in keys},
    )
    shared.submit(Ticket(1, collected), ["a", "b"])
    await _settle()
    await shared.aclose()
    assert collected.answers == {"a": "failed: boom", "b": "failed: boom"}


async def test_lingering_keys_wait_for_company_unless_urgent(upstream: Upstream) -> None:
    more = True
    shared: SharedBatcher[str, dict[str, str]] = SharedBatcher(
        "linger",
        first_batch=lambda keys: keys[:BATCH],
        send=upstream.send,
        part=lambda result, keys: {k: result[k] for k in keys},
        on_error=lambda keys, exc: {},
        linger_s=0.2,
        more_coming=lambda: more,
    )
    try:
        shared.submit(Ticket(1, Collected()), ["a"])
        await asyncio.sleep(0.05)
        assert upstream.batches == []
        shared.submit(Ticket(1, Collected()), ["b"], urgent=True)
        await _settle()
        assert upstream.batches == [["a", "b"]]
        shared.submit(Ticket(1, Collected()), ["c"])
        more = False  # nothing else can come: no reason to wait
        shared.poke()
        await _settle()
        assert upstream.batches[-1] == ["c"]
    finally:
        await shared.aclose()

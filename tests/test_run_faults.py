"""Runs and the sweeper under faults: an expired lease comes back to a run nobody replaced, a
replaced run stands down without writing, checkpoints Redis lost are resolved again, a lost queue
entry is found.

The process-level proofs are in tests/faults/.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

import pytest
from arq.connections import ArqRedis

from cco_enrich.doi import DOI
from cco_enrich.errors import LeaseLostError
from cco_enrich.models import JobState, Outcome, Resource, ResourceStatus, Work
from cco_enrich.runner import OnOutcomes, SessionRun
from cco_enrich.settings import Settings
from cco_enrich.store import LEASE_RECLAIMED, SessionStore
from cco_enrich.store.keys import LEASE_KEY, RESOURCES_KEY
from cco_enrich.worker import shutdown, startup, sweep_sessions

DOIS = [DOI(f"10.1000/{i}") for i in range(6)]
TTL_S = 0.15


async def _queued(store: SessionStore) -> str:
    await store.create("s", [Resource(identifier=d, doi=d) for d in DOIS], metadata={})
    return await store.enqueue("s")


def _enriched(dois: Sequence[DOI]) -> list[Outcome]:
    return [Outcome.enriched(Work(doi=d, registry="crossref", title=f"T {d}")) for d in dois]


async def test_an_expired_lease_comes_back_only_while_the_job_is_still_the_sessions(
    store: SessionStore,
) -> None:
    first_job = await _queued(store)
    assert await store.acquire_lease("s", "w1", 0.05)
    await asyncio.sleep(0.1)
    assert await store.renew_lease("s", "w1", 5, job_id=first_job) == LEASE_RECLAIMED
    assert await store.lease_holder("s") == "w1"
    await store.release_lease("s", "w1")
    await store.enqueue("s")  # what the sweeper does once it sees no lease
    assert await store.renew_lease("s", "w1", 5, job_id=first_job) == 0
    assert await store.lease_holder("s") is None


async def test_a_fenced_checkpoint_is_written_only_by_the_lease_holder(
    store: SessionStore,
) -> None:
    await _queued(store)
    await store.acquire_lease("s", "w1", 5)
    running = (await store.status("s")).model_copy(update={"status": JobState.RUNNING})
    await store.set_status("s", running, holder="w1")
    completed = running.model_copy(update={"status": JobState.COMPLETED})
    with pytest.raises(LeaseLostError):
        await store.set_status("s", completed, holder="w2")
    assert (await store.status("s")).status is JobState.RUNNING


async def test_one_sweeper_a_round_and_one_read_for_the_leases(store: SessionStore) -> None:
    await store.acquire_lease("a", "w1", 5)
    assert await store.unleased(["a", "b", "c"]) == ["b", "c"]
    assert await store.unleased([]) == []
    assert await store.claim_sweep("w1", 5)
    assert not await store.claim_sweep("w2", 5)


async def test_statuses_come_in_one_read(store: SessionStore) -> None:
    await _queued(store)
    found = await store.statuses(["s", "gone"])
    assert list(found) == ["s"]
    assert found["s"].status is JobState.QUEUED
    assert await store.statuses([]) == {}


async def test_a_queued_session_whose_job_vanished_is_requeued_on_a_checking_round(
    fake_redis: ArqRedis, store: SessionStore
) -> None:
    """Queued sessions cost one MGET a round; their arq job is looked for every tenth round."""
    job_id = await _queued(store)
    await fake_redis.delete(f"arq:job:{job_id}")  # Redis lost the queue entry
    ctx: dict[str, Any] = {"redis": fake_redis, "settings": Settings(mailto="t@example.org")}
    await startup(ctx)
    try:
        assert await sweep_sessions(ctx, check_queued=False) == 0
        assert await sweep_sessions(ctx) == 1
    finally:
        await shutdown(ctx)
    assert (await store.record("s")).job_id == "enrich:s:2"


async def test_a_run_that_stalls_past_its_lease_takes_it_back_and_finishes(
    store: SessionStore, caplog: pytest.LogCaptureFixture
) -> None:
    """A starved CPU or a long GC pause: nobody took over, so the run goes on."""
    job_id = await _queued(store)

    async def stalling(dois: Sequence[DOI], on_outcomes: OnOutcomes) -> None:
        await on_outcomes(_enriched(dois[:3]))
        time.sleep(3 * TTL_S)  # noqa: ASYNC251 - the stall under test blocks the whole loop
        await on_outcomes(_enriched(dois[3:]))

    caplog.set_level(logging.WARNING, logger="cco_enrich.runner")
    run = SessionRun(store, "s", worker_id="w1", job_id=job_id, lease_ttl_s=TTL_S)
    final = await run.execute(stalling)
    assert final is not None
    assert (final.status, final.enriched) == (JobState.COMPLETED, 6)
    assert "took it back" in caplog.text


async def test_a_run_replaced_while_it_stalled_stands_down_without_writing(
    store: SessionStore,
) -> None:
    """Another worker took over during the stall: the woken run writes nothing more."""
    job_id = await _queued(store)

    async def take_over() -> None:  # the sweeper re-queues, another worker leases
        await store.enqueue("s")
        await store.redis.set(LEASE_KEY.format(session_id="s"), "w2", px=60_000)

    other_worker: list[asyncio.Task[None]] = []

    async def replaced(dois: Sequence[DOI], on_outcomes: OnOutcomes) -> None:
        await on_outcomes(_enriched(dois[:3]))
        time.sleep(3 * TTL_S)  # noqa: ASYNC251 - the stall under test blocks the whole loop
        other_worker.append(asyncio.create_task(take_over()))
        await asyncio.shield(other_worker[0])
        await on_outcomes(_enriched(dois[3:]))

    run = SessionRun(store, "s", worker_id="w1", job_id=job_id, lease_ttl_s=TTL_S)
    assert await run.execute(replaced) is None
    await other_worker[0]
    statuses = [r.status for r in await store.resources("s")]
    assert statuses == [ResourceStatus.ENRICHED] * 3 + [ResourceStatus.PENDING] * 3
    assert (await store.status("s")).status is JobState.QUEUED
    assert await store.lease_holder("s") == "w2"


async def test_resources_redis_lost_under_the_run_are_resolved_again(store: SessionStore) -> None:
    """A failover to a lagging replica drops an acknowledged checkpoint: the run notices."""
    job_id = await _queued(store)
    asked: list[DOI] = []

    async def forgetful_redis(dois: Sequence[DOI], on_outcomes: OnOutcomes) -> None:
        asked.extend(dois)
        await on_outcomes(_enriched(dois))
        if len(asked) == len(DOIS):  # the first pass: Redis loses the first resource
            lost = Resource(identifier=DOIS[0], doi=DOIS[0]).model_dump_json()
            await store.redis.hset(RESOURCES_KEY.format(session_id="s"), "0", lost)

    final = await SessionRun(store, "s", worker_id="w", job_id=job_id).execute(forgetful_redis)
    assert final is not None
    assert (final.status, final.enriched) == (JobState.COMPLETED, 6)
    assert asked == [*DOIS, DOIS[0]]
    assert await store.count_pending("s") == 0

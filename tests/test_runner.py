"""SessionRun: leases, per-batch checkpoints, resume, cancel and shutdown, with a fake resolver."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from cco_enrich.doi import DOI
from cco_enrich.models import (
    FORCE_RESET_STATUSES,
    JobState,
    Outcome,
    Resource,
    ResourceStatus,
    Work,
)
from cco_enrich.runner import OnOutcomes, SessionRun
from cco_enrich.store import OutcomeCache, SessionStore

DOIS = [DOI(f"10.1000/{i}") for i in range(10)]


def hollow() -> list[Resource]:
    return [Resource(identifier=d.upper(), doi=d) for d in DOIS] + [
        Resource(identifier="junk", status=ResourceStatus.INVALID, error="not a DOI")
    ]


class FakeResolver:
    """Resolves DOIs in batches of `batch`; DOIs ending in 9 are not found."""

    def __init__(self, batch: int = 3, *, stop_after: int | None = None) -> None:
        self.batch = batch
        self.stop_after = stop_after
        self.calls: list[DOI] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, dois: Sequence[DOI], on_outcomes: OnOutcomes) -> None:
        for n, start in enumerate(range(0, len(dois), self.batch)):
            if self.stop_after is not None and n >= self.stop_after:
                await asyncio.Event().wait()  # hangs like a worker mid-batch
            await self.gate.wait()
            chunk = dois[start : start + self.batch]
            self.calls.extend(chunk)
            await on_outcomes(
                [
                    Outcome.not_found(d)
                    if d.endswith("9")
                    else Outcome.enriched(Work(doi=d, registry="crossref", title=f"T {d}"))
                    for d in chunk
                ]
            )


async def _queued(store: SessionStore) -> str:
    await store.create("session-1", hollow(), metadata={})
    return await store.enqueue("session-1")


async def test_run_resolves_everything_and_checkpoints_each_batch(store: SessionStore) -> None:
    job_id = await _queued(store)
    resolver = FakeResolver(batch=3)
    final = await SessionRun(store, "session-1", worker_id="w", job_id=job_id).execute(resolver)
    assert final is not None
    assert final.status is JobState.COMPLETED
    assert (final.enriched, final.not_found, final.invalid, final.percent) == (9, 1, 1, 100.0)
    events = await store.events_after("session-1", "0-0", block_ms=None, count=1000)
    batches = [e for e in events if e.resources]
    assert [len(e.resources) for e in batches] == [3, 3, 3, 1]
    assert [e.status.done for e in batches] == [4, 7, 10, 11]
    assert await store.lease_holder("session-1") is None


async def test_rerun_after_a_crash_does_only_the_remaining_work(store: SessionStore) -> None:
    job_id = await _queued(store)
    crashing = FakeResolver(batch=3, stop_after=2)
    run = SessionRun(store, "session-1", worker_id="w1", job_id=job_id, lease_ttl_s=0.2)
    task = asyncio.create_task(run.execute(crashing))
    while (await store.status("session-1")).done < 7:  # noqa: ASYNC110 - polls state in Redis
        await asyncio.sleep(0.01)
    task.cancel()  # what is left after the process dies: the checkpoint
    with pytest.raises(asyncio.CancelledError):
        await task
    resumed = FakeResolver(batch=3)
    final = await SessionRun(store, "session-1", worker_id="w2", job_id=job_id).execute(resumed)
    assert final is not None
    assert final.status is JobState.COMPLETED
    assert final.enriched == 9
    assert resumed.calls == DOIS[6:]
    assert sorted(crashing.calls + resumed.calls) == sorted(DOIS)


async def test_shutdown_leaves_the_session_queued_for_the_next_worker(store: SessionStore) -> None:
    job_id = await _queued(store)
    run = SessionRun(store, "session-1", worker_id="w", job_id=job_id)
    task = asyncio.create_task(run.execute(FakeResolver(stop_after=1)))
    while (await store.status("session-1")).status is not JobState.RUNNING:  # noqa: ASYNC110 - polls state in Redis
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    status = await store.status("session-1")
    assert status.status is JobState.QUEUED
    assert status.stage == "interrupted"
    assert await store.lease_holder("session-1") is None


async def test_cancel_request_stops_the_run_and_keeps_saved_work(store: SessionStore) -> None:
    job_id = await _queued(store)
    resolver = FakeResolver(batch=3, stop_after=1)
    task = asyncio.create_task(
        SessionRun(store, "session-1", worker_id="w", job_id=job_id).execute(resolver)
    )
    while (await store.status("session-1")).done < 4:  # noqa: ASYNC110 - polls state in Redis
        await asyncio.sleep(0.01)
    await store.request_cancel("session-1")
    final = await asyncio.wait_for(task, timeout=3)
    assert final is not None
    assert final.status is JobState.CANCELLED
    assert final.enriched == 3
    saved = await store.resources("session-1")
    assert [r.status for r in saved[:4]] == [ResourceStatus.ENRICHED] * 3 + [ResourceStatus.PENDING]


async def test_deleting_a_running_session_stops_it_without_writing_it_back(
    store: SessionStore,
) -> None:
    job_id = await _queued(store)
    task = asyncio.create_task(
        SessionRun(store, "session-1", worker_id="w", job_id=job_id).execute(
            FakeResolver(batch=3, stop_after=1)
        )
    )
    while (await store.status("session-1")).done < 4:  # noqa: ASYNC110 - polls state in Redis
        await asyncio.sleep(0.01)
    await store.delete("session-1")
    assert await asyncio.wait_for(task, timeout=3) is None
    assert not await store.exists("session-1")
    assert await store.redis.keys("cco:session:session-1*") == []


async def test_a_run_whose_lease_was_taken_leaves_the_session_to_the_new_holder(
    store: SessionStore,
) -> None:
    job_id = await _queued(store)
    run = SessionRun(store, "session-1", worker_id="w1", job_id=job_id, lease_ttl_s=0.3)
    task = asyncio.create_task(run.execute(FakeResolver(batch=3, stop_after=1)))
    while (await store.status("session-1")).done < 4:  # noqa: ASYNC110 - polls state in Redis
        await asyncio.sleep(0.01)
    await store.release_lease("session-1", "w1")  # as if it expired while w1 was stuck
    assert await store.acquire_lease("session-1", "w2", 10)
    assert await asyncio.wait_for(task, timeout=3) is None
    status = await store.status("session-1")
    assert status.status is JobState.RUNNING  # w2 goes on; w1 wrote no end state
    assert await store.lease_holder("session-1") == "w2"


async def test_a_stale_job_does_nothing(store: SessionStore) -> None:
    old_job = await _queued(store)
    await store.enqueue("session-1")
    resolver = FakeResolver()
    assert (
        await SessionRun(store, "session-1", worker_id="w", job_id=old_job).execute(resolver)
        is None
    )
    assert resolver.calls == []


async def test_a_second_copy_finds_the_lease_held_and_leaves(store: SessionStore) -> None:
    job_id = await _queued(store)
    await store.acquire_lease("session-1", "someone-else", 10)
    resolver = FakeResolver()
    run = SessionRun(store, "session-1", worker_id="w", job_id=job_id)
    assert await run.execute(resolver) is None
    assert resolver.calls == []


async def test_cached_outcomes_are_not_looked_up_again(store: SessionStore) -> None:
    cache = OutcomeCache(store.redis, ttl_s=60, not_found_ttl_s=10)
    job_id = await _queued(store)
    await SessionRun(store, "session-1", worker_id="w", job_id=job_id, cache=cache).execute(
        FakeResolver()
    )
    await store.create("session-2", hollow(), metadata={})
    job_2 = await store.enqueue("session-2")
    second = FakeResolver()
    final = await SessionRun(store, "session-2", worker_id="w", job_id=job_2, cache=cache).execute(
        second
    )
    assert second.calls == []
    assert final is not None
    assert (final.enriched, final.not_found) == (9, 1)


async def test_a_forced_run_looks_everything_up_past_the_cache(store: SessionStore) -> None:
    cache = OutcomeCache(store.redis, ttl_s=60, not_found_ttl_s=10)
    job_id = await _queued(store)
    await SessionRun(store, "session-1", worker_id="w", job_id=job_id, cache=cache).execute(
        FakeResolver()
    )
    assert await store.reset_resources("session-1", FORCE_RESET_STATUSES) == len(DOIS)
    forced_job = await store.enqueue("session-1", refresh=True)
    again = FakeResolver()
    await SessionRun(store, "session-1", worker_id="w", job_id=forced_job, cache=cache).execute(
        again
    )
    assert again.calls == DOIS


async def test_an_internal_error_fails_the_session_with_the_reason(store: SessionStore) -> None:
    job_id = await _queued(store)

    async def broken(dois: Sequence[DOI], on_outcomes: OnOutcomes) -> None:
        await on_outcomes([Outcome.not_found(dois[0])])
        raise KeyError("boom")

    with pytest.raises(KeyError):
        await SessionRun(store, "session-1", worker_id="w", job_id=job_id).execute(broken)
    status = await store.status("session-1")
    assert status.status is JobState.FAILED
    assert "KeyError" in status.message
    assert status.not_found == 1  # the work saved before the error stays
    assert await store.lease_holder("session-1") is None

"""The job side of SessionStore: arq's queue, leases, cancel requests and worker heartbeats."""

from __future__ import annotations

from cco_enrich.models import JobState, Resource, ResourceStatus, StopReason
from cco_enrich.store import JOB_FUNCTION, QUEUE_NAME, SessionStore

RESOURCES = [
    Resource(identifier="10.1000/A", doi="10.1000/a"),
    Resource(identifier="nonsense", status=ResourceStatus.INVALID, error="not a DOI"),
]


async def test_enqueue_uses_a_fresh_job_id_each_time(store: SessionStore) -> None:
    await store.create("session-1", RESOURCES, metadata={})
    first = await store.enqueue("session-1")
    second = await store.enqueue("session-1")
    assert (first, second) == ("enrich:session-1:1", "enrich:session-1:2")
    assert (await store.record("session-1")).job_id == second
    assert (await store.status("session-1")).status is JobState.QUEUED
    assert await store.is_job_known(second)
    queued = await store.redis.zrange(QUEUE_NAME, 0, -1)
    assert len(queued) == 2
    assert JOB_FUNCTION == "enrich_cco_metadata"


async def test_small_sessions_sort_ahead_of_big_ones_in_the_queue(store: SessionStore) -> None:
    big = [Resource(identifier=f"10.1000/{i}", doi=f"10.1000/{i}") for i in range(200)]
    await store.create("big-session", big, metadata={})
    await store.create("small-session", RESOURCES, metadata={})
    await store.enqueue("big-session")
    await store.enqueue("small-session")
    order = [m.decode() for m in await store.redis.zrange(QUEUE_NAME, 0, -1)]
    assert order == ["enrich:small-session:1", "enrich:big-session:1"]


async def test_a_job_arq_is_running_is_known(store: SessionStore) -> None:
    """The sweeper must see a job arq moved from the queue to in-progress (arq's own key)."""
    assert not await store.is_job_known("enrich:s:1")
    await store.redis.set("arq:in-progress:enrich:s:1", b"1")
    assert await store.is_job_known("enrich:s:1")


async def test_lease_is_exclusive_and_only_its_holder_releases_it(store: SessionStore) -> None:
    assert await store.acquire_lease("s", "worker-a", 5)
    assert not await store.acquire_lease("s", "worker-b", 5)
    assert not await store.renew_lease("s", "worker-b", 5)
    await store.release_lease("s", "worker-b")
    assert await store.lease_holder("s") == "worker-a"
    await store.release_lease("s", "worker-a")
    assert await store.lease_holder("s") is None


async def test_stop_reason_says_cancelled_then_deleted(store: SessionStore) -> None:
    await store.create("session-1", RESOURCES, metadata={})
    assert await store.stop_reason("session-1") is None
    await store.request_cancel("session-1")
    assert await store.stop_reason("session-1") is StopReason.CANCELLED
    await store.delete("session-1")
    assert await store.stop_reason("session-1") is StopReason.DELETED


async def test_queue_counts_and_workers(store: SessionStore) -> None:
    await store.create("session-1", RESOURCES, metadata={})
    await store.create("session-2", RESOURCES, metadata={})
    await store.enqueue("session-2")
    await store.register_worker("w1", {"host": "h"}, ttl_s=10)
    counts = await store.queue_counts()
    assert counts["idle"] == 1
    assert counts["queued"] == 1
    workers = await store.live_workers()
    assert [w["id"] for w in workers] == ["w1"]
    assert workers[0]["host"] == "h"

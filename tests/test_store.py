"""SessionStore against fakeredis: sessions, checkpoints, events, leases, jobs."""

from __future__ import annotations

import pytest

from cco_enrich.errors import SessionNotFoundError
from cco_enrich.models import JobState, Outcome, ProcessingStatus, Resource, ResourceStatus, Work
from cco_enrich.store import JOB_FUNCTION, QUEUE_NAME, SessionStore, count_statuses

RESOURCES = [
    Resource(identifier="10.1000/A", doi="10.1000/a"),
    Resource(identifier="https://example.org/x", status=ResourceStatus.SKIPPED),
    Resource(identifier="nonsense", status=ResourceStatus.INVALID, error="not a DOI"),
]


async def test_create_then_load_keeps_order_metadata_and_counts(store: SessionStore) -> None:
    status = await store.create("session-1", RESOURCES, metadata={"title": "T"})
    session = await store.load("session-1")
    assert [r.identifier for r in session.resources] == [r.identifier for r in RESOURCES]
    assert session.metadata == {"title": "T"}
    assert (status.total, status.done, status.skipped, status.invalid) == (3, 2, 1, 1)
    assert session.processing_status.status is JobState.IDLE


async def test_unknown_session_raises_not_found(store: SessionStore) -> None:
    with pytest.raises(SessionNotFoundError, match="POST /api/sessions"):
        await store.load("nope-nope")


async def test_checkpoint_writes_only_changed_resources_and_an_event(store: SessionStore) -> None:
    await store.create("session-1", RESOURCES, metadata={})
    work = Work(doi="10.1000/a", registry="crossref", title="A title")
    enriched = RESOURCES[0].with_outcome(Outcome.enriched(work))
    resources = [enriched, *RESOURCES[1:]]
    status = ProcessingStatus.from_counts(count_statuses(resources), status=JobState.RUNNING)
    event_id = await store.checkpoint("session-1", {0: enriched}, status)

    loaded = await store.resources("session-1")
    assert loaded[0].title == "A title"
    assert loaded[0].status is ResourceStatus.ENRICHED
    latest = await store.latest_event("session-1")
    assert latest is not None
    assert latest.id == event_id
    assert latest.resources == {0: enriched}
    assert latest.status.percent == 100.0


async def test_events_after_returns_only_newer_events(store: SessionStore) -> None:
    await store.create("session-1", RESOURCES, metadata={})
    first = await store.latest_event("session-1")
    assert first is not None
    status = await store.status("session-1")
    await store.set_status("session-1", status.model_copy(update={"status": JobState.QUEUED}))
    events = await store.events_after("session-1", first.id, block_ms=None)
    assert [e.status.status for e in events] == [JobState.QUEUED]


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


async def test_lease_is_exclusive_and_only_its_holder_releases_it(store: SessionStore) -> None:
    assert await store.acquire_lease("s", "worker-a", 5)
    assert not await store.acquire_lease("s", "worker-b", 5)
    assert not await store.renew_lease("s", "worker-b", 5)
    await store.release_lease("s", "worker-b")
    assert await store.lease_holder("s") == "worker-a"
    await store.release_lease("s", "worker-a")
    assert await store.lease_holder("s") is None


async def test_delete_removes_every_key(store: SessionStore) -> None:
    await store.create("session-1", RESOURCES, metadata={})
    assert await store.delete("session-1")
    assert not await store.exists("session-1")
    assert await store.redis.keys("cco:session:session-1*") == []
    assert not await store.delete("session-1")


async def test_keys_expire_after_the_session_ttl(fake_redis) -> None:  # type: ignore[no-untyped-def]
    store = SessionStore(fake_redis, session_ttl_s=120)
    await store.create("session-1", RESOURCES, metadata={})
    for key in await fake_redis.keys("cco:session:session-1*"):
        assert 0 < await fake_redis.ttl(key) <= 120


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

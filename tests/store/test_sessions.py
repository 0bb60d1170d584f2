"""SessionStore against fakeredis: creating, reading, checkpointing and deleting sessions."""

from __future__ import annotations

import pytest
from arq.connections import ArqRedis

from cco_enrich.errors import SessionNotFoundError
from cco_enrich.models import (
    JobState,
    Outcome,
    ProcessingStatus,
    Resource,
    ResourceStatus,
    StatusCounts,
    Work,
)
from cco_enrich.store import SessionStore

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
    status = ProcessingStatus.from_counts(StatusCounts.of(resources), JobState.RUNNING)
    event_id = await store.checkpoint("session-1", {0: enriched}, status)

    loaded = await store.resources("session-1")
    assert loaded[0].title == "A title"
    assert loaded[0].status is ResourceStatus.ENRICHED
    latest = await store.latest_event("session-1")
    assert latest is not None
    assert latest.id == event_id
    assert latest.resources == {0: enriched}
    assert latest.status.percent == 100.0


async def test_delete_removes_every_key(store: SessionStore) -> None:
    await store.create("session-1", RESOURCES, metadata={})
    assert await store.delete("session-1")
    assert not await store.exists("session-1")
    assert await store.redis.keys("cco:session:session-1*") == []
    assert not await store.delete("session-1")


async def test_keys_expire_after_the_session_ttl(fake_redis: ArqRedis) -> None:
    store = SessionStore(fake_redis, session_ttl_s=120)
    await store.create("session-1", RESOURCES, metadata={})
    for key in await fake_redis.keys("cco:session:session-1*"):
        assert 0 < await fake_redis.ttl(key) <= 120

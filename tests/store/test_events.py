"""The progress stream: every status change is an event, read back in order from an id."""

from __future__ import annotations

from cco_enrich.models import JobState, Resource
from cco_enrich.store import SessionStore

RESOURCES = [Resource(identifier="10.1000/A", doi="10.1000/a")]


async def test_events_after_returns_only_newer_events(store: SessionStore) -> None:
    await store.create("session-1", RESOURCES, metadata={})
    first = await store.latest_event("session-1")
    assert first is not None
    status = await store.status("session-1")
    await store.set_status("session-1", status.model_copy(update={"status": JobState.QUEUED}))
    events = await store.events_after("session-1", first.id, block_ms=None)
    assert [e.status.status for e in events] == [JobState.QUEUED]


async def test_the_first_event_carries_the_status_and_no_resources(store: SessionStore) -> None:
    await store.create("session-1", RESOURCES, metadata={})
    first = await store.latest_event("session-1")
    assert first is not None
    assert first.resources == {}
    assert (first.status.status, first.status.total) == (JobState.IDLE, 1)


async def test_an_unknown_session_has_no_events(store: SessionStore) -> None:
    assert await store.latest_event("nope") is None
    assert await store.events_after("nope", "0-0", block_ms=None) == []

"""EventHub: one Redis reader per session, however many clients follow it."""

from __future__ import annotations

import asyncio
import contextlib

from cco_enrich.api.hub import EventHub, stream_id_key
from cco_enrich.models import JobState, ProcessingStatus, Resource
from cco_enrich.store import SessionStore


async def test_every_subscriber_gets_each_event_from_one_shared_read(store: SessionStore) -> None:
    await store.create("s-1", [Resource(identifier="10.1/a", doi="10.1/a")], metadata={})
    hub = EventHub(store)
    async with contextlib.AsyncExitStack() as stack:
        queues = [await stack.enter_async_context(hub.subscribe("s-1")) for _ in range(50)]
        assert len(hub._feeds) == 1
        for state in (JobState.QUEUED, JobState.RUNNING, JobState.COMPLETED):
            await store.set_status("s-1", ProcessingStatus(status=state))
        for queue in queues:
            got = [(await asyncio.wait_for(queue.get(), 2)).status.status for _ in range(3)]
            assert got == [JobState.QUEUED, JobState.RUNNING, JobState.COMPLETED]
        assert hub.reads <= 4  # not 50 x 3
    assert hub._feeds == {}  # the last client gone, the reader stops
    await hub.close()


def test_stream_ids_compare_by_time_then_sequence() -> None:
    assert stream_id_key("1700000000000-2") < stream_id_key("1700000000000-10")
    assert stream_id_key("1700000000001-0") > stream_id_key("1700000000000-99")

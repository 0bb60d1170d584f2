"""EventHub: one Redis reader per followed session in this API process, shared by all its clients.

Without it, each SSE client would hold its own blocking XREAD (one Redis connection each); a
session followed from a hundred browser tabs would cost a hundred connections and reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from cco_enrich.store import STORE_UNAVAILABLE_ERRORS, ProgressEvent, SessionStore

log = logging.getLogger(__name__)

BLOCK_MS = 5_000
QUEUE_SIZE = 1_000


def stream_id_key(event_id: str) -> tuple[int, int]:
    """A Redis stream id as a comparable pair: '1700000000000-3' -> (1700000000000, 3)."""
    millis, _, seq = event_id.partition("-")
    return int(millis), int(seq or 0)


@dataclass
class _Feed:
    """The reader of one session's stream and the queues of the clients following it."""

    cursor: str
    subscribers: set[asyncio.Queue[ProgressEvent]] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


class EventHub:
    """Fans each session's progress events out to every client following it in this process."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self._feeds: dict[str, _Feed] = {}
        self.reads = 0  # XREAD calls made, for tests and the benchmark

    @contextlib.asynccontextmanager
    async def subscribe(self, session_id: str) -> AsyncIterator[asyncio.Queue[ProgressEvent]]:
        """A queue receiving every event appended after this call (and possibly a few before)."""
        feed = self._feeds.get(session_id)
        if feed is None:
            latest = await self.store.latest_event(session_id)
            feed = _Feed(cursor=latest.id if latest else "0-0")
            self._feeds[session_id] = feed
            feed.task = asyncio.create_task(self._read(session_id, feed), name=f"sse:{session_id}")
        queue: asyncio.Queue[ProgressEvent] = asyncio.Queue(QUEUE_SIZE)
        feed.subscribers.add(queue)
        try:
            yield queue
        finally:
            feed.subscribers.discard(queue)
            if not feed.subscribers and self._feeds.get(session_id) is feed:
                del self._feeds[session_id]
                if feed.task is not None:
                    feed.task.cancel()

    async def close(self) -> None:
        """Stop every reader (application shutdown)."""
        feeds, self._feeds = list(self._feeds.values()), {}
        for feed in feeds:
            if feed.task is not None:
                feed.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await feed.task

    async def _read(self, session_id: str, feed: _Feed) -> None:
        while feed.subscribers:
            try:
                self.reads += 1
                events = await self.store.events_after(session_id, feed.cursor, block_ms=BLOCK_MS)
            except STORE_UNAVAILABLE_ERRORS as exc:
                log.warning("session %s: event stream unreadable (%s); retrying", session_id, exc)
                await asyncio.sleep(1)
                continue
            for event in events:
                feed.cursor = event.id
                for queue in list(feed.subscribers):
                    if queue.full():  # a client that stopped reading: drop its oldest event
                        queue.get_nowait()
                    queue.put_nowait(event)

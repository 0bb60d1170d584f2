"""Event streams that end cleanly when the API shuts down, and the count of open ones.

On SIGTERM uvicorn stops accepting connections and waits for open ones to end; sse-starlette
notices and sets each stream's `shutdown` event. A stream then sends a last `reconnect` event,
whose `retry:` tells the browser's EventSource how soon to reconnect (to another API process,
or to this one restarted), and ends. The id of the last event sent stays the client's
Last-Event-ID, so the reconnect resumes exactly where this stream stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import anyio
import orjson

from cco_enrich import metrics

SHUTDOWN_GRACE_S = 2.0
"""How long sse-starlette lets a stream say goodbye before it cancels it."""
RECONNECT_RETRY_MS = 1000
RECONNECT_REASON = "the server is shutting down; reconnect to resume from the last event id"

Event = dict[str, Any]


def reconnect_event(last_id: str | None) -> Event:
    """The last event of a stream cut by a shutdown."""
    event: Event = {
        "event": "reconnect",
        "data": orjson.dumps({"reason": RECONNECT_REASON}).decode(),
        "retry": RECONNECT_RETRY_MS,
    }
    if last_id is not None:
        event["id"] = last_id  # the same id again: the client's Last-Event-ID does not move
    return event


async def until_shutdown(
    events: AsyncIterator[Event], shutdown: anyio.Event
) -> AsyncIterator[Event]:
    """`events` as they come, counted as an open stream; a `reconnect` event ends it at shutdown."""
    stop = asyncio.ensure_future(shutdown.wait())
    step: asyncio.Task[Event | None] | None = None
    last_id: str | None = None
    try:
        with metrics.SSE_CLIENTS.track_inprogress():
            while True:
                step = asyncio.ensure_future(_next(events))
                await asyncio.wait({step, stop}, return_when=asyncio.FIRST_COMPLETED)
                if not step.done():
                    yield reconnect_event(last_id)
                    return
                event, step = step.result(), None
                if event is None:
                    return
                last_id = event.get("id", last_id)
                yield event
    finally:
        stop.cancel()
        # Shielded: anyio cancels every await of a cancelled scope, and the follower must still
        # unsubscribe from the session's feed.
        with anyio.CancelScope(shield=True):
            if step is not None and not step.done():
                step.cancel()
                await asyncio.wait({step})
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()


async def _next(events: AsyncIterator[Event]) -> Event | None:
    try:
        return await anext(events)
    except StopAsyncIteration:
        return None

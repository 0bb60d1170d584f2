"""GET /api/sessions/{id}/events: progress as Server-Sent Events, from the session's Redis stream.

Any API process can serve any client: the stream lives in Redis, not in this process. Each event
carries its stream id as `id:`, so a reconnecting EventSource resumes with `Last-Event-ID`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import anyio
from sse_starlette import EventSourceResponse
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from cco_enrich.api.drain import SHUTDOWN_GRACE_S, until_shutdown
from cco_enrich.api.hub import EventHub, stream_id_key
from cco_enrich.api.sessions import _session_id, _state
from cco_enrich.models import ProcessingStatus
from cco_enrich.store import ProgressEvent, SessionStore

WAIT_S = 5.0
PING_S = 15
EVENT_ID = re.compile(r"^[0-9]{1,20}(?:-[0-9]{1,20})?$")
_MAX_ID_PART = 2**64 - 1  # Redis stream ids are two unsigned 64-bit numbers


def _status_event(event_id: str, status: ProcessingStatus) -> dict[str, Any]:
    return {"id": event_id, "event": "status", "data": status.model_dump_json()}


def _sse(event: ProgressEvent) -> list[dict[str, Any]]:
    """A stream entry as SSE events: the changed resources (if any), then the status.

    Both go out as the JSON Redis holds: nothing is parsed or re-encoded per follower.
    """
    out: list[dict[str, Any]] = []
    if event.resources_json is not None:
        out.append({"id": event.id, "event": "resources", "data": event.resources_json})
    out.append({"id": event.id, "event": "status", "data": event.status_json})
    return out


async def _catch_up(
    store: SessionStore, session_id: str, last_id: str | None
) -> tuple[list[dict[str, Any]], str, bool]:
    """What a client must be sent before live events: (events, the last id sent, is it over)."""
    if last_id is None:
        # A new follower: the current state first, then everything after it.
        latest = await store.latest_event(session_id)
        status = await store.status(session_id)
        last_id = latest.id if latest else "0-0"
        return [_status_event(last_id, status)], last_id, status.status.is_terminal
    missed = await store.events_after(session_id, last_id, block_ms=None, count=10_000)
    out: list[dict[str, Any]] = []
    for event in missed:
        last_id = event.id
        out.extend(_sse(event))
        if event.status.status.is_terminal:
            return out, last_id, True
    if not missed:  # a reconnect after the end: say how it ended
        status = await store.status(session_id)
        if status.status.is_terminal:
            latest = await store.latest_event(session_id)
            return [_status_event(latest.id if latest else last_id, status)], last_id, True
    return out, last_id, False


async def _follow(
    request: Request, hub: EventHub, session_id: str, last_id: str | None
) -> AsyncIterator[dict[str, Any]]:
    # Subscribe first, then catch up: an event appended in between arrives twice, never zero
    # times, and the id check below drops the copy.
    async with hub.subscribe(session_id) as queue:
        backlog, last_id, is_over = await _catch_up(hub.store, session_id, last_id)
        for sse in backlog:
            yield sse
        if is_over:
            return
        seen = stream_id_key(last_id)
        while not await request.is_disconnected():
            try:
                event = await asyncio.wait_for(queue.get(), timeout=WAIT_S)
            except TimeoutError:
                continue
            if stream_id_key(event.id) <= seen:
                continue
            seen = stream_id_key(event.id)
            for sse in _sse(event):
                yield sse
            if event.status.status.is_terminal:
                return


def _last_event_id(request: Request) -> str | None:
    """The event id to resume after (header or `?last_event_id=`), checked before Redis sees it."""
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    if not raw:
        return None
    if not EVENT_ID.match(raw) or any(int(part) > _MAX_ID_PART for part in raw.split("-")):
        msg = f"Last-Event-ID {raw[:40]!r} is not an event id; send back an `id:` we sent."
        raise HTTPException(400, msg)
    return raw


async def session_events(request: Request) -> Response:
    """Stream processing_status events until the session reaches a terminal state."""
    state = _state(request)
    session_id = _session_id(request)
    await state.store.status(session_id)  # a 404 now, before the stream starts
    shutdown = anyio.Event()
    return EventSourceResponse(
        until_shutdown(_follow(request, state.hub, session_id, _last_event_id(request)), shutdown),
        ping=PING_S,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        shutdown_event=shutdown,
        shutdown_grace_period=SHUTDOWN_GRACE_S,
    )

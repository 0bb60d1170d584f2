"""SessionStore: a session's hash, resources and status in Redis; every checkpoint writes here.

Layout (all keys of a session expire together, `CCO_SESSION_TTL_S` after their last use):

    cco:session:{id}            hash   id, metadata, created_at, callback_url, job_id, attempt,
                                       refresh
    cco:session:{id}:resources  hash   position -> Resource JSON (one field each: a checkpoint
                                       writes only what changed)
    cco:session:{id}:status     string ProcessingStatus JSON
    cco:session:{id}:events     stream one entry per checkpoint (events.py)
    cco:session:{id}:cancel     string set when a cancel was asked for (jobs.py)
    cco:sessions                zset   session id -> last update (admin list, expiry sweep)
    cco:active                  set    sessions queued or running (what the sweeper watches)

The queue, leases and worker heartbeats are methods of the same class, kept in jobs.py; reading
the event stream is in events.py.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from arq.connections import ArqRedis
from redis.exceptions import WatchError

from cco_enrich.errors import LeaseLostError, SessionNotFoundError
from cco_enrich.models import (
    ProcessingStatus,
    Resource,
    ResourceStatus,
    Session,
    StatusCounts,
    reset_resources,
    utc_now,
)
from cco_enrich.store.connection import as_text
from cco_enrich.store.events import EVENTS_MAXLEN, ProgressStream, event_fields
from cco_enrich.store.jobs import JobQueue, WorkerRegistry
from cco_enrich.store.keys import (
    ACTIVE_SESSIONS_KEY,
    LEASE_KEY,
    RESOURCES_KEY,
    SESSION_KEY,
    SESSIONS_INDEX_KEY,
    STATUS_KEY,
    session_keys,
)
from cco_enrich.store.webhooks import WebhookLog

_WRITE_CHUNK = 1000
# A pending Resource's JSON holds this; quotes inside strings are escaped, so no title fakes it.
_PENDING_JSON = b'"status":"pending"'


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """The session hash: what a job needs besides the resources."""

    id: str
    metadata: dict[str, Any]
    created_at: datetime
    callback_url: str | None
    job_id: str | None
    attempt: int
    refresh: bool = False  # the current run looks everything up again, past the cache


class SessionStore(JobQueue, WorkerRegistry, ProgressStream, WebhookLog):
    """Reads and writes sessions in Redis; with jobs.py and events.py, all a session's keys."""

    def __init__(self, redis: ArqRedis, *, session_ttl_s: int, small_session_max: int = 50) -> None:
        self.redis = redis
        self.session_ttl_s = session_ttl_s
        self.small_session_max = small_session_max

    async def ping(self) -> None:
        """Raise one of STORE_UNAVAILABLE_ERRORS unless Redis answers."""
        await self.redis.ping()

    async def create(
        self,
        session_id: str,
        resources: list[Resource],
        *,
        metadata: Mapping[str, Any],
        callback_url: str | None = None,
    ) -> ProcessingStatus:
        """Store a new hollow session; returns its first status (idle)."""
        meta_key, resources_key, status_key, events_key, _ = session_keys(session_id)
        status = ProcessingStatus.created(resources)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                meta_key,
                mapping={
                    "id": session_id,
                    "metadata": orjson.dumps(dict(metadata)),
                    "created_at": utc_now().isoformat(),
                    "callback_url": callback_url or "",
                    "job_id": "",
                    "attempt": 0,
                },
            )
            for start in range(0, len(resources), _WRITE_CHUNK):
                chunk = resources[start : start + _WRITE_CHUNK]
                pipe.hset(
                    resources_key,
                    mapping={
                        str(start + offset): r.model_dump_json() for offset, r in enumerate(chunk)
                    },
                )
            status_json = status.model_dump_json()
            pipe.set(status_key, status_json)
            pipe.xadd(
                events_key,
                event_fields(status_json, {}),  # type: ignore[arg-type]
                maxlen=EVENTS_MAXLEN,
            )
            pipe.zadd(SESSIONS_INDEX_KEY, {session_id: time.time()})
            self._expire(pipe, session_id)
            await pipe.execute()
        return status

    async def exists(self, session_id: str) -> bool:
        return bool(await self.redis.exists(SESSION_KEY.format(session_id=session_id)))

    async def record(self, session_id: str) -> SessionRecord:
        """The session hash.

        Raises:
            SessionNotFoundError: no such session (never created, deleted or expired).
        """
        raw = await self.redis.hgetall(SESSION_KEY.format(session_id=session_id))
        if not raw:
            raise SessionNotFoundError(session_id)
        fields = {as_text(k): as_text(v) for k, v in raw.items()}
        return SessionRecord(
            id=fields["id"],
            metadata=orjson.loads(fields.get("metadata") or "{}"),
            created_at=datetime.fromisoformat(fields["created_at"]),
            callback_url=fields.get("callback_url") or None,
            job_id=fields.get("job_id") or None,
            attempt=int(fields.get("attempt") or 0),
            refresh=fields.get("refresh") == "1",
        )

    async def resources(self, session_id: str) -> list[Resource]:
        """Every resource of the session, in input order."""
        raw = await self.redis.hgetall(RESOURCES_KEY.format(session_id=session_id))
        ordered = sorted(raw.items(), key=lambda item: int(item[0]))
        return [Resource.model_validate_json(value) for _, value in ordered]

    async def status(self, session_id: str, *, touch: bool = False) -> ProcessingStatus:
        """The session's processing_status; `touch` restarts its time to live in the same trip.

        Raises:
            SessionNotFoundError: no such session.
        """
        if touch:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.get(STATUS_KEY.format(session_id=session_id))
                self._expire(pipe, session_id)
                raw, *_ = await pipe.execute()
        else:
            raw = await self.redis.get(STATUS_KEY.format(session_id=session_id))
        if raw is None:
            raise SessionNotFoundError(session_id)
        return ProcessingStatus.model_validate_json(raw)

    async def load(self, session_id: str) -> Session:
        """The whole session: metadata, resources and status."""
        record = await self.record(session_id)
        return Session(
            id=record.id,
            metadata=record.metadata,
            resources=await self.resources(session_id),
            processing_status=await self.status(session_id),
            created_at=record.created_at,
        )

    async def touch(self, session_id: str) -> None:
        """Restart the session's time to live (any use counts)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            self._expire(pipe, session_id)
            await pipe.execute()

    async def delete(self, session_id: str) -> bool:
        """Remove a session and everything under it; True when it existed."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(*session_keys(session_id), LEASE_KEY.format(session_id=session_id))
            pipe.zrem(SESSIONS_INDEX_KEY, session_id)
            pipe.srem(ACTIVE_SESSIONS_KEY, session_id)
            deleted, *_ = await pipe.execute()
        return bool(deleted)

    async def recent_sessions(self, limit: int = 50) -> list[tuple[str, ProcessingStatus]]:
        """The most recently updated sessions with their status, newest first."""
        ids = [as_text(i) for i in await self.redis.zrevrange(SESSIONS_INDEX_KEY, 0, limit - 1)]
        if not ids:
            return []
        raws = await self.redis.mget([STATUS_KEY.format(session_id=i) for i in ids])
        found = [
            (i, ProcessingStatus.model_validate_json(r))
            for i, r in zip(ids, raws, strict=True)
            if r
        ]
        gone = [i for i, r in zip(ids, raws, strict=True) if not r]
        if gone:  # expired on their own; keep the index as small as the data
            await self.redis.zrem(SESSIONS_INDEX_KEY, *gone)
        return found

    async def set_callback_url(self, session_id: str, url: str) -> None:
        await self.redis.hset(SESSION_KEY.format(session_id=session_id), "callback_url", url)

    # -- checkpoints ------------------------------------------------------------------------

    async def checkpoint(
        self,
        session_id: str,
        changed: Mapping[int, Resource],
        status: ProcessingStatus,
        *,
        holder: str | None = None,
    ) -> str:
        """Write the changed resources and the new status in one transaction, plus an event.

        With `holder`, only while that worker holds the session's lease: a run that stalled
        while another took over never writes over the newer run's work.

        Raises:
            LeaseLostError: `holder` does not hold the lease.
        """
        _, resources_key, status_key, events_key, _ = session_keys(session_id)
        # Each resource is serialised once, for its hash field and for the event alike.
        encoded = {str(i): r.model_dump_json() for i, r in changed.items()}
        status_json = status.model_dump_json()
        async with self.redis.pipeline(transaction=True) as pipe:
            if holder is not None:
                await _fence(pipe, session_id, holder)
            if encoded:
                pipe.hset(resources_key, mapping=encoded)
            pipe.set(status_key, status_json)
            pipe.xadd(
                events_key,
                event_fields(status_json, encoded),  # type: ignore[arg-type]
                maxlen=EVENTS_MAXLEN,
            )
            pipe.zadd(SESSIONS_INDEX_KEY, {session_id: time.time()})
            if status.status.is_active:
                pipe.sadd(ACTIVE_SESSIONS_KEY, session_id)
            else:
                pipe.srem(ACTIVE_SESSIONS_KEY, session_id)
            self._expire(pipe, session_id)
            try:
                results = await pipe.execute()
            except WatchError:  # the lease changed hands between the check and the write
                raise LeaseLostError(session_id) from None
        return as_text(results[2 if changed else 1])  # the XADD answer: the new event id

    async def set_status(
        self, session_id: str, status: ProcessingStatus, *, holder: str | None = None
    ) -> str:
        """Record a new status (queued, cancelled, ...) without resource changes."""
        return await self.checkpoint(session_id, {}, status, holder=holder)

    async def count_pending(self, session_id: str) -> int:
        """How many resources Redis holds as pending, counted without parsing them."""
        values = await self.redis.hvals(RESOURCES_KEY.format(session_id=session_id))
        return sum(1 for value in values if _PENDING_JSON in value)

    async def reset_resources(self, session_id: str, statuses: Set[ResourceStatus]) -> int:
        """Put the DOI resources in `statuses` back to pending, in one checkpoint; how many."""
        resources = await self.resources(session_id)
        changed = reset_resources(resources, statuses)
        if changed:
            counts = StatusCounts.of(changed.get(i, r) for i, r in enumerate(resources))
            current = await self.status(session_id)
            await self.checkpoint(session_id, changed, current.recounted(counts))
        return len(changed)

    def _expire(self, pipe: Any, session_id: str) -> None:
        for key in session_keys(session_id):
            pipe.expire(key, self.session_ttl_s)


async def _fence(pipe: Any, session_id: str, holder: str) -> None:
    """WATCH the lease and check its holder; the transaction then runs only if it stays."""
    lease_key = LEASE_KEY.format(session_id=session_id)
    await pipe.watch(lease_key)
    current = await pipe.get(lease_key)
    if current is None or as_text(current) != holder:
        raise LeaseLostError(session_id)
    pipe.multi()

"""SessionStore: every Redis key, queue and job name; sessions, checkpoints, leases, progress.

Layout (all keys of a session expire together, `CCO_SESSION_TTL_S` after their last use):

    cco:session:{id}            hash   id, metadata, created_at, callback_url, job_id, attempt
    cco:session:{id}:resources  hash   position -> Resource JSON (one field each: a checkpoint
                                       writes only what changed)
    cco:session:{id}:status     string ProcessingStatus JSON
    cco:session:{id}:events     stream one entry per checkpoint: status JSON + the changed resources
    cco:session:{id}:cancel     string set when a cancel was asked for
    cco:lease:{id}              string worker id holding the session; expires unless renewed
    cco:sessions                zset   session id -> last update (admin list, expiry sweep)
    cco:active                  set    sessions queued or running (what the sweeper watches)
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from arq.connections import ArqRedis, RedisSettings
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cco_enrich.errors import SessionNotFoundError
from cco_enrich.models import (
    JobState,
    ProcessingStatus,
    Resource,
    ResourceStatus,
    Session,
    WebhookDelivery,
    utc_now,
)

log = logging.getLogger(__name__)

SESSION_KEY = "cco:session:{session_id}"
RESOURCES_KEY = "cco:session:{session_id}:resources"
STATUS_KEY = "cco:session:{session_id}:status"
EVENTS_KEY = "cco:session:{session_id}:events"
CANCEL_KEY = "cco:session:{session_id}:cancel"
LEASE_KEY = "cco:lease:{session_id}"
SESSIONS_INDEX_KEY = "cco:sessions"
ACTIVE_SESSIONS_KEY = "cco:active"
WORKERS_KEY = "cco:workers"
WORKER_KEY = "cco:worker:{worker_id}"

QUEUE_NAME = "arq:queue"
JOB_FUNCTION = "enrich_cco_metadata"
JOB_ID = "enrich:{session_id}:{attempt}"
EVENTS_MAXLEN = 1000
_WRITE_CHUNK = 1000
# Small sessions are enqueued with a score this far in the past, so they sort ahead of the big
# ones already waiting in arq's queue (a sorted set by run-at time) instead of behind them.
PRIORITY_HEAD_START = timedelta(hours=1)

_RENEW_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_HSET_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
return 0
"""
WEBHOOK_DELIVERIES_KEPT = 20
_RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def redis_settings(url: str) -> RedisSettings:
    """arq's connection settings for `url`, retrying through a Redis restart instead of failing."""
    settings = RedisSettings.from_dsn(url)
    settings.conn_retries = 30
    settings.retry_on_timeout = True
    # OSError too: a refused connect (Redis restarting) is an OSError that redis-py would
    # otherwise raise at once, and arq's worker exits on it. About 75 s of retries.
    settings.retry_on_error = [RedisConnectionError, RedisTimeoutError, OSError]
    settings.retry = Retry(ExponentialBackoff(cap=2.0, base=0.1), retries=40)
    return settings


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


@dataclass(frozen=True)  # no slots: cached_property keeps its values in __dict__
class ProgressEvent:
    """One entry of a session's event stream; `id` is the SSE event id.

    The JSON stays as Redis holds it: the API forwards it to every follower as it is, and
    parses only what it reads (the status, to see the end).
    """

    id: str
    status_json: str
    resources_json: str | None = None

    @functools.cached_property
    def status(self) -> ProcessingStatus:
        return ProcessingStatus.model_validate_json(self.status_json)

    @functools.cached_property
    def resources(self) -> dict[int, Resource]:
        """The resources this checkpoint changed, by position."""
        if self.resources_json is None:
            return {}
        parsed = orjson.loads(self.resources_json)
        return {int(i): Resource.model_validate(r) for i, r in parsed.items()}


def _keys(session_id: str) -> tuple[str, str, str, str, str]:
    return (
        SESSION_KEY.format(session_id=session_id),
        RESOURCES_KEY.format(session_id=session_id),
        STATUS_KEY.format(session_id=session_id),
        EVENTS_KEY.format(session_id=session_id),
        CANCEL_KEY.format(session_id=session_id),
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def count_statuses(resources: Iterable[Resource]) -> dict[ResourceStatus, int]:
    """How many resources are in each status."""
    counts = dict.fromkeys(ResourceStatus, 0)
    for resource in resources:
        counts[resource.status] += 1
    return counts


class SessionStore:
    """Reads and writes sessions in Redis; the only module that knows a key name."""

    def __init__(self, redis: ArqRedis, *, session_ttl_s: int, small_session_max: int = 50) -> None:
        self.redis = redis
        self.session_ttl_s = session_ttl_s
        self.small_session_max = small_session_max

    # -- sessions ---------------------------------------------------------------------------

    async def create(
        self,
        session_id: str,
        resources: list[Resource],
        *,
        metadata: Mapping[str, Any],
        callback_url: str | None = None,
    ) -> ProcessingStatus:
        """Store a new hollow session; returns its first status (idle)."""
        meta_key, resources_key, status_key, _, _ = _keys(session_id)
        status = ProcessingStatus.from_counts(
            count_statuses(resources), status=JobState.IDLE, stage="created"
        )
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
                EVENTS_KEY.format(session_id=session_id),
                self._event_fields(status_json, {}),  # type: ignore[arg-type]
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
        fields = {_text(k): _text(v) for k, v in raw.items()}
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
            pipe.delete(*_keys(session_id), LEASE_KEY.format(session_id=session_id))
            pipe.zrem(SESSIONS_INDEX_KEY, session_id)
            pipe.srem(ACTIVE_SESSIONS_KEY, session_id)
            deleted, *_ = await pipe.execute()
        return bool(deleted)

    async def recent_sessions(self, limit: int = 50) -> list[tuple[str, ProcessingStatus]]:
        """The most recently updated sessions with their status, newest first."""
        ids = [_text(i) for i in await self.redis.zrevrange(SESSIONS_INDEX_KEY, 0, limit - 1)]
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

    # -- progress -----------------------------------------------------------------------------

    async def checkpoint(
        self, session_id: str, changed: Mapping[int, Resource], status: ProcessingStatus
    ) -> str:
        """Write the changed resources and the new status in one transaction, plus an event."""
        _, resources_key, status_key, events_key, _ = _keys(session_id)
        # Each resource is serialised once, for its hash field and for the event alike.
        encoded = {str(i): r.model_dump_json() for i, r in changed.items()}
        status_json = status.model_dump_json()
        async with self.redis.pipeline(transaction=True) as pipe:
            if encoded:
                pipe.hset(resources_key, mapping=encoded)
            pipe.set(status_key, status_json)
            pipe.xadd(
                events_key,
                self._event_fields(status_json, encoded),  # type: ignore[arg-type]
                maxlen=EVENTS_MAXLEN,
            )
            pipe.zadd(SESSIONS_INDEX_KEY, {session_id: time.time()})
            if status.status.is_active:
                pipe.sadd(ACTIVE_SESSIONS_KEY, session_id)
            else:
                pipe.srem(ACTIVE_SESSIONS_KEY, session_id)
            self._expire(pipe, session_id)
            results = await pipe.execute()
        return _text(results[2 if changed else 1])  # the XADD answer: the new event id

    async def set_status(self, session_id: str, status: ProcessingStatus) -> str:
        """Record a new status (queued, cancelled, ...) without resource changes."""
        return await self.checkpoint(session_id, {}, status)

    async def latest_event(self, session_id: str) -> ProgressEvent | None:
        entries = await self.redis.xrevrange(EVENTS_KEY.format(session_id=session_id), count=1)
        return self._parse_event(entries[0]) if entries else None

    async def events_after(
        self, session_id: str, last_id: str, *, block_ms: int | None, count: int = 100
    ) -> list[ProgressEvent]:
        """Events newer than `last_id`, waiting up to `block_ms` for the first (None: no wait)."""
        answer = await self.redis.xread(
            {EVENTS_KEY.format(session_id=session_id): last_id}, count=count, block=block_ms
        )
        return [self._parse_event(entry) for _, entries in answer or [] for entry in entries]

    @staticmethod
    def _event_fields(status_json: str, encoded: Mapping[str, str]) -> dict[str, str]:
        fields = {"status": status_json}
        if encoded:
            # A JSON object of position -> resource, joined from JSON already made.
            fields["resources"] = (
                "{" + ",".join(f'"{i}":{json}' for i, json in encoded.items()) + "}"
            )
        return fields

    @staticmethod
    def _parse_event(entry: tuple[Any, Mapping[Any, Any]]) -> ProgressEvent:
        event_id, raw = entry
        fields = {_text(k): _text(v) for k, v in raw.items()}
        return ProgressEvent(
            id=_text(event_id),
            status_json=fields["status"],
            resources_json=fields.get("resources"),
        )

    # -- jobs -------------------------------------------------------------------------------

    async def enqueue(
        self, session_id: str, *, message: str = "waiting for a worker", refresh: bool | None = None
    ) -> str:
        """Queue an enrichment under a fresh job id; returns the job id.

        `refresh=True` makes the run skip the cache (a forced re-enrichment).
        A fresh id per attempt means arq's de-duplication (which also blocks ids whose result is
        still kept) never stops a re-run, and a stale job re-run by arq after a crash can tell
        that it is no longer the current one.
        """
        meta_key = SESSION_KEY.format(session_id=session_id)
        attempt = await self.redis.hincrby(meta_key, "attempt", 1)
        job_id = JOB_ID.format(session_id=session_id, attempt=attempt)
        fields = {"job_id": job_id}
        if refresh is not None:  # None: a re-queue keeps what the run was asked to do
            fields["refresh"] = "1" if refresh else "0"
        await self.redis.hset(meta_key, mapping=fields)
        await self.redis.delete(CANCEL_KEY.format(session_id=session_id))
        current = await self.status(session_id)
        await self.set_status(
            session_id,
            current.model_copy(
                update={
                    "status": JobState.QUEUED,
                    "stage": "queued",
                    "message": message,
                    "updated_at": utc_now(),
                }
            ),
        )
        is_small = current.total - current.done <= self.small_session_max
        await self.redis.enqueue_job(
            JOB_FUNCTION,
            session_id,
            _job_id=job_id,
            _queue_name=QUEUE_NAME,
            _defer_until=datetime.now(UTC) - PRIORITY_HEAD_START if is_small else None,
        )
        log.info("session %s: queued as %s", session_id, job_id)
        return job_id

    async def forget_active(self, session_id: str) -> None:
        """Stop watching a session that no longer exists (expired or deleted)."""
        await self.redis.srem(ACTIVE_SESSIONS_KEY, session_id)

    async def active_sessions(self) -> list[str]:
        return sorted(_text(s) for s in await self.redis.smembers(ACTIVE_SESSIONS_KEY))

    async def is_job_known(self, job_id: str) -> bool:
        """Whether arq still holds the job (queued, deferred or running)."""
        return bool(await self.redis.exists(f"arq:job:{job_id}", f"arq:in-progress:{job_id}"))

    # -- leases and cancellation -------------------------------------------------------------

    async def acquire_lease(self, session_id: str, holder: str, ttl_s: float) -> bool:
        key = LEASE_KEY.format(session_id=session_id)
        return bool(await self.redis.set(key, holder, nx=True, px=int(ttl_s * 1000)))

    async def renew_lease(self, session_id: str, holder: str, ttl_s: float) -> bool:
        key = LEASE_KEY.format(session_id=session_id)
        return bool(await self.redis.eval(_RENEW_LEASE, 1, key, holder, str(int(ttl_s * 1000))))

    async def release_lease(self, session_id: str, holder: str) -> None:
        await self.redis.eval(_RELEASE_LEASE, 1, LEASE_KEY.format(session_id=session_id), holder)

    async def lease_holder(self, session_id: str) -> str | None:
        raw = await self.redis.get(LEASE_KEY.format(session_id=session_id))
        return _text(raw) if raw is not None else None

    async def set_callback_url(self, session_id: str, url: str) -> None:
        await self.redis.hset(SESSION_KEY.format(session_id=session_id), "callback_url", url)

    async def request_cancel(self, session_id: str) -> None:
        await self.redis.set(CANCEL_KEY.format(session_id=session_id), "1", ex=self.session_ttl_s)

    async def stop_reason(self, session_id: str) -> str | None:
        """Why a running enrichment should stop: "cancelled", "deleted", or None to go on."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.exists(CANCEL_KEY.format(session_id=session_id))
            pipe.exists(SESSION_KEY.format(session_id=session_id))
            cancelled, exists = await pipe.execute()
        if not exists:
            return "deleted"
        return "cancelled" if cancelled else None

    # -- workers ----------------------------------------------------------------------------

    async def register_worker(self, worker_id: str, info: Mapping[str, Any], ttl_s: float) -> None:
        """Record a live worker (heartbeat); it leaves /api/queue `ttl_s` after the last one."""
        key = WORKER_KEY.format(worker_id=worker_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(
                key, orjson.dumps({**info, "id": worker_id, "heartbeat": utc_now().isoformat()})
            )
            pipe.pexpire(key, int(ttl_s * 1000))
            pipe.sadd(WORKERS_KEY, worker_id)
            await pipe.execute()

    async def unregister_worker(self, worker_id: str) -> None:
        await self.redis.delete(WORKER_KEY.format(worker_id=worker_id))
        await self.redis.srem(WORKERS_KEY, worker_id)

    async def live_workers(self) -> list[dict[str, Any]]:
        ids = sorted(_text(w) for w in await self.redis.smembers(WORKERS_KEY))
        if not ids:
            return []
        raws = await self.redis.mget([WORKER_KEY.format(worker_id=w) for w in ids])
        gone = [w for w, raw in zip(ids, raws, strict=True) if raw is None]
        if gone:
            await self.redis.srem(WORKERS_KEY, *gone)
        return [orjson.loads(raw) for raw in raws if raw is not None]

    async def queue_counts(self) -> dict[str, int]:
        """How many live sessions are in each job state."""
        counts = dict.fromkeys((s.value for s in JobState), 0)
        for _, status in await self.recent_sessions(limit=100_000):
            counts[status.status.value] += 1
        return counts

    # -- webhooks ---------------------------------------------------------------------------

    async def webhook_deliveries(self, session_id: str) -> list[WebhookDelivery]:
        """The session's last WEBHOOK_DELIVERIES_KEPT webhook calls, oldest first."""
        raw = await self.redis.hget(SESSION_KEY.format(session_id=session_id), "webhook_deliveries")
        return [WebhookDelivery.model_validate(d) for d in orjson.loads(raw)] if raw else []

    async def record_webhook_delivery(self, session_id: str, delivery: WebhookDelivery) -> None:
        """Add one webhook call to the session's list (a deleted session stays deleted)."""
        # Runs of one session never overlap, and each ends in one call: read-then-write is safe.
        kept = [*await self.webhook_deliveries(session_id), delivery][-WEBHOOK_DELIVERIES_KEPT:]
        value = orjson.dumps([d.model_dump(mode="json") for d in kept]).decode()
        key = SESSION_KEY.format(session_id=session_id)
        await self.redis.eval(_HSET_IF_EXISTS, 1, key, "webhook_deliveries", value)

    # -- internals ---------------------------------------------------------------------------

    def _expire(self, pipe: Any, session_id: str) -> None:
        for key in _keys(session_id):
            pipe.expire(key, self.session_ttl_s)

"""The job side of the store: arq's queue, leases, cancel requests, the sweeper's view, workers.

Part of SessionStore (sessions.py), which supplies the session reads and writes used here.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from arq.connections import ArqRedis

from cco_enrich.models import JobState, ProcessingStatus, StopReason, utc_now
from cco_enrich.store.connection import as_text
from cco_enrich.store.keys import (
    ACTIVE_SESSIONS_KEY,
    ARQ_IN_PROGRESS_KEY,
    ARQ_JOB_KEY,
    CANCEL_KEY,
    JOB_FUNCTION,
    JOB_ID,
    LEASE_KEY,
    QUEUE_NAME,
    SESSION_KEY,
    STATUS_KEY,
    SWEEP_KEY,
    WORKER_KEY,
    WORKERS_KEY,
)

log = logging.getLogger(__name__)

# Small sessions are enqueued with a score this far in the past, so they sort ahead of the big
# ones already waiting in arq's queue (a sorted set by run-at time) instead of behind them.
PRIORITY_HEAD_START = timedelta(hours=1)

LEASE_RECLAIMED = 2  # renew_lease: the lease had expired, nobody took it, its holder has it again
# Taking an expired lease back needs the session's job to be the holder's still: once the sweeper
# has re-queued the session (a new job id), the old run must stand down even if nobody holds it.
_RENEW_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if not holder and redis.call('HGET', KEYS[2], 'job_id') == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
"""
_RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class _SessionAccess(ABC):
    """What the job side needs from SessionStore."""

    redis: ArqRedis
    session_ttl_s: int
    small_session_max: int

    @abstractmethod
    async def status(self, session_id: str, *, touch: bool = False) -> ProcessingStatus:
        """The session's processing_status (sessions.py)."""

    @abstractmethod
    async def set_status(
        self, session_id: str, status: ProcessingStatus, *, holder: str | None = None
    ) -> str:
        """Record a new status (sessions.py)."""

    @abstractmethod
    async def recent_sessions(self, limit: int = 50) -> list[tuple[str, ProcessingStatus]]:
        """The most recently updated sessions with their status (sessions.py)."""


class JobQueue(_SessionAccess):
    """Queueing a session's enrichment, its lease while it runs, and asking it to stop."""

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
        await self.set_status(session_id, current.queued(message))
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
        return sorted(as_text(s) for s in await self.redis.smembers(ACTIVE_SESSIONS_KEY))

    async def is_job_known(self, job_id: str) -> bool:
        """Whether arq still holds the job (queued, deferred or running)."""
        return bool(
            await self.redis.exists(
                ARQ_JOB_KEY.format(job_id=job_id), ARQ_IN_PROGRESS_KEY.format(job_id=job_id)
            )
        )

    # -- leases and cancellation -------------------------------------------------------------

    async def acquire_lease(self, session_id: str, holder: str, ttl_s: float) -> bool:
        key = LEASE_KEY.format(session_id=session_id)
        return bool(await self.redis.set(key, holder, nx=True, px=int(ttl_s * 1000)))

    async def renew_lease(
        self, session_id: str, holder: str, ttl_s: float, *, job_id: str = ""
    ) -> int:
        """1: renewed; LEASE_RECLAIMED: it had expired, nobody took it, and `job_id` is still the
        session's; 0: another worker has it, or the session was re-queued."""
        keys = (LEASE_KEY.format(session_id=session_id), SESSION_KEY.format(session_id=session_id))
        ttl_ms = str(int(ttl_s * 1000))
        return int(await self.redis.eval(_RENEW_LEASE, 2, *keys, holder, ttl_ms, job_id))

    async def release_lease(self, session_id: str, holder: str) -> None:
        await self.redis.eval(_RELEASE_LEASE, 1, LEASE_KEY.format(session_id=session_id), holder)

    async def lease_holder(self, session_id: str) -> str | None:
        raw = await self.redis.get(LEASE_KEY.format(session_id=session_id))
        return as_text(raw) if raw is not None else None

    # -- the sweeper's view ------------------------------------------------------------------

    async def unleased(self, session_ids: Sequence[str]) -> list[str]:
        """Those of the sessions that no worker holds, in one round trip."""
        if not session_ids:
            return []
        raws = await self.redis.mget([LEASE_KEY.format(session_id=s) for s in session_ids])
        return [s for s, raw in zip(session_ids, raws, strict=True) if raw is None]

    async def statuses(self, session_ids: Sequence[str]) -> dict[str, ProcessingStatus]:
        """The statuses of those of the sessions that exist, in one round trip."""
        if not session_ids:
            return {}
        raws = await self.redis.mget([STATUS_KEY.format(session_id=s) for s in session_ids])
        return {
            s: ProcessingStatus.model_validate_json(raw)
            for s, raw in zip(session_ids, raws, strict=True)
            if raw is not None
        }

    async def claim_sweep(self, holder: str, ttl_s: float) -> bool:
        """Whether `holder` sweeps this round: one worker per `ttl_s`, whoever asks first."""
        return bool(await self.redis.set(SWEEP_KEY, holder, nx=True, px=int(ttl_s * 1000)))

    async def request_cancel(self, session_id: str) -> None:
        await self.redis.set(CANCEL_KEY.format(session_id=session_id), "1", ex=self.session_ttl_s)

    async def stop_reason(self, session_id: str) -> StopReason | None:
        """Why a running enrichment should stop: cancelled, deleted, or None to go on."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.exists(CANCEL_KEY.format(session_id=session_id))
            pipe.exists(SESSION_KEY.format(session_id=session_id))
            cancelled, exists = await pipe.execute()
        if not exists:
            return StopReason.DELETED
        return StopReason.CANCELLED if cancelled else None


class WorkerRegistry(_SessionAccess):
    """Live workers (heartbeats with a time to live) and the queue overview for /api/queue."""

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
        ids = sorted(as_text(w) for w in await self.redis.smembers(WORKERS_KEY))
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

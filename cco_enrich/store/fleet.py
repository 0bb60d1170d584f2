"""The fleet as Redis sees it, for /readyz and /metrics: sessions by state, the queue, workers.

Read-only and computed at scrape time, so every API process answers the same numbers whatever
the number of processes. Statuses are read in chunks and only their `status` and `updated_at`
fields are decoded: 10 000 sessions take about 70 ms, 100 000 about 0.5 s (one core).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from redis.asyncio import Redis

from cco_enrich.models import JobState
from cco_enrich.store.connection import as_text
from cco_enrich.store.keys import SESSIONS_INDEX_KEY, STATUS_KEY
from cco_enrich.store.sessions import SessionStore

WORKER_HEARTBEAT_TTL_S = 15
"""A worker's heartbeat key lives this long after each heartbeat (worker.py beats every 5 s)."""
CHUNK = 1000


@dataclass(frozen=True, slots=True)
class FleetView:
    """What every API process reports alike: read from Redis at one moment."""

    sessions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(JobState, 0))
    """Live sessions by processing status (every state, zeros included)."""
    oldest_queued_age_s: float = 0.0
    """How long the longest-waiting queued session has waited (0 when none waits)."""
    workers: list[dict[str, Any]] = field(default_factory=list)
    """The heartbeats of live workers."""

    @property
    def queue_depth(self) -> int:
        return self.sessions[JobState.QUEUED]

    def pool_limits(self) -> dict[str, dict[str, float]]:
        """Each pool's limits as the workers report them: the highest where they differ."""
        limits: dict[str, dict[str, float]] = {}
        for worker in self.workers:
            reported = worker.get("limits")
            if not isinstance(reported, Mapping):
                continue
            for pool, limit in reported.items():
                mine = limits.setdefault(pool, {"per_second": 0.0, "in_flight": 0.0})
                for name in ("per_second", "in_flight"):
                    value = limit.get(name) if isinstance(limit, Mapping) else None
                    if isinstance(value, int | float):
                        mine[name] = max(mine[name], float(value))
        return limits


async def fleet_view(store: SessionStore, *, now: datetime | None = None) -> FleetView:
    """Sessions by state, the longest wait in the queue and the live workers, now."""
    now = now or datetime.now(UTC)
    sessions: dict[str, int] = dict.fromkeys(JobState, 0)
    oldest = 0.0
    total = await store.redis.zcard(SESSIONS_INDEX_KEY)
    for start in range(0, total, CHUNK):
        ids = await store.redis.zrange(SESSIONS_INDEX_KEY, start, start + CHUNK - 1)
        for state, updated_at in await session_states(store.redis, ids):
            sessions[state] += 1
            if state == JobState.QUEUED and updated_at is not None:
                oldest = max(oldest, (now - updated_at).total_seconds())
    workers = await store.live_workers()
    return FleetView(sessions=sessions, oldest_queued_age_s=oldest, workers=workers)


async def session_states(
    redis: Redis, ids: Sequence[bytes | str]
) -> list[tuple[str, datetime | None]]:
    """(state, updated_at) of each session's readable status, in one MGET."""
    if not ids:
        return []
    keys = [STATUS_KEY.format(session_id=as_text(i)) for i in ids]
    return _states(await redis.mget(keys))


def _states(raws: Sequence[bytes | None]) -> list[tuple[str, datetime | None]]:
    """(state, updated_at) of each readable status; expired or unreadable ones are skipped."""
    out: list[tuple[str, datetime | None]] = []
    for raw in raws:
        if raw is None:
            continue
        try:
            status = orjson.loads(raw)
            state = JobState(status["status"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
        out.append((state, _when(status.get("updated_at"))))
    return out


def _when(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)

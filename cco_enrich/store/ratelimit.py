"""Counters in Redis that every API process shares: requests per client per minute, queued sessions.

cco:ratelimit:{name}:{client}:{window}   string  hits in one fixed window; expires after it
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from cco_enrich.models import JobState
from cco_enrich.store.fleet import session_states
from cco_enrich.store.keys import ACTIVE_SESSIONS_KEY, CLIENT_RATE_KEY


async def count_hit(
    redis: Redis, name: str, client: str, *, window_s: int = 60
) -> tuple[int, float]:
    """Count one hit of `client` on `name`: (hits in the current window, seconds until it ends)."""
    now = time.time()
    window = int(now // window_s)
    key = CLIENT_RATE_KEY.format(name=name, client=client, window=window)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_s + 1)
        hits, _ = await pipe.execute()
    return int(hits), (window + 1) * window_s - now


async def queued_sessions(redis: Redis) -> int:
    """How many sessions wait for a worker (queued, not yet running)."""
    active = await redis.smembers(ACTIVE_SESSIONS_KEY)
    states = await session_states(redis, sorted(active))
    return sum(1 for state, _ in states if state == JobState.QUEUED)

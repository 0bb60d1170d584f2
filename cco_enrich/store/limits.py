"""RedisLimitBackend: the pools' limits shared by every worker process on one Redis.

It implements registries' `SharedLimitBackend` Protocol (registries/limits.py).

Lua scripts keep each decision atomic, and read Redis server time (`TIME`), so the clocks of
different hosts never matter:
- a sliding-window log per pool (a sorted set of start times): at most N starts in any window;
- an in-flight semaphore per pool (a sorted set of holder ids scored by expiry): at most C at once;
  the expiry hands a dead worker's slots back.
"""

from __future__ import annotations

import math
import uuid

from redis.asyncio import Redis

from cco_enrich.store.keys import PAUSE_KEY, RATE_KEY, SLOTS_KEY

# KEYS: starts, pause. ARGV: requests, window in microseconds, unique member suffix.
# Returns 0 after recording a start, else the microseconds to wait before asking again.
_TRY_START = """
local pause_ms = redis.call('PTTL', KEYS[2])
if pause_ms > 0 then
  return pause_ms * 1000
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local requests = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < requests then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], count - requests, count - requests, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now + 1)
"""

# KEYS: slots. ARGV: in-flight limit, ttl in microseconds, holder id. Returns 1 when acquired.
_ACQUIRE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000) + 1000)
  return 1
end
return 0
"""

# KEYS: slots. ARGV: ttl in microseconds, holder id. Pushes a held slot's expiry out (XX: never
# re-creates a slot that already expired and may have been handed to someone else).
_REFRESH_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
return redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[2])
"""

# KEYS: pause. ARGV: milliseconds. Never shortens a longer pause already set.
_PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
"""


class RedisLimitBackend:
    """SharedLimitBackend on Redis: what every PoolLimiter of every worker consults."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._try_start = redis.register_script(_TRY_START)
        self._acquire_slot = redis.register_script(_ACQUIRE_SLOT)
        self._pause = redis.register_script(_PAUSE)
        self._refresh_slot = redis.register_script(_REFRESH_SLOT)
        self._member = uuid.uuid4().hex
        self._counter = 0

    async def try_start(self, pool: str, requests: int, window_s: float) -> float:
        """Record a start and return 0, or return how many seconds to wait before asking again."""
        self._counter += 1
        wait_us = await self._try_start(
            keys=[RATE_KEY.format(pool=pool), PAUSE_KEY.format(pool=pool)],
            args=[requests, math.ceil(window_s * 1_000_000), f"{self._member}:{self._counter}"],
        )
        return int(wait_us) / 1_000_000

    async def acquire_slot(self, pool: str, holder: str, in_flight: int, ttl_s: float) -> bool:
        """Take one of `in_flight` slots for `holder`, held for `ttl_s` at the most."""
        acquired = await self._acquire_slot(
            keys=[SLOTS_KEY.format(pool=pool)],
            args=[in_flight, math.ceil(ttl_s * 1_000_000), holder],
        )
        return bool(int(acquired))

    async def refresh_slot(self, pool: str, holder: str, ttl_s: float) -> None:
        """Keep `holder`'s slot for another `ttl_s` (a long request is still running)."""
        await self._refresh_slot(
            keys=[SLOTS_KEY.format(pool=pool)], args=[math.ceil(ttl_s * 1_000_000), holder]
        )

    async def release_slot(self, pool: str, holder: str) -> None:
        """Give `holder`'s slot back."""
        await self.redis.zrem(SLOTS_KEY.format(pool=pool), holder)

    async def pause(self, pool: str, seconds: float) -> None:
        """Stop every worker from starting requests in this pool for `seconds`."""
        if seconds > 0:
            await self._pause(
                keys=[PAUSE_KEY.format(pool=pool)], args=[max(1, math.ceil(seconds * 1000))]
            )

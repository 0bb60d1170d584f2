"""RedisLimitBackend: the pools' limits shared by every worker process on one Redis.

It implements registries' `SharedLimitBackend` Protocol (registries/backend.py).

Lua scripts keep each decision atomic, and read Redis server time (`TIME`), so the clocks of
different hosts never matter:
- a sliding-window log per pool (a sorted set of start times): at most N starts in any window;
- an in-flight semaphore per pool (a sorted set of holder ids scored by expiry): at most C at once;
  the expiry hands a dead worker's slots back, and keeps an abandoned request's slot until it
  would have ended;
- N and C are the pool's learned limit (a hash per pool, `cco:limits:{pool}:learned`) capped by
  the ceiling the caller passes, so one worker's 429 slows the whole fleet at its next request.
  The learned limit changes in WATCH/MULTI transactions on Redis `TIME` (rare: errors, and one
  step up every few seconds); the rules are registries/adaptive.py's.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from cco_enrich.registries.adaptive import Change, LearnedLimit
from cco_enrich.registries.pools import PoolLimit
from cco_enrich.store.keys import LEARNED_KEY, LIMIT_POOLS_KEY, PAUSE_KEY, RATE_KEY, SLOTS_KEY

# KEYS: starts, pause, learned. ARGV: ceiling requests, window in microseconds, member suffix.
# Returns {0, learned requests, starts in the window} after recording a start, else
# {microseconds to wait, learned, starts in the window}.
_TRY_START = """
local requests = tonumber(ARGV[1])
local learned = tonumber(redis.call('HGET', KEYS[3], 'requests') or requests)
requests = math.max(1, math.min(requests, learned))
local pause_ms = redis.call('PTTL', KEYS[2])
if pause_ms > 0 then
  return {pause_ms * 1000, requests, 0}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < requests then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return {0, requests, count + 1}
end
local oldest = redis.call('ZRANGE', KEYS[1], count - requests, count - requests, 'WITHSCORES')
return {math.max(1, tonumber(oldest[2]) + window - now + 1), requests, count}
"""

# KEYS: slots, learned. ARGV: ceiling in flight, ttl in microseconds, holder id.
# Returns {1 when acquired else 0, learned in-flight limit, slots taken}.
_ACQUIRE_SLOT = """
local limit = tonumber(ARGV[1])
local learned = tonumber(redis.call('HGET', KEYS[2], 'in_flight') or limit)
limit = math.max(1, math.min(limit, learned))
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local taken = redis.call('ZCARD', KEYS[1])
if taken < limit then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000) + 1000)
  return {1, limit, taken + 1}
end
return {0, limit, taken}
"""

# KEYS: slots. ARGV: ttl in microseconds, holder id. Sets a held slot's expiry to now + ttl (XX:
# never re-creates a slot that already expired and may have been handed to someone else), and
# keeps the key alive at least that long.
_REFRESH_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ttl = tonumber(ARGV[1])
local changed = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + ttl, ARGV[2])
if redis.call('PTTL', KEYS[1]) < math.ceil(ttl / 1000) + 1000 then
  redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000) + 1000)
end
return changed
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

    async def try_start(self, pool: str, requests: int, window_s: float) -> tuple[float, int, int]:
        """Record a start and return 0, or how many seconds to wait; the learned N; the starts
        in the window."""
        self._counter += 1
        wait_us, learned, starts = await self._try_start(
            keys=[
                RATE_KEY.format(pool=pool),
                PAUSE_KEY.format(pool=pool),
                LEARNED_KEY.format(pool=pool),
            ],
            args=[requests, math.ceil(window_s * 1_000_000), f"{self._member}:{self._counter}"],
        )
        return int(wait_us) / 1_000_000, int(learned), int(starts)

    async def acquire_slot(
        self, pool: str, holder: str, in_flight: int, ttl_s: float
    ) -> tuple[bool, int, int]:
        """Take one of the in-flight slots for `holder`, held for `ttl_s` at the most; the
        learned C; the slots taken."""
        acquired, learned, taken = await self._acquire_slot(
            keys=[SLOTS_KEY.format(pool=pool), LEARNED_KEY.format(pool=pool)],
            args=[in_flight, math.ceil(ttl_s * 1_000_000), holder],
        )
        return bool(int(acquired)), int(learned), int(taken)

    async def refresh_slot(self, pool: str, holder: str, ttl_s: float) -> None:
        """Keep `holder`'s slot for `ttl_s` from now."""
        await self._refresh_slot(
            keys=[SLOTS_KEY.format(pool=pool)], args=[max(1, math.ceil(ttl_s * 1_000_000)), holder]
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

    async def register_ceiling(self, pool: str, ceiling: PoolLimit) -> None:
        """Record the pool's configured limit next to its learned one (GET /api/queue)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(LEARNED_KEY.format(pool=pool), mapping=_ceiling_fields(ceiling))
            pipe.sadd(LIMIT_POOLS_KEY, pool)
            await pipe.execute()

    async def learned(self, pool: str) -> LearnedLimit | None:
        """The pool's learned limit, or None while it is at its ceiling."""
        return LearnedLimit.from_fields(
            _texts(await self.redis.hgetall(LEARNED_KEY.format(pool=pool)))
        )

    async def update_learned(self, pool: str, change: Change) -> LearnedLimit | None:
        """Apply `change` to the pool's learned limit atomically, on Redis server time."""
        key = LEARNED_KEY.format(pool=pool)
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    current = LearnedLimit.from_fields(_texts(await pipe.hgetall(key)))
                    seconds, micros = await pipe.time()
                    new = change(current, seconds + micros / 1_000_000)
                    if new is None:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]  # redis-py
                        return current
                    pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                    pipe.hset(key, mapping=new.to_fields())
                    pipe.sadd(LIMIT_POOLS_KEY, pool)
                    await pipe.execute()
                    return new
                except WatchError:
                    continue


async def read_pool_limits(redis: Redis) -> dict[str, dict[str, Any]]:
    """Every pool's learned limit and ceiling, for GET /api/queue (and /metrics)."""
    pools = sorted(_text(p) for p in await redis.smembers(LIMIT_POOLS_KEY))
    async with redis.pipeline(transaction=False) as pipe:
        for pool in pools:
            pipe.hgetall(LEARNED_KEY.format(pool=pool))
        hashes = await pipe.execute()
    return {pool: _describe(_texts(raw)) for pool, raw in zip(pools, hashes, strict=True) if raw}


def _describe(raw: dict[str, str]) -> dict[str, Any]:
    window_s = float(raw.get("window_s", "1"))
    ceiling = {
        "requests": int(raw.get("ceiling_requests", "0")),
        "window_s": window_s,
        "in_flight": int(raw.get("ceiling_in_flight", "0")),
    }
    learned = LearnedLimit.from_fields(raw)
    current = {
        "requests": learned.requests if learned else ceiling["requests"],
        "window_s": window_s,
        "in_flight": learned.in_flight if learned else ceiling["in_flight"],
    }
    if ceiling["requests"]:
        current["requests"] = min(current["requests"], ceiling["requests"])
        current["in_flight"] = min(current["in_flight"], ceiling["in_flight"])
    return {
        "learned": current,
        "ceiling": ceiling,
        "reason": learned.reason if learned else "configured",
    }


def _ceiling_fields(ceiling: PoolLimit) -> dict[str, str]:
    return {
        "ceiling_requests": str(ceiling.requests),
        "ceiling_in_flight": str(ceiling.in_flight),
        "window_s": str(ceiling.window_s),
    }


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _texts(raw: dict[Any, Any]) -> dict[str, str]:
    return {_text(key): _text(value) for key, value in raw.items()}

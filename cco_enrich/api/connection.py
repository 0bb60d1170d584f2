"""The API's Redis client: it fails within seconds when Redis is down, so a call answers 503.

The worker's settings (`store.redis_settings`) ride out a Redis restart with ~75 s of retries; an
API call must not wait that long. Here a call gets two quick retries, and every socket read has a
deadline (redis-py has none by default: a Redis that stops answering would hang the call for ever).
"""

from __future__ import annotations

from arq.connections import ArqRedis, RedisSettings
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from cco_enrich.api.hub import BLOCK_MS
from cco_enrich.store import redis_settings

CONNECT_TIMEOUT_S = 2
# Above the event hub's blocking XREAD, which holds a connection for BLOCK_MS on purpose.
SOCKET_TIMEOUT_S = BLOCK_MS / 1000 + 2.0


def api_redis_settings(url: str) -> RedisSettings:
    """arq's settings for the API: wait for Redis at start, then fail fast on every call."""
    settings = redis_settings(url)
    settings.conn_timeout = CONNECT_TIMEOUT_S
    # A timeout already waited SOCKET_TIMEOUT_S: answer 503 rather than wait as long again.
    settings.retry_on_timeout = False
    settings.retry_on_error = [RedisConnectionError, ConnectionRefusedError]
    settings.retry = Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2)
    return settings


async def bound_socket_waits(redis: ArqRedis, timeout_s: float = SOCKET_TIMEOUT_S) -> None:
    """Give every connection of `redis` a read deadline (arq's create_pool cannot pass one)."""
    pool = redis.connection_pool
    pool.connection_kwargs["socket_timeout"] = timeout_s
    # Connections made before this line (arq's startup ping) have none: close and forget them.
    await pool.disconnect()
    pool.reset()  # type: ignore[no-untyped-call]

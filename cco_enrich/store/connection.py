"""How we connect to Redis (`redis_settings`) and which of its errors mean "the store is away".

The rest of the package speaks redis-py; the rest of the service catches
`STORE_UNAVAILABLE_ERRORS` and never imports redis itself.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from arq.connections import ArqRedis, RedisSettings
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

STORE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)
"""What a store call raises while Redis is unreachable (after the client's own retries).

Catch these as a tuple: `except STORE_UNAVAILABLE_ERRORS:`,
`contextlib.suppress(*STORE_UNAVAILABLE_ERRORS)`.
"""


Sentinels = Sequence[tuple[str, int]]


def redis_settings(
    url: str, *, sentinels: Sentinels = (), sentinel_master: str = "mymaster"
) -> RedisSettings:
    """arq's connection settings for `url`, retrying through a Redis restart instead of failing.

    With `sentinels`, the primary is the one they name `sentinel_master`, and `url` gives only
    the database and password (see `follow_sentinel`).
    """
    settings = RedisSettings.from_dsn(url)
    if sentinels:
        settings.host = list(sentinels)
        settings.sentinel = True
        settings.sentinel_master = sentinel_master
    settings.conn_retries = 30
    settings.retry_on_timeout = True
    # OSError too: a refused connect (Redis restarting) is an OSError that redis-py would
    # otherwise raise at once, and arq's worker exits on it. About 75 s of retries, at most 1 s
    # apart: a worker is back within a second of Redis (or a new primary), well inside its lease.
    settings.retry_on_error = [RedisConnectionError, RedisTimeoutError, OSError]
    settings.retry = Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=78)
    return settings


API_CONNECT_TIMEOUT_S = 2


def api_redis_settings(
    url: str, *, sentinels: Sentinels = (), sentinel_master: str = "mymaster"
) -> RedisSettings:
    """arq's settings for the API: wait for Redis at start, then fail fast on every call.

    The worker's settings (`redis_settings`) ride out a Redis restart with ~75 s of retries; an
    API call must not wait that long, so it gets two quick retries and then answers 503.
    """
    settings = redis_settings(url, sentinels=sentinels, sentinel_master=sentinel_master)
    settings.conn_timeout = API_CONNECT_TIMEOUT_S
    # A timeout already waited the socket timeout: answer 503 rather than wait as long again.
    settings.retry_on_timeout = False
    settings.retry_on_error = [RedisConnectionError, ConnectionRefusedError]
    settings.retry = Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2)
    return settings


async def bound_socket_waits(redis: ArqRedis, timeout_s: float) -> None:
    """Give every connection of `redis` a read deadline (arq's create_pool cannot pass one).

    redis-py has none by default: a Redis that stops answering would hang a call for ever.
    """
    pool = redis.connection_pool
    pool.connection_kwargs["socket_timeout"] = timeout_s
    # Connections made before this line (arq's startup ping) have none: close and forget them.
    await pool.disconnect()
    pool.reset()  # type: ignore[no-untyped-call]


async def follow_sentinel(redis: ArqRedis, settings: RedisSettings) -> None:
    """Give a Sentinel pool the retries arq's create_pool leaves out in sentinel mode.

    Without them a worker exits at the first command a failover interrupts. With them each
    retry asks the sentinels for the primary again, so the command lands on the new one.
    Without Sentinel, nothing to do.
    """
    if not settings.sentinel:
        return
    pool = redis.connection_pool
    retry_on = [e for e in settings.retry_on_error or () if not issubclass(e, OSError)]
    if settings.retry_on_timeout and RedisTimeoutError not in retry_on:
        retry_on.append(RedisTimeoutError)
    pool.connection_kwargs.update(
        retry=settings.retry,
        # Never OSError: a refused connect must go back to the sentinels, not retry the address.
        retry_on_error=retry_on,
        socket_connect_timeout=settings.conn_timeout,
    )
    # Forget the connection create_pool made, so that every connection retries like this.
    await pool.disconnect()
    pool.reset()  # type: ignore[no-untyped-call]


async def close_idle_connections(redis: ArqRedis) -> None:
    """Close the pool's idle connections; they reopen on demand.

    redis-py's pool opens one connection per command in flight (a burst of SSE clients opens
    one each) and keeps every one open for good.
    """
    try:
        await redis.connection_pool.disconnect(inuse_connections=False)
    except (RedisError, OSError) as exc:  # a broken idle connection is what we were closing
        log.debug("closing idle Redis connections: %s", exc)


def as_text(value: bytes | str) -> str:
    """A Redis answer as str (the clients here do not decode responses)."""
    return value.decode() if isinstance(value, bytes) else value

"""How we connect to Redis (`redis_settings`) and which of its errors mean "the store is away".

The rest of the package speaks redis-py; the rest of the service catches
`STORE_UNAVAILABLE_ERRORS` and never imports redis itself.
"""

from __future__ import annotations

from arq.connections import RedisSettings
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

STORE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)
"""What a store call raises while Redis is unreachable (after the client's own retries).

Catch these as a tuple: `except STORE_UNAVAILABLE_ERRORS:`,
`contextlib.suppress(*STORE_UNAVAILABLE_ERRORS)`.
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


def as_text(value: bytes | str) -> str:
    """A Redis answer as str (the clients here do not decode responses)."""
    return value.decode() if isinstance(value, bytes) else value

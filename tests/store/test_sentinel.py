"""Where the API and workers find Redis: CCO_REDIS_URL, or the primary CCO_REDIS_SENTINELS name."""

from __future__ import annotations

import pytest
from arq.connections import ArqRedis
from pydantic import ValidationError
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cco_enrich.settings import Settings, parse_addresses
from cco_enrich.store import api_redis_settings, follow_sentinel, redis_settings


def test_sentinel_addresses_are_host_port_pairs() -> None:
    assert parse_addresses(" s1:26379, [::1]:26380,") == [("s1", 26379), ("::1", 26380)]
    assert parse_addresses("") == []
    with pytest.raises(ValueError, match="'s1' is not host:port"):
        parse_addresses("s1")


def test_a_bad_sentinel_setting_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCO_REDIS_SENTINELS", "s1:26379,s2")
    with pytest.raises(ValidationError, match="'s2' is not host:port"):
        Settings()


def test_with_sentinels_the_url_gives_only_database_and_password() -> None:
    settings = redis_settings(
        "redis://:pw@ignored:1/3", sentinels=[("s1", 26379), ("s2", 26379)], sentinel_master="m"
    )
    assert settings.sentinel
    assert settings.host == [("s1", 26379), ("s2", 26379)]
    assert (settings.sentinel_master, settings.database, settings.password) == ("m", 3, "pw")
    assert not redis_settings("redis://localhost:6379/0").sentinel


async def test_a_sentinel_pool_retries_and_asks_the_sentinels_again() -> None:
    """arq's create_pool passes no retries in sentinel mode; follow_sentinel adds them."""
    settings = redis_settings("redis://localhost/0", sentinels=[("127.0.0.1", 1)])
    redis = Sentinel([("127.0.0.1", 1)]).master_for("mymaster", redis_class=ArqRedis)
    await follow_sentinel(redis, settings)
    kwargs = redis.connection_pool.connection_kwargs
    assert kwargs["retry"] is settings.retry
    assert kwargs["retry_on_error"] == [RedisConnectionError, RedisTimeoutError]
    await redis.aclose()


async def test_the_apis_sentinel_pool_still_fails_fast() -> None:
    """The API keeps its two quick retries (then 503), each one asking the sentinels again."""
    settings = api_redis_settings("redis://localhost/0", sentinels=[("127.0.0.1", 1)])
    redis = Sentinel([("127.0.0.1", 1)]).master_for("mymaster", redis_class=ArqRedis)
    await follow_sentinel(redis, settings)
    kwargs = redis.connection_pool.connection_kwargs
    assert kwargs["retry"] is settings.retry
    assert kwargs["retry_on_error"] == [RedisConnectionError]
    await redis.aclose()


async def test_without_sentinels_the_pool_is_left_as_arq_made_it() -> None:
    settings = redis_settings("redis://localhost/0")
    redis = ArqRedis(host="localhost")
    before = dict(redis.connection_pool.connection_kwargs)
    await follow_sentinel(redis, settings)
    assert redis.connection_pool.connection_kwargs == before
    await redis.aclose()

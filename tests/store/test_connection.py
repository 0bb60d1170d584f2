"""Connecting to Redis: arq's settings ride out a restart, and "Redis is away" has one name."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from cco_enrich.store import STORE_UNAVAILABLE_ERRORS, SessionStore, redis_settings
from tests.conftest import free_port


def test_redis_settings_keep_the_url_and_retry_through_a_restart() -> None:
    settings = redis_settings("redis://127.0.0.1:6390/2")
    assert (settings.host, settings.port, settings.database) == ("127.0.0.1", 6390, 2)
    assert OSError in (settings.retry_on_error or [])  # a refused connect while Redis restarts
    assert settings.retry_on_timeout


async def test_a_redis_that_does_not_answer_raises_a_store_unavailable_error() -> None:
    """What runner, worker and API catch is what a dead Redis (nothing on the port) raises."""
    client = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
    store = SessionStore(client, session_ttl_s=60)  # type: ignore[arg-type]
    try:
        with pytest.raises(STORE_UNAVAILABLE_ERRORS):
            await store.ping()
    finally:
        await client.aclose()

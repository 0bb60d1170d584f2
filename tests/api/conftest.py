"""Fixtures of the API tests: the app over fakeredis, built from Settings with overrides."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from arq.connections import ArqRedis
from starlette.testclient import TestClient

import cco_enrich.api
from cco_enrich.api import create_app
from cco_enrich.settings import Settings

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(fake_redis: ArqRedis, monkeypatch: pytest.MonkeyPatch) -> Iterator[ClientFactory]:
    """A factory: `make_client(api_token="t")` -> a started TestClient (closed after the test)."""

    async def fake_pool(*args: object, **kwargs: object) -> ArqRedis:
        return fake_redis

    monkeypatch.setattr(cco_enrich.api, "create_pool", fake_pool)
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(Settings(**overrides)))
        client.__enter__()
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in clients:
            client.__exit__(None, None, None)


def error_code(answer: Any) -> str:
    """The `code` of an answer in the error shape (and fails when it is not that shape)."""
    body = answer.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str)
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return str(body["error"]["code"])

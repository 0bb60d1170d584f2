"""Fixtures of the API tests: started TestClients over fakeredis, built from Settings overrides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from arq.connections import ArqRedis
from fakeredis import FakeAsyncRedis, FakeServer
from starlette.testclient import TestClient

import cco_enrich.api
from cco_enrich.api import create_app
from cco_enrich.settings import Settings
from tests.api.steps import ClientFactory

# Small limits, so the 413 answers are cheap to reach.
TEST_LIMITS = {"max_identifiers": 100, "max_upload_bytes": 10_000}


def _started_clients(
    monkeypatch: pytest.MonkeyPatch, defaults: dict[str, Any]
) -> Iterator[ClientFactory]:
    """A factory of started TestClients over one fakeredis server; closes them at the end."""
    server = FakeServer()

    async def fake_pool(*args: Any, **kwargs: Any) -> ArqRedis:
        return ArqRedis(connection_pool=FakeAsyncRedis(server=server).connection_pool)

    monkeypatch.setattr(cco_enrich.api, "create_pool", fake_pool)
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = Settings(redis_url="redis://fake:6379/0", **{**defaults, **overrides})
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in clients:
            client.__exit__(None, None, None)


@pytest.fixture
def client_factory(monkeypatch: pytest.MonkeyPatch) -> Iterator[ClientFactory]:
    """Started TestClients with small upload limits (Settings overrides as keywords)."""
    yield from _started_clients(monkeypatch, TEST_LIMITS)


@pytest.fixture
def make_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[ClientFactory]:
    """Started TestClients with the default limits: `make_client(api_token="t")`."""
    yield from _started_clients(monkeypatch, {})


@pytest.fixture
def client(client_factory: ClientFactory) -> TestClient:
    return client_factory()


def error_code(answer: Any) -> str:
    """The `code` of an answer in the error shape (and fails when it is not that shape)."""
    body = answer.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str)
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return str(body["error"]["code"])

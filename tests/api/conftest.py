"""Fixtures of the API tests: started TestClients over one fakeredis server per test."""

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


@pytest.fixture
def client_factory(monkeypatch: pytest.MonkeyPatch) -> Iterator[ClientFactory]:
    """Builds started TestClients (Settings overrides as keywords); closes them at the end."""
    server = FakeServer()

    async def fake_pool(*args: Any, **kwargs: Any) -> ArqRedis:
        return ArqRedis(connection_pool=FakeAsyncRedis(server=server).connection_pool)

    monkeypatch.setattr(cco_enrich.api, "create_pool", fake_pool)
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = Settings(redis_url="redis://fake:6379/0", **{**TEST_LIMITS, **overrides})
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(client_factory: ClientFactory) -> TestClient:
    return client_factory()

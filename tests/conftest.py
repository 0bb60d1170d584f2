"""Shared fixtures: fakeredis for unit tests, a private real redis-server for integration tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aioresponses import aioresponses
from arq.connections import ArqRedis
from fakeredis import FakeAsyncRedis

from cco_enrich.store import SessionStore
from tests.fakes import mock_http

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """A redis-server of our own, in a temp dir, that a test may stop and start again."""

    port: int
    directory: Path
    durable: bool = True  # AOF with fsync on every write, so a restart keeps every checkpoint
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "yes" if self.durable else "no",
                "--appendfsync",
                "always",
                "--protected-mode",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


def require_redis_server() -> None:
    """Fail on CI, skip (and say so) on a laptop, when there is no redis-server binary."""
    if not os.path.exists(REDIS_SERVER):
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; CI must run the real-Redis tests")
        pytest.skip("redis-server is not installed on this laptop; CI runs these tests")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server (AOF on, so a restart keeps the data). CI requires the binary."""
    require_redis_server()
    server = RedisServer(port=free_port(), directory=tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def fake_redis() -> AsyncIterator[ArqRedis]:
    """An ArqRedis over fakeredis (with Lua), so store code and arq enqueueing both work."""
    fake = FakeAsyncRedis()
    redis = ArqRedis(connection_pool=fake.connection_pool)
    try:
        yield redis
    finally:
        await redis.aclose()


@pytest.fixture
def store(fake_redis: ArqRedis) -> SessionStore:
    return SessionStore(fake_redis, session_ttl_s=3600)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """One aiohttp session, as a worker has."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def mock() -> Iterator[aioresponses]:
    """aioresponses, patched for aiohttp 3.14 (see tests/fakes.py)."""
    with mock_http() as mocked:
        yield mocked

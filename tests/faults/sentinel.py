"""A Redis primary, its replica and three sentinels on free loopback ports, each in a temp dir."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from tests.conftest import REDIS_SERVER, free_port

MASTER_NAME = "mymaster"
DOWN_AFTER_MS = 1000  # how long the primary must be silent before a sentinel calls it down


def _ask(port: int, command: Callable[[redis.Redis], Any]) -> Any:
    """One command to the server or sentinel on `port`, on a connection closed afterwards."""
    with redis.Redis(host="127.0.0.1", port=port, socket_timeout=2) as client:
        return command(client)


def _wait(what: str, probe: Callable[[], object], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError, OSError):
            if probe():
                return
        time.sleep(0.1)
    raise TimeoutError(f"{what} after {timeout_s} s")


@dataclass
class SentinelCluster:
    """Started by `start()`, ended by `stop()`; `kill_primary()` makes the sentinels fail over."""

    directory: Path
    primary_port: int = field(default_factory=free_port)
    replica_port: int = field(default_factory=free_port)
    sentinel_ports: list[int] = field(default_factory=lambda: [free_port() for _ in range(3)])
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def sentinels_setting(self) -> str:
        """The value of CCO_REDIS_SENTINELS."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def start(self) -> None:
        self._redis("primary", self.primary_port)
        self._redis(
            "replica", self.replica_port, "--replicaof", "127.0.0.1", str(self.primary_port)
        )
        for i, port in enumerate(self.sentinel_ports):
            self._sentinel(f"sentinel-{i}", port)
        _wait("the replica never synced", self._replica_in_sync)
        _wait("the sentinels never met the replica and each other", self._sentinels_ready)

    def master_port(self) -> int | None:
        """The primary's port as the first sentinel that answers tells it."""
        for port in self.sentinel_ports:
            with contextlib.suppress(redis.RedisError):
                address = _ask(port, lambda c: c.sentinel_get_master_addr_by_name(MASTER_NAME))
                return int(address[1]) if address else None
        return None

    def kill_primary(self) -> None:
        process = self.processes.pop("primary")
        process.kill()
        process.wait(10)

    def wait_failover(self, timeout_s: float = 30) -> None:
        _wait("no failover", lambda: self.master_port() == self.replica_port, timeout_s)

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def _redis(self, name: str, port: int, *extra: str) -> None:
        directory = self.directory / name
        directory.mkdir(parents=True, exist_ok=True)
        argv = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory)]
        argv += ["--save", "", "--appendonly", "yes", "--protected-mode", "no", *extra]
        self._spawn(name, argv)
        _wait(f"{name} did not start", lambda: _ask(port, lambda c: c.ping()))

    def _sentinel(self, name: str, port: int) -> None:
        directory = self.directory / name
        directory.mkdir(parents=True, exist_ok=True)
        config = directory / "sentinel.conf"  # a sentinel rewrites its own config file
        config.write_text(
            f"port {port}\nbind 127.0.0.1\nprotected-mode no\ndir {directory}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.primary_port} 2\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {MASTER_NAME} 10000\n"
            f"sentinel parallel-syncs {MASTER_NAME} 1\n"
        )
        self._spawn(name, [REDIS_SERVER, str(config), "--sentinel"])
        _wait(f"{name} did not start", lambda: _ask(port, lambda c: c.ping()))

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.directory / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(argv, stdout=log, stderr=log)
        log.close()

    def _replica_in_sync(self) -> bool:
        info = _ask(self.replica_port, lambda c: c.info("replication"))
        return bool(info.get("master_link_status") == "up")

    def _sentinels_ready(self) -> bool:
        for port in self.sentinel_ports:
            state = _ask(port, lambda c: c.sentinel_master(MASTER_NAME))
            if state.get("num-other-sentinels") != 2 or state.get("num-slaves") != 1:
                return False
        return True

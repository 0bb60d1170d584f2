"""PidStack: a BenchStack whose stand-in is `bench.pid_standin` (identifier services, 20 hosts)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import redis

from tests.conftest import free_port

from .harness import BenchStack, StandinSettings
from .pid_standin import World


class PidStack(BenchStack):
    """Redis, the world's stand-in, workers and the API; the guard lets loopback pages through."""

    def __init__(
        self,
        directory: Path,
        corpus: Path,
        world: World,
        standin: StandinSettings,
        env: dict[str, str] | None = None,
    ) -> None:
        allow_loopback = {"CCO_OUTBOUND_ALLOW_PRIVATE": "true"}
        super().__init__(directory, corpus, standin, {**allow_loopback, **(env or {})})
        self.world_path = world.write(directory / "world.json")

    def start(self, workers: int = 1) -> None:
        self.redis_server.start()
        self.redis = redis.Redis.from_url(self.redis_server.url)
        self.redis.config_set("appendfsync", "everysec")
        self._start_standin()
        for i in range(workers):
            self.start_worker(self.worker_name(i))
        self.stack.start_api()

    def _start_standin(self) -> None:
        stack = self.stack
        stack.standin_port = free_port()
        args = [*self.settings.args(self.corpus), "--world", str(self.world_path)]
        command = [sys.executable, "-m", "bench.pid_standin", "--port", str(stack.standin_port)]
        process = stack.spawn("standin", [*command, *args])
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        if not line.startswith("READY"):
            raise RuntimeError(
                f"stand-in did not start: {line!r}; see {self.directory}/standin.log"
            )

    def reset_standin(self) -> None:
        """Every counter: the registries', each identifier service's and the landing pages'."""
        super().reset_standin()
        for path in ("/_standin/ncbi/reset", "/_standin/openlibrary/reset",
                     "/_standin/handle/reset", "/_bench/landing/reset"):  # fmt: skip
            status, body = self.stack.request("POST", f"{self.stack.standin}{path}")
            if status != 200:
                raise RuntimeError(f"{path} answered {status}: {body}")

    def service_stats(self, name: str) -> dict[str, Any]:
        """`ncbi`, `openlibrary` or `handle`: pools and endpoints as the stand-in counted them."""
        return self.stack.request("GET", f"{self.stack.standin}/_standin/{name}/stats")[1]  # type: ignore[no-any-return]

    def landing_stats(self) -> dict[str, Any]:
        return self.stack.request("GET", f"{self.stack.standin}/_bench/landing/stats")[1]  # type: ignore[no-any-return]

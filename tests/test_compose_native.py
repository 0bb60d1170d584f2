"""Every command of docker-compose.yml, run natively: its Redis, API, worker and healthchecks.

No Docker engine is needed. The compose file's own argv runs here with the compose network's
names mapped to loopback: `redis:6379` becomes a free port of a redis-server started by the test,
the API's `0.0.0.0:8000` becomes `127.0.0.1:<free port>`. If the containers would run something
this machine can't, this test is where it shows.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import yaml

from tests.conftest import require_redis_server
from tests.stack import free_port

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
COMPOSE_REDIS_URL = "redis://redis:6379/0"


@dataclass
class NativeCompose:
    """The compose services as local processes; ports of the compose network mapped to loopback."""

    directory: Path
    services: dict[str, Any]
    extra_env: dict[str, str] = field(default_factory=dict)  # as a .env file would add
    redis_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: list[IO[bytes]] = field(default_factory=list)

    def argv(self, command: list[str]) -> list[str]:
        """A compose argv with executables from this venv and addresses on loopback."""
        program = str(BIN / command[0]) if (BIN / command[0]).exists() else command[0]
        mapped = [program]
        for arg in command[1:]:
            arg = arg.replace("127.0.0.1:8000", f"127.0.0.1:{self.api_port}")
            mapped.append({"0.0.0.0": "127.0.0.1", "8000": str(self.api_port)}.get(arg, arg))
        return mapped

    def env(self, service: str) -> dict[str, str]:
        given = self.services[service].get("environment", {})
        environment = {str(k): str(v) for k, v in given.items()}
        if service != "redis":
            assert environment.pop("CCO_REDIS_URL") == COMPOSE_REDIS_URL
        if "CCO_WORKER_METRICS_PORT" in environment:  # a fixed port would collide across tests
            environment["CCO_WORKER_METRICS_PORT"] = str(free_port())
        clean = {k: v for k, v in os.environ.items() if not k.startswith("CCO_")}
        return {
            **clean,
            **environment,
            **self.extra_env,
            "PYTHONPATH": str(ROOT),
            "CCO_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
        }

    def start(self, service: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.directory / f"{service}.log").open("wb")
        self.logs.append(log)
        self.processes[service] = subprocess.Popen(
            argv, cwd=self.directory, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def run(self, service: str, command: list[str]) -> subprocess.CompletedProcess[str]:
        """One of the service's commands (a healthcheck, the CLI) to its end."""
        return subprocess.run(
            self.argv(command),
            env=self.env(service),
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=30,
        )

    def log(self, service: str) -> str:
        for log in self.logs:
            log.flush()
        return (self.directory / f"{service}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in reversed(self.processes.values()):
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs:
            log.close()


def _wait_for(what: str, check: Any, timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            result = check()
            if result:
                return result
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not happen within {timeout_s} s")


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def compose(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[NativeCompose]:
    """Compose's redis, api and worker services, started from their own commands."""
    require_redis_server()
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    extra_env = getattr(request, "param", {})
    stack = NativeCompose(directory=tmp_path, services=services, extra_env=extra_env)
    redis_argv = [*services["redis"]["command"], "--port", str(stack.redis_port)]
    redis_argv += ["--bind", "127.0.0.1", "--dir", str(tmp_path)]
    try:
        stack.start("redis", redis_argv)
        redis_ping = [*services["redis"]["healthcheck"]["test"][1:], "-p", str(stack.redis_port)]
        _wait_for("redis-cli ping", lambda: stack.run("redis", redis_ping).returncode == 0)
        stack.start("api", stack.argv(services["api"]["command"]), stack.env("api"))
        stack.start("worker", stack.argv(services["worker"]["command"]), stack.env("worker"))
        yield stack
    finally:
        stack.stop()


def test_compose_commands_run_natively_against_a_real_redis(compose: NativeCompose) -> None:
    """Compose's Redis keeps an AOF, its API answers /healthz, its worker takes a ping job."""
    config = compose.run(
        "redis", ["redis-cli", "-p", str(compose.redis_port), "config", "get", "*"]
    )
    values = config.stdout.split("\n")
    assert values[values.index("appendonly") + 1] == "yes"

    api = f"http://127.0.0.1:{compose.api_port}"
    status, body = _wait_for("the API's /healthz", lambda: _get(f"{api}/healthz"))
    assert status == 200, compose.log("api")
    assert json.loads(body)["redis"] == "ok"

    ping = compose.run("worker", ["cco-enrich", "ping", "--timeout", "20"])
    assert ping.returncode == 0, ping.stderr + compose.log("worker")
    assert "pong" in ping.stdout


def test_compose_healthchecks_run_natively(compose: NativeCompose) -> None:
    """The worker's healthcheck passes; the API's says exactly what /readyz says."""
    worker_check = compose.services["worker"]["healthcheck"]["test"][1:]
    _wait_for(
        "the worker's healthcheck", lambda: compose.run("worker", worker_check).returncode == 0
    )

    api = f"http://127.0.0.1:{compose.api_port}"
    _wait_for("the API", lambda: _get(f"{api}/healthz")[0] == 200)
    ping = compose.run("worker", ["cco-enrich", "ping", "--timeout", "20"])
    assert ping.returncode == 0, ping.stderr  # a worker is up and its heartbeat fresh
    api_check = compose.run("api", compose.services["api"]["healthcheck"]["test"][1:])
    ready = _get(f"{api}/readyz")[0] == 200
    assert (api_check.returncode == 0) == ready, api_check.stderr


def test_compose_worker_logs_no_housekeeping_at_info(compose: NativeCompose) -> None:
    """The sweeper runs at start and every 5 s; arq's lines about it stay out of the log."""
    ping = compose.run("worker", ["cco-enrich", "ping", "--timeout", "20"])
    assert ping.returncode == 0, ping.stderr
    finished = re.compile(r"← \S+:ping ●")
    log = _wait_for(
        "the ping job's end", lambda: finished.search(text := compose.log("worker")) and text
    )
    assert re.search(r"→ \S+:ping\(", log)  # job lines stay: the start is logged too
    assert not re.search(r"[→←] cron:sweep_sessions", log)
    assert "recording health" not in log


@pytest.mark.parametrize("compose", [{"CCO_LOG_FORMAT": "json"}], indirect=True)
def test_compose_services_write_json_lines_when_asked(compose: NativeCompose) -> None:
    """From our startup on, every line of the API and the worker is a JSON object."""
    api = f"http://127.0.0.1:{compose.api_port}"
    _wait_for("the API", lambda: _get(f"{api}/healthz")[0] == 200)
    ping = compose.run("worker", ["cco-enrich", "ping", "--timeout", "20"])
    assert ping.returncode == 0, ping.stderr
    worker = _json_lines_from_our_startup(compose.log("worker"))
    assert any(line["logger"] == "cco_enrich.worker" for line in worker)
    assert any(re.search(r"ping ●", line["message"]) for line in worker)
    api_lines = _json_lines_from_our_startup(compose.log("api"))
    assert any(
        line["logger"] == "uvicorn.access" and "/healthz" in line["message"] for line in api_lines
    )


def _json_lines_from_our_startup(log: str) -> list[dict[str, Any]]:
    """The lines after the launcher's own first ones (arq's, uvicorn's), each parsed as JSON."""
    lines = log.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("{"))
    parsed = [json.loads(line) for line in lines[first:]]
    assert all({"timestamp", "level", "logger", "message"} <= set(line) for line in parsed)
    return parsed

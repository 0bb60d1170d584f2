"""The whole service as separate processes, for end-to-end tests and the benchmark.

A private redis-server, the stand-in registries (`python -m tests.standin`), arq workers and the API
(uvicorn), each with its log in the stack's directory. Everything binds 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tests.standin.services import identifier_env

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout_s} s")


@dataclass
class Stack:
    """Processes of one test or benchmark run; `stop()` ends them all."""

    directory: Path
    redis_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    standin_port: int = 0
    api_port: int = 0
    corpus: dict[str, Any] = field(default_factory=dict)  # the stand-in's truth, as JSON
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)

    # -- processes ----------------------------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        base = f"http://127.0.0.1:{self.standin_port}"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CCO_REDIS_URL": self.redis_url,
            "CCO_CROSSREF_URL": f"{base}/crossref",
            "CCO_DATACITE_URL": f"{base}/datacite",
            "CCO_DOI_URL": f"{base}/doi",
            "CCO_MAILTO": "e2e@example.org",
            "CCO_LOG_LEVEL": "INFO",
            # NCBI, Open Library, the Handle proxy and the ARK resolver: the stand-in's too, so
            # that no identifier of any scheme ever reaches a public service.
            **identifier_env(base),
        }
        env.update(self.extra_env)
        return env

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.directory / f"{name}.log").open("ab")
        self._logs.append(log)
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE if name == "standin" else log,
            stderr=log,
        )
        self.processes[name] = process
        return process

    def start_standin(self, *args: str) -> None:
        """The stand-in registries; waits for its `READY <port>` line."""
        self.standin_port = free_port()
        process = self.spawn(
            "standin",
            [sys.executable, "-m", "tests.standin", "--port", str(self.standin_port), *args],
        )
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        if not line.startswith("READY"):
            raise RuntimeError(
                f"stand-in did not start: {line!r}; see {self.directory}/standin.log"
            )
        self.corpus = self.request("GET", f"{self.standin}/_standin/corpus")[1]

    def start_worker(self, name: str = "worker") -> subprocess.Popen[bytes]:
        return self.spawn(name, [str(BIN / "arq"), "cco_enrich.WorkerSettings"])

    def start_api(self, timeout_s: float = 30.0) -> None:
        """The API; waits until it answers /healthz with Redis reachable."""
        self.api_port = free_port()
        self.spawn(
            "api",
            [
                str(BIN / "uvicorn"),
                "cco_enrich.api:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
                "--log-level",
                "warning",
            ],
        )
        _wait_port(self.api_port, timeout_s)
        deadline = time.monotonic() + timeout_s
        while self.request("GET", "/healthz")[1].get("redis") != "ok":
            if time.monotonic() > deadline:
                raise TimeoutError(f"the API never reached Redis\n{self.logs()}")
            time.sleep(0.1)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(30)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
        for log in self._logs:
            log.close()

    def logs(self) -> str:
        """Every process log, for a failing test's report."""
        for log in self._logs:
            if not log.closed:
                log.flush()
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.directory.glob("*.log"))
        )

    # -- HTTP -------------------------------------------------------------------------------

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def standin(self) -> str:
        return f"http://127.0.0.1:{self.standin_port}"

    def request(
        self, method: str, url: str, body: Any = None, *, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        """A JSON request to a URL, or to the API given a path; returns (status, body)."""
        url = f"{self.api}{url}" if url.startswith("/") else url
        data = None
        if body is not None:
            data = json.dumps(body).encode() if content_type == "application/json" else body
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, _decode(response.read(), response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, _decode(exc.read(), exc.headers)

    def events(
        self, session_id: str, *, timeout_s: float = 120, last_event_id: str | None = None
    ) -> Iterator[dict[str, str]]:
        """Follow the SSE stream until the server closes it: yields {"event", "id", "data"}.

        `last_event_id="0-0"` replays the session's whole history first.
        """
        conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=timeout_s)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        conn.request("GET", f"/api/sessions/{session_id}/events", headers=headers)
        response = conn.getresponse()
        assert response.status == 200, response.read()
        event: dict[str, str] = {}
        try:
            for raw in response:
                line = raw.decode().rstrip("\r\n")
                if not line:
                    if "data" in event:
                        yield event
                    event = {}
                elif not line.startswith(":"):
                    key, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    event[key] = (
                        event[key] + "\n" + value if key == "data" and key in event else value
                    )
        finally:
            conn.close()

    def standin_stats(self) -> dict[str, Any]:
        return self.request("GET", f"{self.standin}/_standin/stats")[1]  # type: ignore[no-any-return]


def _decode(raw: bytes, headers: Any) -> Any:
    if "json" in (headers.get("Content-Type") or ""):
        return json.loads(raw) if raw else None
    return raw.decode(errors="replace")

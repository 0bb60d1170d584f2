"""BenchStack: a private Redis, the stand-in registries, workers and the API, driven over HTTP.

Built on tests/stack.py (the processes) and tests/conftest.py (RedisServer). Everything binds
127.0.0.1. Sessions are created with `POST /api/sessions?enrich=true` and followed on their SSE
stream; the stand-in's counters come from `GET /_standin/stats`.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import psutil  # type: ignore[import-untyped]
import redis

from cco_enrich.store.keys import STATUS_KEY
from tests.conftest import RedisServer, free_port
from tests.stack import Stack

READY_MARK = "ready (crossref"
TERMINAL = ("completed", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class StandinSettings:
    """How the stand-in behaves in one stack; `args()` is its command line."""

    latency_base_s: float = 0.25
    latency_per_item_s: float = 0.004
    limits: bool = True
    doi_rate: int = 10
    doi_in_flight: int = 5
    hold_abandoned: bool = True  # a request we abandon still counts upstream, as in production

    def args(self, corpus: Path) -> list[str]:
        args = [
            "--corpus",
            str(corpus),
            "--latency-base",
            str(self.latency_base_s),
            "--latency-per-item",
            str(self.latency_per_item_s),
            "--doi-rate",
            str(self.doi_rate),
            "--doi-in-flight",
            str(self.doi_in_flight),
        ]
        if self.hold_abandoned:
            args.append("--hold-abandoned")
        return [*args, "--no-limits"] if not self.limits else args

    def latency_s(self, items: int) -> float:
        """The stand-in's answer time for a response carrying `items` records."""
        return self.latency_base_s + self.latency_per_item_s * items

    def describe(self) -> str:
        latency = f"latency {self.latency_base_s:g} s + {self.latency_per_item_s:g} s/item"
        if not self.limits:
            return f"{latency}, `--no-limits` (counts, never answers 429)"
        held = "; an abandoned request counts until its answer was due" * self.hold_abandoned
        return (
            f"{latency}; Crossref polite single 10/s + 3 in flight, polite list 3/s + 3 in "
            f"flight; DataCite 1,000 per 5 min; doi.org {self.doi_rate}/s + "
            f"{self.doi_in_flight} in flight{held}"
        )


@dataclass(slots=True)
class SessionRun:
    """One session followed to its end: timings (seconds from the POST) and progress events."""

    session_id: str
    post_s: float  # how long the POST itself took
    wall_s: float  # POST sent -> terminal status seen
    final: dict[str, Any]
    progress: list[tuple[float, float]] = field(default_factory=list)  # (s, percent)


class BenchStack:
    """One benchmark stack; `start()` brings everything up, `stop()` ends every process."""

    def __init__(
        self,
        directory: Path,
        corpus: Path,
        standin: StandinSettings,
        env: dict[str, str] | None = None,
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.corpus = corpus
        self.settings = standin
        self.redis_server = RedisServer(port=free_port(), directory=directory)
        self.stack = Stack(directory=directory, redis_url=self.redis_server.url)
        self.stack.extra_env.update(env or {})
        self.redis: redis.Redis | None = None

    # -- processes ------------------------------------------------------------------------

    def start(self, workers: int = 1) -> None:
        self.redis_server.start()
        self.redis = redis.Redis.from_url(self.redis_server.url)
        # conftest's server fsyncs every write (for crash tests); production uses the default.
        self.redis.config_set("appendfsync", "everysec")
        self.stack.start_standin(*self.settings.args(self.corpus))
        for i in range(workers):
            self.start_worker(self.worker_name(i))
        self.stack.start_api()

    def stop(self) -> None:
        self.stack.stop()
        if self.redis is not None:
            self.redis.close()
        self.redis_server.stop()

    @staticmethod
    def worker_name(index: int) -> str:
        return "worker" if index == 0 else f"worker{index + 1}"

    @property
    def worker_names(self) -> list[str]:
        return [name for name in self.stack.processes if name.startswith("worker")]

    def start_worker(self, name: str, timeout_s: float = 30.0) -> None:
        """Start a worker and wait until it logs that it is ready."""
        log = self.directory / f"{name}.log"
        seen = log.read_text(errors="replace").count(READY_MARK) if log.exists() else 0
        self.stack.start_worker(name)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if log.exists() and log.read_text(errors="replace").count(READY_MARK) > seen:
                return
            if self.stack.processes[name].poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"worker {name} did not start; see {log}")

    def stop_worker(self, name: str) -> None:
        self.stack.kill(name, signal.SIGTERM)

    def restart_workers(self, count: int, env: dict[str, str] | None = None) -> None:
        """Stop every worker, then start `count` with `env` on top of the stack's environment."""
        for name in self.worker_names:
            self.stop_worker(name)
        for key in [k for k in self.stack.extra_env if k.startswith("CCO_WORKER_")]:
            del self.stack.extra_env[key]
        self.stack.extra_env.update(env or {})
        for i in range(count):
            self.start_worker(self.worker_name(i))

    def queue_wait_s(self, session_id: str) -> float | None:
        """How long the session's last job waited in arq's queue (arq logs it as `0.45s →`)."""
        pattern = re.compile(rf"(\d+\.\d+)s → enrich:{re.escape(session_id)}:")
        waits = [
            float(match.group(1))
            for log in self.directory.glob("worker*.log")
            for match in pattern.finditer(log.read_text(errors="replace"))
        ]
        return waits[-1] if waits else None

    def process(self, name: str) -> psutil.Process:
        return psutil.Process(self.stack.processes[name].pid)

    # -- state ----------------------------------------------------------------------------

    @property
    def db(self) -> redis.Redis:
        assert self.redis is not None, "start() the stack first"
        return self.redis

    def flush(self) -> None:
        """Forget everything in Redis (sessions, cache, shared limits) and the stand-in stats."""
        self.db.flushall()
        self.reset_standin()

    def reset_standin(self) -> None:
        status, body = self.stack.request("POST", f"{self.stack.standin}/_standin/reset")
        if status != 200:
            raise RuntimeError(f"stand-in reset answered {status}: {body}")

    def standin_stats(self) -> dict[str, Any]:
        return self.stack.standin_stats()

    def set_policy(self, **changes: Any) -> None:
        """Change the stand-in's policy while it serves (POST /_standin/policy)."""
        status, body = self.stack.request("POST", f"{self.stack.standin}/_standin/policy", changes)
        if status != 200:
            raise RuntimeError(f"stand-in policy answered {status}: {body}")

    def redis_info(self) -> dict[str, Any]:
        info: dict[str, Any] = self.db.info()  # type: ignore[assignment]
        return info

    # -- sessions -------------------------------------------------------------------------

    def create_session(
        self, identifiers: Sequence[str], *, enrich: bool = True
    ) -> tuple[str, dict[str, Any]]:
        query = "?enrich=true" if enrich else ""
        status, body = self.stack.request(
            "POST", f"{self.stack.api}/api/sessions{query}", {"identifiers": list(identifiers)}
        )
        if status != 201:
            raise RuntimeError(f"POST /api/sessions answered {status}: {str(body)[:300]}")
        return str(body["id"]), body

    def status(self, session_id: str) -> dict[str, Any]:
        status, body = self.stack.request(
            "GET", f"{self.stack.api}/api/sessions/{session_id}/status"
        )
        if status != 200:
            raise RuntimeError(f"GET status answered {status}: {str(body)[:300]}")
        return body  # type: ignore[no-any-return]

    def follow(self, session_id: str, started: float, timeout_s: float = 900.0) -> SessionRun:
        """Follow the SSE stream to a terminal status; times are seconds since `started`."""
        run = SessionRun(session_id, 0.0, 0.0, {})
        deadline = time.monotonic() + timeout_s
        while not run.final and time.monotonic() < deadline:
            for event in self.stack.events(session_id, timeout_s=60):
                if event.get("event") != "status":
                    continue
                data = json.loads(event["data"])
                now = time.monotonic() - started
                run.progress.append((now, float(data.get("percent", 0.0))))
                if data.get("status") in TERMINAL:
                    run.wall_s, run.final = now, data
                    break
        if not run.final:
            raise TimeoutError(f"session {session_id} did not finish in {timeout_s:g} s")
        return run

    def run_session(self, identifiers: Sequence[str]) -> SessionRun:
        """POST with ?enrich=true, then follow the session to its end."""
        started = time.monotonic()
        session_id, _ = self.create_session(identifiers)
        post_s = time.monotonic() - started
        run = self.follow(session_id, started)
        run.post_s = post_s
        return run

    def create_sessions(self, lists: Sequence[Sequence[str]], threads: int = 8) -> list[str]:
        """POST every list with ?enrich=true, a few at a time; the ids in the lists' order."""
        with ThreadPoolExecutor(min(threads, len(lists))) as pool:
            return list(pool.map(lambda ids: self.create_session(ids)[0], lists))

    def wait_for(self, ids: Sequence[str], started: float, timeout_s: float = 900.0) -> list[float]:
        """Poll the sessions' statuses in Redis until all are terminal; each one's end (seconds
        after `started`). For many sessions at once, where an SSE stream each would be the load."""
        keys = [STATUS_KEY.format(session_id=sid) for sid in ids]
        ends: dict[int, float] = {}
        deadline = time.monotonic() + timeout_s
        while len(ends) < len(ids):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(ids) - len(ends)} sessions did not finish")
            for i, raw in enumerate(cast(list[Any], self.db.mget(keys))):
                if i not in ends and raw and json.loads(raw)["status"] in TERMINAL:
                    ends[i] = time.monotonic() - started
            time.sleep(0.02)
        return [ends[i] for i in range(len(ids))]

    def finals(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        keys = [STATUS_KEY.format(session_id=sid) for sid in ids]
        return [json.loads(raw) for raw in cast(list[Any], self.db.mget(keys))]

    def run_sessions(self, lists: Sequence[Sequence[str]]) -> tuple[float, list[SessionRun]]:
        """Several sessions at once: the total wall time and each run (times from the start)."""
        started = time.monotonic()
        ids = [self.create_session(identifiers)[0] for identifiers in lists]
        with ThreadPoolExecutor(len(ids)) as pool:
            runs = list(pool.map(lambda sid: self.follow(sid, started), ids))
        return max(run.wall_s for run in runs), runs


class Sampler:
    """Samples a process's RSS (and a callback, if given) in a thread until `stop()`."""

    def __init__(self, process: psutil.Process, every_s: float = 0.05) -> None:
        self.process = process
        self.every_s = every_s
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_rss = max(self.peak_rss, self.process.memory_info().rss)
            except psutil.Error:
                return
            self._stop.wait(self.every_s)


def vm_hwm_bytes(pid: int) -> int | None:
    """The kernel's peak resident set size of a process (VmHWM), or None off Linux."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class KeepAliveClient:
    """One persistent HTTP/1.1 connection to the API, for latency samples without TCP setup."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def timed(self, method: str, path: str, body: bytes | None = None) -> tuple[float, int]:
        """Seconds from sending the request to reading the whole answer, and the status."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        response.read()
        return time.perf_counter() - started, response.status

    def close(self) -> None:
        self.conn.close()

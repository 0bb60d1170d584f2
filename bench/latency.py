"""Scenario 5: API latency of `GET .../status` and `POST /api/sessions`, idle and under load.

One client on one keep-alive connection sends a request every 10 ms: four `GET .../status` of one
session, then one `POST /api/sessions` of the same 1,000 DOIs (without enrichment), and again.
Idle first, then while five 1,000-DOI sessions run, each followed on its SSE stream as the page
does.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .harness import BenchStack, KeepAliveClient
from .results import ScenarioResult, Table, fmt_s

LOAD_TARGET = 3.0
PAUSE_S = 0.01
GETS_PER_POST = 5  # every fifth request is a POST
MAX_POSTS = 200


@dataclass(slots=True)
class Samples:
    """Latencies in seconds per endpoint, and any answer that was not a success."""

    status: list[float] = field(default_factory=list)
    post: list[float] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (1-99) by linear interpolation."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def sample(stack: BenchStack, session_id: str, body: bytes, until: Callable[[], bool]) -> Samples:
    """Alternate GETs and POSTs on one connection until `until()` says stop.

    One request at a time, so no sample waits behind another of ours.
    """
    samples = Samples()
    client = KeepAliveClient(stack.stack.api_port)
    status_path = f"/api/sessions/{session_id}/status"
    try:
        cycle = 0
        while not until():
            if cycle % GETS_PER_POST == GETS_PER_POST - 1 and len(samples.post) < MAX_POSTS:
                into, (seconds, status) = samples.post, client.timed("POST", "/api/sessions", body)
            else:
                into, (seconds, status) = samples.status, client.timed("GET", status_path)
            if status >= 400:
                samples.errors.append(status)
            else:
                into.append(seconds)
            cycle += 1
            time.sleep(PAUSE_S)
    finally:
        client.close()
    return samples


def run_latency(stack: BenchStack, sets: Sequence[list[str]], idle_s: float) -> ScenarioResult:
    """Scenario 5 on the main stack: idle for `idle_s`, then during five sessions."""
    stack.flush()
    body = json.dumps({"identifiers": sets[0]}).encode()
    idle_id, _ = stack.create_session(sets[0], enrich=False)
    deadline = time.monotonic() + idle_s
    idle = sample(stack, idle_id, body, lambda: time.monotonic() >= deadline)

    stack.flush()
    started = time.monotonic()
    ids = [stack.create_session(dois)[0] for dois in sets[:5]]
    with ThreadPoolExecutor(len(ids)) as pool:
        runs = [pool.submit(stack.follow, sid, started) for sid in ids]
        load = sample(stack, ids[0], body, lambda: all(r.done() for r in runs))
        finished = [r.result() for r in runs]
    load_s = max(run.wall_s for run in finished)
    return _result(idle, load, idle_s, load_s, len(sets[0]), [r.final for r in finished])


def _result(
    idle: Samples,
    load: Samples,
    idle_s: float,
    load_s: float,
    size: int,
    finals: list[dict[str, object]],
) -> ScenarioResult:
    result = ScenarioResult("latency", "5. API latency, idle and while five sessions run")
    rows = []
    readings = []
    for name, idle_values, load_values in (
        ("GET /api/sessions/{id}/status", idle.status, load.status),
        (f"POST /api/sessions ({size:,} DOIs)", idle.post, load.post),
    ):
        idle_p99, load_p99 = percentile(idle_values, 99), percentile(load_values, 99)
        ratio = load_p99 / idle_p99
        readings.append(f"`{name.split(' (')[0]}` p99 {fmt_s(idle_p99)} -> {fmt_s(load_p99)}")
        result.figure(
            f"{name}: p99 under load / idle",
            f"{fmt_s(load_p99)} / {fmt_s(idle_p99)} = {ratio:.2f}x",
            f"<= {LOAD_TARGET:g}x",
            ratio <= LOAD_TARGET,
        )
        for label, values in (("idle", idle_values), ("under load", load_values)):
            rows.append(
                (
                    name,
                    label,
                    str(len(values)),
                    fmt_s(percentile(values, 50)),
                    fmt_s(percentile(values, 99)),
                    fmt_s(max(values)),
                )
            )
    errors = idle.errors + load.errors
    result.figure("error answers while sampling", str(len(errors)), "0", not errors)
    result.tables.append(Table("Latency", ("endpoint", "when", "n", "p50", "p99", "max"), rows))
    statuses = ", ".join(str(f.get("status")) for f in finals)
    result.notes.append(
        f"Idle sampling ran {idle_s:g} s; the load (five sessions of {size:,} DOIs, each "
        f"followed on its SSE stream) took {fmt_s(load_s)} and ended: {statuses}. Each sample "
        "is one request on a keep-alive connection, timed from sending to the last body byte; "
        "the client never has two requests out at once."
    )
    result.data["shows"] = "Under load, " + "; ".join(readings) + "."
    return result

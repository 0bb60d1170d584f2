"""Scenarios 7-9: at the upstream limit whatever the traffic, against the stand-in at 1 s latency.

7a. 1,000 Crossref DOIs in one session.
7b. The same 1,000 DOIs as 100 sessions of 10, and as 20 of 50, on two workers, against the bound
    of the one session (a journal sending one session per article's reference list).
7c. Four workers running one session of 250 each (CCO_WORKER_MAX_JOBS=1), against the bound.
8.  A pool whose real limit is below the configured one and which sends no limit headers:
    Crossref list really 2/s and 2 in flight (1,000 Crossref DOIs); doi.org really 5/s and 2 in
    flight (the mixed 1,000). The stand-in enforces it; the service is configured as usual.
9.  A rolling deploy: five SIGTERMs during one session of 3,000 Crossref DOIs, a new worker
    started before each old one is stopped.

Every stand-in here keeps counting a request its client abandons until its answer was due.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from tests.standin import Corpus, PoolLimit

from .bound import lower_bound
from .harness import BenchStack, StandinSettings
from .results import ScenarioResult, fmt_s
from .throughput import CROSSREF_TARGET, cold_result, measure
from .upstream import Upstream, pool_limits

SLOW_SETTINGS = StandinSettings(latency_base_s=1.0, latency_per_item_s=0.004)
SMALL_TARGET = 1.5
FLEET_TARGET = 1.2
BELOW_TARGET = 1.3
BELOW_MAX_429 = 5
DEPLOY_MAX_429 = 2
RESTARTS = 5
CROSSREF_BELOW = PoolLimit(2, 1.0, 2)
DOI_ORG_BELOW = PoolLimit(5, 1.0, 2)
DEFAULT_LIMITS = {"polite-array": PoolLimit(3, 1.0, 3), "doi.org": PoolLimit(10, 1.0, 5)}


def crossref_slow(stack: BenchStack, corpus: Corpus, dois: list[str]) -> ScenarioResult:
    """7a: one session of Crossref DOIs at 1 s latency."""
    stack.restart_workers(1)
    stack.flush()
    measured = measure(stack, dois)
    bound = lower_bound(dois, corpus, stack.settings)
    title = f"7a. {len(dois):,} Crossref DOIs, cold, at 1 s latency"
    return cold_result(
        "crossref-slow", title, measured, bound, CROSSREF_TARGET, {"enriched": len(dois)}
    )


def _many(
    stack: BenchStack, lists: Sequence[list[str]]
) -> tuple[float, float, Upstream, list[int], float]:
    """All lists at once as sessions: wall time, POST time, what upstream saw, enriched each, and
    the stand-in clock's offset (its times -> seconds after the first POST)."""
    stack.flush()
    time.sleep(0.5)  # every worker has polled the queue once
    started, posted = time.monotonic(), time.time()
    ids = stack.create_sessions(lists)
    posted_s = time.monotonic() - started
    ends = stack.wait_for(ids, started)
    stats = stack.standin_stats()
    upstream = Upstream(stats, pool_limits(stack.settings))
    enriched = [int(f["enriched"]) for f in stack.finals(ids)]
    return max(ends), posted_s, upstream, enriched, stats["started_at"] - posted


def small_sessions(stack: BenchStack, corpus: Corpus, dois: list[str]) -> ScenarioResult:
    """7b: many small sessions on two workers share requests (per worker) and limits (fleet)."""
    bound = lower_bound(dois, corpus, stack.settings)
    result = ScenarioResult("small", f"7b. {len(dois):,} DOIs in small sessions, two workers")
    result.figure(f"lower bound, the {len(dois):,} in one session", fmt_s(bound.total_s))
    stack.restart_workers(2)
    readings: list[str] = []
    try:
        for count, size in ((len(dois) // 10, 10), (len(dois) // 50, 50)):
            lists = [dois[i * size : (i + 1) * size] for i in range(count)]
            wall_s, posted_s, up, enriched, offset_s = _many(stack, lists)
            readings.append(
                f"as {count} sessions of {size}, {fmt_s(wall_s)} "
                f"({wall_s / bound.total_s:.2f}x the bound of one session) and "
                f"{up.pool('polite-array')['requests']} Crossref list requests"
            )
            ratio = wall_s / bound.total_s
            label = f"{count} sessions x {size}"
            result.figure(
                f"{label}: wall / bound",
                f"{fmt_s(wall_s)}, {ratio:.2f}",
                f"<= {SMALL_TARGET}",
                ratio <= SMALL_TARGET,
            )
            result.figure(f"{label}: 429s", str(up.too_many), "0", up.too_many == 0)
            result.figure(
                f"{label}: enriched", str(sum(enriched)), str(len(dois)), sum(enriched) == len(dois)
            )
            result.tables.append(up.table(f"Requests per pool, {label}", bound, offset_s))
            result.notes.append(
                f"{label}: the {count} POSTs took {fmt_s(posted_s)}; "
                f"{up.pool('polite-array')['requests']} Crossref list requests carried the "
                f"{len(dois):,} DOIs (the one session's best plan: "
                f"{bound.pools['polite-array'].requests})."
            )
    finally:
        stack.restart_workers(1)
    result.data["shows"] = (
        f"Small sessions share upstream requests: the {len(dois):,} DOIs take "
        + "; ".join(readings)
        + f" (one session: {bound.pools['polite-array'].requests} in the best plan)."
    )
    return result


def four_workers(stack: BenchStack, corpus: Corpus, dois: list[str]) -> ScenarioResult:
    """7c: four worker processes, one session of a quarter of the DOIs each."""
    quarter = len(dois) // 4
    lists = [dois[i * quarter : (i + 1) * quarter] for i in range(4)]
    bound = lower_bound(dois, corpus, stack.settings)
    result = ScenarioResult("fleet250", f"7c. Four workers, four sessions of {quarter:,}")
    stack.restart_workers(4, {"CCO_WORKER_MAX_JOBS": "1"})
    try:
        wall_s, _, up, enriched, offset_s = _many(stack, lists)
    finally:
        stack.restart_workers(1)
    ratio = wall_s / bound.total_s
    result.figure(
        "wall / bound",
        f"{fmt_s(wall_s)} / {fmt_s(bound.total_s)} = {ratio:.2f}",
        f"<= {FLEET_TARGET}",
        ratio <= FLEET_TARGET,
    )
    result.figure("429s", str(up.too_many), "0", up.too_many == 0)
    over = up.over_limit()
    result.figure(
        "per-pool max per window / in flight",
        "; ".join(over) if over else "all within the limits",
        "never over",
        not over,
    )
    result.figure("enriched", str(sum(enriched)), str(len(dois)), sum(enriched) == len(dois))
    result.tables.append(up.table("Requests per pool", bound, offset_s))
    result.data["shows"] = (
        f"Four workers with one session each stay at the fleet-wide limits: {ratio:.2f}x the "
        f"bound, {up.too_many} 429s."
    )
    return result


def real_limit_below(
    stack: BenchStack,
    corpus: Corpus,
    crossref: list[str],
    mixed: list[str],
    expected: dict[str, int],
) -> ScenarioResult:
    """8: the stand-in enforces less than the service is configured for, and says nothing."""
    result = ScenarioResult("below", "8. A real limit below the configured one, no headers")
    cases = (
        ("Crossref list really 2/s, 2 in flight", crossref, {"polite-array": CROSSREF_BELOW},
         {"enriched": len(crossref)}),
        ("doi.org really 5/s, 2 in flight", mixed, {"doi.org": DOI_ORG_BELOW}, expected),
    )  # fmt: skip
    try:
        for label, identifiers, real, want in cases:
            _below_case(stack, corpus, result, label, identifiers, real, want)
    finally:
        stack.set_policy(
            limits={p: _triple(limit) for p, limit in DEFAULT_LIMITS.items()}, limit_headers=True
        )
    result.data["shows"] = (
        "Where the real limit is below the configured one and no header says so, the pools "
        "learn it from the first 429s and stay there."
    )
    return result


def _below_case(
    stack: BenchStack,
    corpus: Corpus,
    result: ScenarioResult,
    label: str,
    identifiers: list[str],
    real: dict[str, PoolLimit],
    want: dict[str, int],
) -> None:
    enforced = DEFAULT_LIMITS | real
    stack.set_policy(
        limits={p: _triple(limit) for p, limit in enforced.items()}, limit_headers=False
    )
    stack.flush()
    stack.restart_workers(1)
    measured = measure(stack, identifiers, pool_limits(stack.settings) | real)
    bound = lower_bound(identifiers, corpus, stack.settings, overrides=real)
    one = cold_result("below", label, measured, bound, BELOW_TARGET, want)
    up = measured.upstream
    ratio = measured.run.wall_s / bound.total_s
    result.figure(
        f"{label}: wall / bound at the real limit",
        f"{fmt_s(measured.run.wall_s)} / {fmt_s(bound.total_s)} = {ratio:.2f}",
        f"<= {BELOW_TARGET}",
        ratio <= BELOW_TARGET,
    )
    result.figure(
        f"{label}: 429s", str(up.too_many), f"<= {BELOW_MAX_429}", up.too_many <= BELOW_MAX_429
    )
    outcomes = next(f for f in one.figures if f.label == "outcomes")
    result.figure(f"{label}: outcomes", outcomes.value, outcomes.target, outcomes.passed)
    result.tables.append(up.table(f"Requests per pool, {label}", bound, measured.offset_s))
    result.notes.append(f"{label}: learned limits at the end: {_learned(stack)}.")


def _triple(limit: PoolLimit) -> list[object]:
    return [limit.requests, limit.window_s, limit.in_flight]


def _learned(stack: BenchStack) -> str:
    _, body = stack.stack.request("GET", "/api/queue")
    pools = body.get("pools", {}) if isinstance(body, dict) else {}
    return "; ".join(
        f"{name} {p['learned']['requests']}/{p['learned']['window_s']:g} s and "
        f"{p['learned']['in_flight']} in flight (ceiling {p['ceiling']['requests']}, "
        f"{p['ceiling']['in_flight']}; {p['reason']})"
        for name, p in sorted(pools.items())
    )


def rolling_deploy(stack: BenchStack, corpus: Corpus, dois: list[str]) -> ScenarioResult:
    """9: five SIGTERMs during one session; a new worker starts before each old one stops."""
    stack.restart_workers(1)
    stack.flush()
    time.sleep(0.5)
    started, posted = time.monotonic(), time.time()
    session_id, _ = stack.create_session(dois)
    current = stack.worker_names[0]
    stops = []
    for n in range(RESTARTS):
        _wait_for_percent(stack, session_id, 100 * (n + 1) / (RESTARTS + 2))
        fresh = f"worker-deploy{n + 1}"
        stack.start_worker(fresh)
        began = time.monotonic()
        stack.stop_worker(current)
        stops.append(time.monotonic() - began)
        current = fresh
    wall_s = stack.wait_for([session_id], started)[0]
    final = stack.finals([session_id])[0]
    stats = stack.standin_stats()
    up = Upstream(stats, pool_limits(stack.settings))
    lookups = up.stats["endpoints"]["crossref-list"]["lookups"]
    list_requests = up.pool("polite-array")["requests"]
    per_batch = sum(lookups.values()) / max(list_requests, 1)
    repeated = sum(1 for n in lookups.values() if n > 1)
    twice = repeated / per_batch if per_batch else 0.0
    bound = lower_bound(dois, corpus, stack.settings)
    result = ScenarioResult("deploy", f"9. Five SIGTERMs during one session of {len(dois):,}")
    result.figure("429s", str(up.too_many), f"<= {DEPLOY_MAX_429}", up.too_many <= DEPLOY_MAX_429)
    result.figure(
        "batches fetched twice",
        f"{twice:.1f} ({repeated} DOIs asked twice)",
        f"<= {RESTARTS} (one per restart)",
        twice <= RESTARTS,
    )
    result.figure(
        "enriched", str(final["enriched"]), str(len(dois)), final["enriched"] == len(dois)
    )
    result.figure("wall time (bound without restarts)", f"{fmt_s(wall_s)} ({fmt_s(bound.total_s)})")
    result.tables.append(up.table("Requests per pool", bound, stats["started_at"] - posted))
    result.notes.append(
        "Each SIGTERM stopped its worker in "
        + ", ".join(fmt_s(s) for s in stops)
        + " (requests in flight finish and are saved first; CCO_STOP_GRACE_S caps it)."
    )
    result.data["shows"] = (
        f"A rolling deploy of five restarts costs {up.too_many} 429s and {twice:.1f} batches "
        f"fetched twice."
    )
    return result


def _wait_for_percent(stack: BenchStack, session_id: str, percent: float) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = stack.finals([session_id])[0]
        if status["percent"] >= percent or status["status"] in ("completed", "failed"):
            return
        time.sleep(0.05)
    raise TimeoutError(f"session {session_id} never reached {percent:.0f} %")

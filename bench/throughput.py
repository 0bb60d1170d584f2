"""Scenarios 1-3: cold sessions vs the lower bound, the plain loop, and the warm cache."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from cco_enrich.settings import Settings
from cco_enrich.wiring import pool_limits as service_limits
from tests.standin import Corpus, PoolLimit

from .bound import MAILTO, Bound, lower_bound
from .harness import BenchStack, SessionRun
from .plain import PlainRun, run_plain
from .results import ScenarioResult, fmt_s
from .upstream import Upstream, largest_gaps, pool_limits

CROSSREF_TARGET = 1.1
MIXED_TARGET = 1.5
PLAIN_TARGET = 25.0
WARM_TARGET = 20.0
OUTCOMES = ("enriched", "not_found", "invalid", "skipped", "failed")


@dataclass(frozen=True, slots=True)
class Measured:
    """One session and what the stand-in saw meanwhile (`offset_s`: stand-in clock -> ours)."""

    run: SessionRun
    upstream: Upstream
    offset_s: float
    queue_wait_s: float | None  # in arq's queue before a worker took the job


def measure(
    stack: BenchStack, identifiers: Sequence[str], limits: dict[str, PoolLimit] | None = None
) -> Measured:
    """Reset the stand-in's counters, then run one session to its end (`limits`: what the
    stand-in really enforces, when not its defaults)."""
    stack.reset_standin()
    posted = time.time()
    run = stack.run_session(identifiers)
    stats = stack.standin_stats()
    upstream = Upstream(stats, limits or pool_limits(stack.settings))
    offset_s = stats["started_at"] - posted
    return Measured(run, upstream, offset_s, stack.queue_wait_s(run.session_id))


def _outcomes(final: dict[str, object]) -> str:
    return ", ".join(f"{final.get(k, 0)} {k}" for k in OUTCOMES if final.get(k))


def cold_result(
    key: str,
    title: str,
    measured: Measured,
    bound: Bound,
    target: float,
    expected: dict[str, int],
) -> ScenarioResult:
    result = ScenarioResult(key, title)
    run, up = measured.run, measured.upstream
    ratio = run.wall_s / bound.total_s
    n = sum(expected.values())
    result.figure("wall time, POST -> `completed`", fmt_s(run.wall_s))
    result.figure("lower bound at the limits", fmt_s(bound.total_s))
    result.figure("ours / bound", f"{ratio:.2f}", f"<= {target}", ratio <= target)
    result.figure(
        "upstream requests (best plan)",
        f"{up.requests} ({bound.requests}); {up.requests / n:.3f} per identifier",
    )
    result.figure("429s received", str(up.too_many), "0", up.too_many == 0)
    over = up.over_limit()
    result.figure(
        "per-pool max per window / in flight",
        "; ".join(over) if over else "all within the limits",
        "never over",
        not over,
    )
    wrong = {k: v for k, v in expected.items() if run.final.get(k) != v}
    result.figure(
        "outcomes",
        _outcomes(run.final),
        ", ".join(f"{v} {k}" for k, v in expected.items()),
        not wrong,
    )
    result.tables.append(up.table("Requests per pool", bound, measured.offset_s))
    _explain(result, measured, bound)
    result.data["why"] = _long_pole(measured, bound)
    result.data["shows"] = (
        f"{title.split(' ', 1)[1]}: {fmt_s(run.wall_s)} with {up.requests} upstream requests "
        f"({up.requests / n:.3f} per identifier), {ratio:.2f}x the {fmt_s(bound.total_s)} the "
        f"limits allow at best, with {up.too_many} 429s."
    )
    return result


def _long_pole(measured: Measured, bound: Bound) -> str:
    """Which pool's requests ended last, how fast they went, and the wait in arq's queue."""
    up, offset = measured.upstream, measured.offset_s
    pools = [(max(up.arrivals(p, offset)), p) for p in up.used_pools()]
    if not pools:
        return ""
    last_s, pool = max(pools)
    arrivals = up.arrivals(pool, offset)
    limit = up.limits[pool]
    allowed = limit.requests / limit.window_s
    spread_s = max(arrivals) - min(arrivals)
    rate = (len(arrivals) - 1) / spread_s if spread_s else 0.0
    plan = bound.pools.get(pool)
    best = f", {fmt_s(plan.time_s)} in the best plan" if plan is not None else ""
    text = (
        f"The long pole was `{pool}`: {len(arrivals)} requests from {min(arrivals):.2f} s to "
        f"{last_s:.2f} s, {rate:.1f}/s where the stand-in allows {allowed:.3g}/s"
        f"{best}."
    )
    if measured.queue_wait_s is not None:
        text += (
            f" The job also waited {fmt_s(measured.queue_wait_s)} in arq's queue before a worker "
            "took it."
        )
    return text


def _explain(result: ScenarioResult, measured: Measured, bound: Bound) -> None:
    """Notes on where the time went: bound breakdown, start-up delay, idle gaps, repeats."""
    run, up, offset = measured.run, measured.upstream, measured.offset_s
    parts = [f"RA look-up {fmt_s(bound.ra_latency_s)} (Crossref's pools need not wait)"] + [
        f"{p.pool} {p.requests} x {fmt_s(p.latency_s)} -> {fmt_s(p.time_s)}"
        for p in bound.pools.values()
        if p.requests
    ]
    if bound.chain_s:
        parts.append(f"batch -> /ra/ chain for left-out DOIs {fmt_s(bound.chain_s)}")
    result.notes.append("Bound: " + "; ".join(parts) + ".")
    first, last = up.first_arrival(offset), up.last_arrival(offset)
    if first is not None and last is not None:
        result.notes.append(
            f"Timeline: POST answered after {fmt_s(run.post_s)}; {_queued(measured)}; "
            f"first upstream request at "
            f"{fmt_s(first)}; last request arrived at {fmt_s(last)}; `completed` seen at "
            f"{fmt_s(run.wall_s)}."
        )
    for pool in up.used_pools():
        gaps = [g for g in largest_gaps(up.arrivals(pool, offset)) if g[1] >= 0.5]
        if gaps:
            text = ", ".join(f"{length:.2f} s after {start:.2f} s" for start, length in gaps)
            result.notes.append(f"Longest idle gaps between `{pool}` requests: {text}.")
    result.notes.append(f"Requests by endpoint: {up.by_endpoint()}.")
    repeats = up.repeated_lookups()
    if repeats:
        text = ", ".join(f"{kind}: {n}" for kind, n in repeats.items())
        result.notes.append(f"DOIs named in more than one request, per endpoint: {text}.")
    result.data["progress"] = run.progress
    result.data["size"] = int(run.final.get("total", 0))
    result.data["wall_s"] = run.wall_s
    result.data["bound_s"] = bound.total_s
    result.data["arrivals"] = {p: up.arrivals(p, offset) for p in up.used_pools()}


def _queued(measured: Measured) -> str:
    if measured.queue_wait_s is None:
        return "the job's wait in arq's queue was not logged"
    return f"the job waited {fmt_s(measured.queue_wait_s)} in arq's queue for a worker"


def crossref_cold(
    stack: BenchStack, corpus: Corpus, dois: list[str]
) -> tuple[ScenarioResult, Measured]:
    """Scenario 1a: a cold session of Crossref DOIs."""
    stack.flush()
    measured = measure(stack, dois)
    bound = lower_bound(dois, corpus, stack.settings)
    title = f"1a. {len(dois):,} Crossref DOIs, cold"
    result = cold_result(
        "crossref", title, measured, bound, CROSSREF_TARGET, {"enriched": len(dois)}
    )
    return result, measured


def mixed_cold(
    stack: BenchStack, corpus: Corpus, identifiers: list[str], expected: dict[str, int]
) -> ScenarioResult:
    """Scenario 1b: a cold mixed session (Crossref, DataCite, other agencies, misses, junk)."""
    stack.flush()
    measured = measure(stack, identifiers)
    bound = lower_bound(identifiers, corpus, stack.settings)
    title = f"1b. A mixed {len(identifiers):,}, cold"
    result = cold_result("mixed", title, measured, bound, MIXED_TARGET, expected)
    own = _service_doi_org_limit()
    configured = lower_bound(identifiers, corpus, stack.settings, doi_org=own)
    result.notes.append(
        f"doi.org publishes no limit. The stand-in allows {stack.settings.doi_rate}/s and "
        f"{stack.settings.doi_in_flight} in flight (the bound above). The service holds RA "
        f"look-ups and content negotiation together to {own.requests}/s and {own.in_flight} in "
        f"flight (`CCO_DOI_ORG_*`); held to that, the bound is {fmt_s(configured.total_s)} and "
        f"ours / bound {measured.run.wall_s / configured.total_s:.2f}."
    )
    return result


def _service_doi_org_limit() -> PoolLimit:
    """The service's own doi.org limit (RA look-ups and content negotiation share it)."""
    limit = service_limits(Settings(mailto=MAILTO)).doi_org
    return PoolLimit(limit.requests, limit.window_s, limit.in_flight)


def warm(stack: BenchStack, dois: list[str], cold: Measured) -> ScenarioResult:
    """Scenario 3: the same DOIs again in a new session; everything should come from the cache."""
    measured = measure(stack, dois)
    result = ScenarioResult("warm", f"3. Warm cache: the same {len(dois):,} Crossref DOIs again")
    speedup = cold.run.wall_s / measured.run.wall_s
    requests = measured.upstream.requests
    result.figure("wall time, cold", fmt_s(cold.run.wall_s))
    result.figure("wall time, warm", fmt_s(measured.run.wall_s))
    result.figure("cold / warm", f"{speedup:.1f}x", f">= {WARM_TARGET:g}x", speedup >= WARM_TARGET)
    result.figure("upstream requests, warm", str(requests), "0", requests == 0)
    result.figure("outcomes", _outcomes(measured.run.final))
    result.notes.append(
        f"Timeline, warm: POST answered after {fmt_s(measured.run.post_s)}; {_queued(measured)}; "
        f"`completed` seen at {fmt_s(measured.run.wall_s)}."
    )
    result.data["progress"] = measured.run.progress
    result.data["size"] = len(dois)
    if measured.queue_wait_s is not None:
        result.data["why"] = (
            f"Of the {fmt_s(measured.run.wall_s)}, {fmt_s(measured.queue_wait_s)} was the job "
            "waiting in arq's queue for a worker to poll it (arq's default `poll_delay` is 0.5 s)."
        )
    result.data["shows"] = (
        f"The same DOIs again come from the cache in {fmt_s(measured.run.wall_s)} "
        f"({speedup:.0f}x faster) with {requests} upstream requests."
    )
    return result


def plain(
    stack: BenchStack, dois: list[str], ours: Measured, budget_s: float, *, sample: int
) -> ScenarioResult:
    """Scenario 2: the plain loop over the same DOIs against the same stand-in."""
    stack.reset_standin()
    loop: PlainRun = run_plain(
        f"{stack.stack.standin}/crossref", dois, budget_s=budget_s, sample=sample
    )
    up = Upstream(stack.standin_stats(), pool_limits(stack.settings))
    result = ScenarioResult("plain", f"2. The plain loop over the same {len(dois):,} DOIs")
    ratio = loop.total_s / ours.run.wall_s
    how = (
        f"extrapolated from {loop.done} DOIs in {fmt_s(loop.elapsed_s)}"
        if loop.sampled
        else f"all {loop.done} DOIs"
    )
    result.figure("plain loop time", f"{fmt_s(loop.total_s)} ({how})")
    result.figure("ours (1a)", fmt_s(ours.run.wall_s))
    result.figure("plain / ours", f"{ratio:.1f}x", f">= {PLAIN_TARGET:g}x", ratio >= PLAIN_TARGET)
    result.figure(
        "plain requests per DOI",
        f"{up.requests / max(loop.done, 1):.2f} ({up.requests} for {loop.done} DOIs)",
    )
    result.figure("429s received by the loop", str(up.too_many), "0", up.too_many == 0)
    statuses = ", ".join(f"{n} x {s}" for s, n in sorted(loop.statuses.items()))
    result.notes.append(
        f"Sequential `GET /crossref/works/{{doi}}?mailto=...`, a new connection each, "
        f"User-Agent `python-requests/... habanero/... (mailto:...)`. Answers: {statuses}. "
        f"Each request waits out the stand-in's {fmt_s(stack.settings.latency_s(1))} latency."
    )
    result.data["progress"] = loop.progress
    result.data["size"] = loop.total
    result.data["shows"] = (
        f"The plain one-request-per-DOI loop needs {fmt_s(loop.total_s)} for the same DOIs "
        f"against the same stand-in: batching under the limits makes ours {ratio:.0f}x faster."
    )
    result.data["total_s"] = loop.total_s
    result.data["sampled"] = loop.sampled
    return result

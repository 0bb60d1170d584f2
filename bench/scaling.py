"""Scenario 4: our own cost per DOI (worker CPU, Redis bytes, memory) as sessions grow.

The stand-in answers at once and never refuses (`--no-limits`), so what is left is our cost. Each
size gets an empty Redis (nothing cached) and a fresh worker process (so its peak RSS is its own).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from tests.standin import Corpus

from .harness import BenchStack, Sampler, StandinSettings, vm_hwm_bytes
from .inputs import build_corpus, crossref_sets, write_corpus
from .results import ScenarioResult, Table, fmt_bytes, fmt_s

GROWTH_TARGET = 1.5
MEMORY_TARGET_MB = 300
IDLE_PROBE_S = 6.0
SETTINGS = StandinSettings(latency_base_s=0.0, latency_per_item_s=0.0, limits=False)


@dataclass(frozen=True, slots=True)
class SizeCost:
    """What one session of `size` DOIs cost us."""

    size: int
    wall_s: float
    worker_cpu_s: float
    api_cpu_s: float
    redis_in_bytes: int
    redis_memory_bytes: int
    peak_rss_bytes: int
    requests: int

    @property
    def cpu_ms_per_doi(self) -> float:
        return 1000 * self.worker_cpu_s / self.size

    @property
    def bytes_per_doi(self) -> float:
        return self.redis_in_bytes / self.size

    @property
    def memory_per_doi(self) -> float:
        return self.redis_memory_bytes / self.size


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def measure_size(stack: BenchStack, dois: Sequence[str]) -> SizeCost:
    """One session on an empty Redis and a fresh worker."""
    stack.flush()
    stack.stop_worker("worker")
    stack.start_worker("worker")
    worker, api = stack.process("worker"), stack.process("api")
    time.sleep(1.0)  # let the worker's start-up (imports, first cron run) finish
    before = stack.redis_info()
    worker_cpu, api_cpu = _cpu_s(worker), _cpu_s(api)
    with Sampler(worker) as sampler:
        run = stack.run_session(dois)
    worker_cpu, api_cpu = _cpu_s(worker) - worker_cpu, _cpu_s(api) - api_cpu
    after = stack.redis_info()
    peak = max(sampler.peak_rss, vm_hwm_bytes(worker.pid) or 0)
    if run.final.get("status") != "completed":
        raise RuntimeError(f"the {len(dois)}-DOI session ended {run.final}")
    return SizeCost(
        size=len(dois),
        wall_s=run.wall_s,
        worker_cpu_s=worker_cpu,
        api_cpu_s=api_cpu,
        redis_in_bytes=after["total_net_input_bytes"] - before["total_net_input_bytes"],
        redis_memory_bytes=after["used_memory"] - before["used_memory"],
        peak_rss_bytes=peak,
        requests=sum(p["requests"] for p in stack.standin_stats()["pools"].values()),
    )


def idle_cpu_per_s(stack: BenchStack) -> float:
    """CPU seconds per second an idle worker spends (polling, heartbeats, cron)."""
    worker = stack.process("worker")
    before = _cpu_s(worker)
    time.sleep(IDLE_PROBE_S)
    return (_cpu_s(worker) - before) / IDLE_PROBE_S


def run_scaling(
    directory: Path, sizes: Sequence[int], sessions: int | None
) -> list[ScenarioResult]:
    """Scenario 4 in a stack of its own (zero latency, no limits); then, when `sessions` is
    given, scenario 10 on the same stack."""
    corpus: Corpus = build_corpus(max(sizes), None)
    corpus_path = write_corpus(corpus, directory / "corpus-scaling.json")
    env = {"CCO_MAX_IDENTIFIERS": str(max(sizes) * 2), "CCO_MAX_UPLOAD_BYTES": "50000000"}
    stack = BenchStack(directory / "scaling", corpus_path, SETTINGS, env)
    stack.start()
    try:
        time.sleep(1.0)  # past the worker's start-up
        idle = idle_cpu_per_s(stack)
        dois = crossref_sets(corpus, max(sizes), 1)[0]
        costs = [measure_size(stack, dois[:size]) for size in sizes]
        results = [_result(costs, idle)]
        if sessions:
            results.append(one_doi_sessions(stack, dois[:sessions]))
    finally:
        stack.stop()
    return results


def one_doi_sessions(stack: BenchStack, dois: Sequence[str]) -> ScenarioResult:
    """Scenario 10: a session per DOI, all at once: the per-session overhead."""
    stack.flush()
    time.sleep(0.5)
    worker = stack.process("worker")
    cpu = _cpu_s(worker)
    started = time.monotonic()
    ids = stack.create_sessions([[doi] for doi in dois])
    posted_s = time.monotonic() - started
    ends = stack.wait_for(ids, started)
    cpu = _cpu_s(worker) - cpu
    finals = stack.finals(ids)
    completed = sum(1 for f in finals if f["status"] == "completed" and f["enriched"] == 1)
    wall_s = max(ends)
    n = len(dois)
    result = ScenarioResult("sessions", f"10. {n:,} sessions of one DOI each, at once")
    result.figure(
        "sessions completed, each its DOI enriched", f"{completed:,}", f"{n:,}", completed == n
    )
    result.figure(
        "throughput, first POST -> last completed",
        f"{n / wall_s:.0f} sessions/s ({fmt_s(wall_s)} for {n:,})",
    )
    result.figure("POSTs alone (8 clients)", f"{n / posted_s:.0f} sessions/s ({fmt_s(posted_s)})")
    result.figure("worker CPU per session", f"{1000 * cpu / n:.2f} ms")
    result.figure(
        "upstream requests",
        str(sum(p["requests"] for p in stack.standin_stats()["pools"].values())),
    )
    result.data["shows"] = (
        f"{n:,} one-DOI sessions all complete, at {n / wall_s:.0f} sessions/s end to end "
        f"({1000 * cpu / n:.2f} ms of worker CPU each)."
    )
    return result


def _result(costs: list[SizeCost], idle_cpu: float) -> ScenarioResult:
    # Flat from 1,000 up: the smallest size shows the fixed cost per session, not per DOI.
    small, large = costs[1 if len(costs) > 2 else 0], costs[-1]
    result = ScenarioResult(
        "scaling", f"4. Our own cost per DOI: sessions of {', '.join(f'{c.size:,}' for c in costs)}"
    )
    cpu_growth = large.cpu_ms_per_doi / small.cpu_ms_per_doi
    bytes_growth = large.bytes_per_doi / small.bytes_per_doi
    at = f"at {large.size:,} vs {small.size:,}"
    result.figure(
        f"worker CPU per DOI {at}",
        f"{large.cpu_ms_per_doi:.2f} ms vs {small.cpu_ms_per_doi:.2f} ms ({cpu_growth:.2f}x)",
        f"<= {GROWTH_TARGET}x",
        cpu_growth <= GROWTH_TARGET,
    )
    result.figure(
        f"Redis bytes written per DOI {at}",
        f"{large.bytes_per_doi:,.0f} B vs {small.bytes_per_doi:,.0f} B ({bytes_growth:.2f}x)",
        f"<= {GROWTH_TARGET}x",
        bytes_growth <= GROWTH_TARGET,
    )
    peak_mb = large.peak_rss_bytes / 1e6
    result.figure(
        f"peak worker RSS at {large.size:,}",
        f"{peak_mb:.0f} MB",
        f"< {MEMORY_TARGET_MB} MB",
        peak_mb < MEMORY_TARGET_MB,
    )
    rows = [
        (
            f"{c.size:,}",
            fmt_s(c.wall_s),
            f"{c.worker_cpu_s:.2f} s",
            f"{c.cpu_ms_per_doi:.2f} ms",
            f"{1000 * c.api_cpu_s / c.size:.2f} ms",
            fmt_bytes(c.redis_in_bytes),
            f"{c.bytes_per_doi:,.0f} B",
            f"{fmt_bytes(c.redis_memory_bytes)} ({c.memory_per_doi:,.0f} B/DOI)",
            f"{c.peak_rss_bytes / 1e6:.0f} MB",
            str(c.requests),
        )
        for c in costs
    ]
    header = (
        "DOIs",
        "wall",
        "worker CPU",
        "worker CPU/DOI",
        "API CPU/DOI",
        "Redis bytes in",
        "bytes in/DOI",
        "Redis used_memory delta",
        "peak worker RSS",
        "upstream requests",
    )
    result.tables.append(Table("Cost per session size", header, rows))
    result.notes.append(
        f"An idle worker spends {1000 * idle_cpu:.1f} ms CPU per second (measured over "
        f"{IDLE_PROBE_S:g} s before the first session: arq polling, heartbeat); at the "
        f"{fmt_s(large.wall_s)} the largest session takes, "
        f"that is {1000 * idle_cpu * large.wall_s / large.size:.2f} ms per DOI of the figure above."
    )
    result.notes.append(
        "Wall time here is set by the client's own pacing (Crossref list pool 3/s, which the "
        "stand-in still announces in its headers), not by CPU."
    )
    result.data["shows"] = (
        f"Our own cost per DOI stays flat with size: {small.cpu_ms_per_doi:.2f} ms worker CPU and "
        f"{small.bytes_per_doi:,.0f} B written to Redis per DOI at {small.size:,}, "
        f"{large.cpu_ms_per_doi:.2f} ms and {large.bytes_per_doi:,.0f} B at {large.size:,}, "
        f"with the worker peaking at {peak_mb:.0f} MB."
    )
    result.data["costs"] = [
        {
            "size": c.size,
            "cpu_ms_per_doi": c.cpu_ms_per_doi,
            "bytes_per_doi": c.bytes_per_doi,
            "memory_per_doi": c.memory_per_doi,
            "peak_rss_mb": c.peak_rss_bytes / 1e6,
        }
        for c in costs
    ]
    return result

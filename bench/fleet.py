"""Scenario 6: four workers and four sessions at once share the upstream limits through Redis.

The same four sessions run three times against one stand-in, on an empty Redis each time:
- A: one worker, which runs all four at once (CCO_WORKER_MAX_JOBS=10, the default);
- B: four workers with the default settings (arq lets the first worker to poll take every job);
- C: four workers with CCO_WORKER_MAX_JOBS=1, so each runs one session: four processes send
  requests at the same time, and only the limits shared through Redis keep them in line.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from tests.standin import Corpus

from .bound import lower_bound
from .harness import BenchStack, SessionRun
from .results import ScenarioResult, fmt_s
from .upstream import Upstream, pool_limits

WORKERS = 4
NOISE = 1.05  # "no slower" allows 5 % run-to-run noise
START_MARK = "→ session"


@dataclass(frozen=True, slots=True)
class FleetRun:
    """One run of the four sessions."""

    label: str
    offset_s: float  # stand-in clock -> seconds after the first POST
    total_s: float
    runs: list[SessionRun]
    upstream: Upstream
    spread: dict[str, int]  # sessions started per worker


def _session_starts(stack: BenchStack) -> dict[str, int]:
    return {
        name: (stack.directory / f"{name}.log").read_text(errors="replace").count(START_MARK)
        for name in stack.worker_names
    }


def _run(stack: BenchStack, label: str, sets: Sequence[list[str]]) -> FleetRun:
    stack.flush()
    time.sleep(1.0)  # every worker has polled the queue once before the sessions arrive
    before = _session_starts(stack)
    posted = time.time()
    total_s, runs = stack.run_sessions(sets)
    after = _session_starts(stack)
    spread = {name: after[name] - before.get(name, 0) for name in after}
    stats = stack.standin_stats()
    upstream = Upstream(stats, pool_limits(stack.settings))
    return FleetRun(label, stats["started_at"] - posted, total_s, runs, upstream, spread)


def run_fleet(stack: BenchStack, corpus: Corpus, sets: Sequence[list[str]]) -> ScenarioResult:
    """Scenario 6 on the main stack; it leaves the stack with one default worker again."""
    try:
        stack.restart_workers(1)
        one = _run(stack, "A: 1 worker", sets)
        stack.restart_workers(WORKERS)
        many = _run(stack, f"B: {WORKERS} workers, default max_jobs", sets)
        stack.restart_workers(WORKERS, {"CCO_WORKER_MAX_JOBS": "1"})
        split = _run(stack, f"C: {WORKERS} workers, CCO_WORKER_MAX_JOBS=1", sets)
    finally:
        stack.restart_workers(1)
    bound = lower_bound([d for dois in sets for d in dois], corpus, stack.settings)
    n = sum(len(dois) for dois in sets)
    result = ScenarioResult(
        "fleet", f"6. Shared limits: {WORKERS} workers, {len(sets)} sessions of {len(sets[0]):,}"
    )
    for run in (one, many, split):
        over = run.upstream.over_limit()
        result.figure(
            f"{run.label}: 429s received",
            str(run.upstream.too_many),
            "0",
            not run.upstream.too_many,
        )
        result.figure(
            f"{run.label}: per-pool max per window / in flight",
            "; ".join(over) if over else "all within the limits",
            "never over",
            not over,
        )
    for run in (many, split):
        ratio = run.total_s / one.total_s
        result.figure(
            f"{run.label}: total time vs 1 worker",
            f"{fmt_s(run.total_s)} vs {fmt_s(one.total_s)} ({ratio:.2f}x)",
            "no slower (<= 1.05x)",
            ratio <= NOISE,
        )
    result.figure(
        f"lower bound for all {n:,} DOIs at the limits",
        f"{fmt_s(bound.total_s)}; A / bound {one.total_s / bound.total_s:.2f}, "
        f"C / bound {split.total_s / bound.total_s:.2f}",
    )
    for run in (one, many, split):
        result.tables.append(
            run.upstream.table(f"Requests per pool, {run.label}", bound, run.offset_s)
        )
        ends = ", ".join(fmt_s(r.wall_s) for r in run.runs)
        spread = ", ".join(f"{name} {count}" for name, count in run.spread.items())
        finals = ", ".join(str(r.final.get("status")) for r in run.runs)
        result.notes.append(
            f"{run.label}: sessions started per worker: {spread}; each session ended at {ends} "
            f"after the first POST ({finals})."
        )
    result.data["shows"] = (
        f"{WORKERS} worker processes, one session each, share the limits through Redis: "
        f"{split.upstream.too_many} 429s, "
        f"{'no pool over its limit' if not split.upstream.over_limit() else 'pools over limit'}, "
        f"and {fmt_s(split.total_s)} for {n:,} DOIs against {fmt_s(one.total_s)} with one worker."
    )
    return result

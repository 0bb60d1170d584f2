"""`python -m bench`: run every scenario in one go and write docs/benchmarks.md and .png.

    .venv/bin/python -m bench                 # the full run (about 10 minutes on 2 cores)
    .venv/bin/python -m bench --quick         # smaller sizes, a smoke run of a minute or two
    .venv/bin/python -m bench --only fleet    # one scenario (plain and warm also run crossref)
    .venv/bin/python -m bench --only small --only below   # scenarios of the 1 s latency stack

Never run two at once: every figure assumes the machine is otherwise idle.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from .fleet import run_fleet
from .harness import BenchStack, StandinSettings
from .identifiers import run_identifiers
from .inputs import MixedCounts, build_corpus, crossref_sets, mixed_list, write_corpus
from .landing import run_landing
from .latency import run_latency
from .plot import write_plot
from .report import RunInfo, write_report
from .results import ScenarioResult
from .scaling import SETTINGS as SCALING_SETTINGS
from .scaling import run_scaling
from .throughput import crossref_cold, mixed_cold, plain, warm
from .traffic import (
    SLOW_SETTINGS,
    crossref_slow,
    four_workers,
    real_limit_below,
    rolling_deploy,
    small_sessions,
)

SCENARIOS = (
    "crossref",
    "mixed",
    "plain",
    "warm",
    "scaling",
    "latency",
    "fleet",
    "crossref-slow",
    "small",
    "fleet250",
    "below",
    "deploy",
    "sessions",
    "landing",
    "identifiers",
)
SLOW_SCENARIOS = {"crossref-slow", "small", "fleet250", "below", "deploy"}
# Scenarios that start a stack of their own.
OWN_STACKS = {"scaling", "sessions", "landing", "identifiers", *SLOW_SCENARIOS}
MAIN_SETTINGS = StandinSettings(latency_base_s=0.25, latency_per_item_s=0.004)


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big each scenario is: the full run or `--quick`."""

    session: int  # DOIs per session in scenarios 1-3, 5 and 6
    scaling: tuple[int, ...]
    idle_s: float  # idle latency sampling
    plain_budget_s: float  # run the plain loop on everything if it fits, else a sample
    plain_sample: int
    deploy: int  # DOIs of the session that lives through five restarts
    sessions: int  # one-DOI sessions at once

    @classmethod
    def full(cls) -> Sizes:
        return cls(1000, (100, 1000, 10000), 10.0, 360.0, 200, 3000, 1000)

    @classmethod
    def quick(cls) -> Sizes:
        return cls(200, (100, 500, 2000), 4.0, 10.0, 40, 600, 200)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument(
        "--only",
        action="append",
        choices=SCENARIOS,
        metavar="SCENARIO",
        help=f"run only these (repeatable): {', '.join(SCENARIOS)}",
    )
    parser.add_argument("--out", type=Path, default=Path("docs"), help="where the report goes")
    parser.add_argument("--keep", action="store_true", help="keep the logs directory")
    return parser


def _announce(result: ScenarioResult) -> ScenarioResult:
    print(f"\n== {result.title}", flush=True)
    for f in result.figures:
        verdict = f" [{f.verdict.strip('*')}: {f.target}]" if f.verdict else ""
        print(f"   {f.label}: {f.value}{verdict}", flush=True)
    return result


def _main_stack(
    directory: Path, sizes: Sizes, wanted: set[str], results: list[ScenarioResult]
) -> None:
    """Scenarios 1-3, 5 and 6: one stack with the 2026 limits and latency."""
    mixed_counts = MixedCounts.scaled(sizes.session)
    corpus = build_corpus(sizes.session * 5, mixed_counts)
    corpus_path = write_corpus(corpus, directory / "corpus.json")
    sets = crossref_sets(corpus, sizes.session, 5)
    stack = BenchStack(directory / "main", corpus_path, MAIN_SETTINGS)
    stack.start()
    try:
        if wanted & {"crossref", "plain", "warm"}:
            cold, measured = crossref_cold(stack, corpus, sets[0])
            results.append(_announce(cold))
            if "warm" in wanted:
                results.append(_announce(warm(stack, sets[0], measured)))
        if "mixed" in wanted:
            identifiers = mixed_list(corpus, mixed_counts, sets[1])
            expected = {
                "enriched": mixed_counts.crossref + mixed_counts.datacite + mixed_counts.other,
                "not_found": mixed_counts.not_found,
                "invalid": mixed_counts.invalid,
            }
            results.append(_announce(mixed_cold(stack, corpus, identifiers, expected)))
        if "plain" in wanted:
            print("\n.. the plain loop (minutes)", flush=True)
            loop = plain(stack, sets[0], measured, sizes.plain_budget_s, sample=sizes.plain_sample)
            results.append(_announce(loop))
        if "latency" in wanted:
            results.append(_announce(run_latency(stack, sets, sizes.idle_s)))
        if "fleet" in wanted:
            results.append(_announce(run_fleet(stack, corpus, sets[:4])))
    finally:
        stack.stop()


def _slow_stack(
    directory: Path, sizes: Sizes, wanted: set[str], results: list[ScenarioResult]
) -> None:
    """Scenarios 7-9: one stack at 1 s latency, workers restarted as each scenario needs."""
    mixed_counts = MixedCounts.scaled(sizes.session)
    corpus = build_corpus(sizes.session * 5, mixed_counts)
    corpus_path = write_corpus(corpus, directory / "corpus-slow.json")
    sets = crossref_sets(corpus, sizes.session, 5)
    stack = BenchStack(directory / "slow", corpus_path, SLOW_SETTINGS)
    stack.start()
    try:
        if "crossref-slow" in wanted:
            results.append(_announce(crossref_slow(stack, corpus, sets[0])))
        if "small" in wanted:
            results.append(_announce(small_sessions(stack, corpus, sets[1])))
        if "fleet250" in wanted:
            results.append(_announce(four_workers(stack, corpus, sets[2])))
        if "below" in wanted:
            expected = {
                "enriched": mixed_counts.crossref + mixed_counts.datacite + mixed_counts.other,
                "not_found": mixed_counts.not_found,
                "invalid": mixed_counts.invalid,
            }
            mixed = mixed_list(corpus, mixed_counts, sets[4])
            results.append(_announce(real_limit_below(stack, corpus, sets[3], mixed, expected)))
        if "deploy" in wanted:
            dois = [doi for chunk in sets for doi in chunk][: sizes.deploy]
            results.append(_announce(rolling_deploy(stack, corpus, dois)))
    finally:
        stack.stop()


def _order(result: ScenarioResult) -> tuple[int, str]:
    """ "7b. ..." -> (7, "b"): scenarios in their numbers' order (10 after 9)."""
    number = result.title.split(".", 1)[0]
    digits = "".join(c for c in number if c.isdigit())
    return int(digits or 0), number[len(digits) :]


def _settings(sizes: Sizes) -> list[tuple[str, str]]:
    mixed = MixedCounts.scaled(sizes.session)
    return [
        ("stand-in, scenarios 1-3, 5, 6", MAIN_SETTINGS.describe()),
        ("stand-in, scenarios 4 and 10", SCALING_SETTINGS.describe()),
        (
            "stand-in, scenarios 7-9",
            SLOW_SETTINGS.describe() + "; scenario 8 lowers one pool's real limit (below)",
        ),
        (
            "service",
            "defaults of `cco_enrich/settings.py`, `CCO_MAILTO` set (polite pools); one worker "
            "(`CCO_WORKER_MAX_JOBS=100`) unless said; one API process (uvicorn)",
        ),
        ("Redis", "a private `redis-server`, `appendonly yes`, `appendfsync everysec`"),
        ("mixed list", mixed.describe() + ", shuffled"),
        (
            "corpus",
            "`tests.standin.make_corpus` (seed 20261122, 10 prefixes per agency); Crossref "
            "lists include its hard cases (SICI DOIs, a DOI with a comma, ...)",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes = Sizes.quick() if args.quick else Sizes.full()
    wanted = set(args.only or SCENARIOS)
    directory = Path(tempfile.mkdtemp(prefix="cco-bench-"))
    print(f"logs and raw results: {directory}", flush=True)
    started = time.monotonic()
    results: list[ScenarioResult] = []
    ok = False
    try:
        if wanted - OWN_STACKS:
            _main_stack(directory, sizes, wanted, results)
        if wanted & SLOW_SCENARIOS:
            _slow_stack(directory, sizes, wanted, results)
        if "landing" in wanted:
            print("\n.. landing pages: 1,000 URLs over 20 hosts (about a minute)", flush=True)
            results.append(_announce(run_landing(directory, MAIN_SETTINGS)))
        if "identifiers" in wanted:
            results.append(_announce(run_identifiers(directory, MAIN_SETTINGS)))
        if wanted & {"scaling", "sessions"}:
            print("\n.. scaling: sessions of " + ", ".join(map(str, sizes.scaling)), flush=True)
            sessions = sizes.sessions if "sessions" in wanted else None
            for result in run_scaling(directory, sizes.scaling, sessions):
                results.append(_announce(result))
        ok = True
    finally:
        (directory / "results.json").write_text(
            json.dumps([asdict(r) for r in results], indent=1, default=str)
        )
        if not ok:
            print(f"\nthe benchmark failed; logs are in {directory}", file=sys.stderr)
    results.sort(key=_order)  # "1a", "1b", "2", ... "10"
    command = " ".join([".venv/bin/python -m bench", *map(shlex.quote, argv or sys.argv[1:])])
    info = RunInfo(
        date=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        command=command.strip(),
        duration_s=time.monotonic() - started,
        settings=_settings(sizes),
        partial=args.quick or args.only is not None,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    report = write_report(results, info, args.out / "benchmarks.md")
    plot = write_plot(results, args.out / "benchmarks.png")
    print(f"\nwrote {report}" + (f" and {plot}" if plot else ""))
    if not args.keep:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""docs/benchmarks.md: the machine, the settings, one table per scenario, and what it shows."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from .results import ScenarioResult, Table


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Everything about the run that is not a measurement."""

    date: str
    command: str
    duration_s: float
    settings: list[tuple[str, str]]
    partial: bool


def machine() -> list[tuple[str, str]]:
    """CPU model, cores, RAM, OS, Python and Redis versions."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        redis_version = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True, check=True
        ).stdout.split()[2]
    except (OSError, subprocess.CalledProcessError, IndexError):
        redis_version = "unknown"
    return [
        ("CPU", cpu),
        ("cores", str(os.cpu_count())),
        ("RAM", f"{psutil.virtual_memory().total / 2**30:.1f} GiB"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", sys.version.split()[0]),
        ("Redis", redis_version.removeprefix("v=")),
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(map(_cell, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in rows]
    return lines


def _scenario(result: ScenarioResult) -> list[str]:
    lines = [f"## {result.title}", ""]
    rows = [(f.label, f.value, f.target, f.verdict) for f in result.figures]
    lines += _table(("figure", "measured", "target", ""), rows)
    for table in result.tables:
        lines += ["", f"*{table.title}*", ""]
        lines += _detail(table)
    if result.notes:
        lines.append("")
        lines += [f"- {note}" for note in result.notes]
    return [*lines, ""]


def _detail(table: Table) -> list[str]:
    return _table(table.header, table.rows)


def _summary(results: list[ScenarioResult]) -> list[str]:
    rows = [
        (result.title.split(" ", 1)[0].rstrip("."), f.label, f.value, f.target, f.verdict)
        for result in results
        for f in result.figures
        if f.passed is not None
    ]
    return _table(("#", "figure", "measured", "target", ""), rows)


def what_it_shows(results: list[ScenarioResult]) -> list[str]:
    """The "What this shows" paragraphs: each scenario's one-line reading, then the misses."""
    readings = [str(r.data["shows"]) for r in results if r.data.get("shows")]
    paragraphs = [" ".join(readings)] if readings else []
    for result in results:
        if result.misses:
            missed = "; ".join(f"{f.label} {f.value} (target {f.target})" for f in result.misses)
            why = f" {result.data['why']}" if result.data.get("why") else ""
            paragraphs.append(f"**Missed in {result.title}:** {missed}.{why}")
    if not any(r.misses for r in results):
        paragraphs.append("Every target passed.")
    return paragraphs


def write_report(results: list[ScenarioResult], info: RunInfo, path: Path) -> Path:
    """Write the whole report."""
    targets = [f for r in results for f in r.figures if f.passed is not None]
    passed = sum(1 for f in targets if f.passed)
    lines = [
        "# Benchmarks",
        "",
        f"Measured on {info.date} by `{info.command}` in {info.duration_s / 60:.1f} minutes: "
        f"**{passed} of {len(targets)} targets pass**."
        + (" This was a partial run (`--only` or `--quick`)." if info.partial else ""),
        "Every figure comes from one run on one machine, against the stand-in registries of "
        "`tests/standin/` on 127.0.0.1 (no real registry is contacted).",
        "",
        "## Machine and settings",
        "",
    ]
    lines += _table(("", ""), [*machine(), *info.settings])
    lines += ["", "![Progress over time and cost per DOI](benchmarks.png)", ""]
    lines += ["## Summary of targets", "", *_summary(results), ""]
    for result in results:
        lines += _scenario(result)
    lines += ["## What this shows", ""]
    for paragraph in what_it_shows(results):
        lines += [paragraph, ""]
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return path

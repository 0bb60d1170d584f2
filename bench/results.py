"""What a scenario measured: headline figures checked against their targets, tables, notes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure; `passed` is None when it has no target."""

    label: str
    value: str
    target: str = ""
    passed: bool | None = None

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return ""
        return "PASS" if self.passed else "**MISS**"


@dataclass(frozen=True, slots=True)
class Table:
    """A detail table (per pool, per size, ...) printed under the scenario's figures."""

    title: str
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


@dataclass(slots=True)
class ScenarioResult:
    """One scenario: its figures, detail tables, observations, and raw data for the plot."""

    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def figure(self, label: str, value: str, target: str = "", passed: bool | None = None) -> None:
        self.figures.append(Figure(label, value, target, passed))

    @property
    def misses(self) -> list[Figure]:
        return [f for f in self.figures if f.passed is False]


def fmt_s(seconds: float) -> str:
    """Seconds with sensible precision: 0.0123 s -> '12.3 ms', 4.56 -> '4.56 s'."""
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 100:
        return f"{seconds:.2f} s"
    return f"{seconds:.0f} s"


def fmt_bytes(count: float) -> str:
    for unit, size in (("MB", 1e6), ("kB", 1e3)):
        if abs(count) >= size:
            return f"{count / size:.2f} {unit}"
    return f"{count:.0f} B"

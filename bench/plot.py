"""docs/benchmarks.png: progress over time (ours, warm, plain loop) and cost per DOI vs size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .results import ScenarioResult

OURS, PLAIN, WARM, BOUND = "#1f77b4", "#d62728", "#2ca02c", "#7f7f7f"


def _steps(progress: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    xs, ys = [0.0], [0.0]
    for t, percent in progress:
        xs.append(max(t, 1e-3))
        ys.append(percent)
    return xs, ys


def _progress(ax: Axes, by_key: dict[str, ScenarioResult], *, zoom_s: float | None) -> None:
    """Percent done vs seconds, on a linear axis: the whole plain loop, or the first `zoom_s`."""
    cold, plain, warm = by_key.get("crossref"), by_key.get("plain"), by_key.get("warm")
    if cold is not None:
        xs, ys = _steps(cold.data["progress"])
        ax.step(xs, ys, where="post", color=OURS, lw=2, label=f"cco_enrich, cold: {xs[-1]:.1f} s")
        bound = cold.data["bound_s"]
        ax.axvline(
            bound, color=BOUND, ls=":", lw=1.5, label=f"lower bound at the limits: {bound:.1f} s"
        )
    if warm is not None:
        xs, ys = _steps(warm.data["progress"])
        label = f"cco_enrich, warm cache: {xs[-1]:.2f} s"
        ax.step(xs, ys, where="post", color=WARM, lw=2, label=label)
    if plain is not None:
        xs, ys = _steps(plain.data["progress"])
        label = f"plain loop, one request per DOI: {plain.data['total_s']:.0f} s"
        if plain.data["sampled"]:
            ax.plot([xs[-1], plain.data["total_s"]], [ys[-1], 100], color=PLAIN, ls="--", lw=1.5)
            label += " (extrapolated, dashed)"
        ax.plot(xs, ys, color=PLAIN, lw=2, label=label)
    size = next((r.data["size"] for r in (cold, plain, warm) if r is not None), 0)
    if zoom_s is None:
        ax.set_xlim(0, None)
        ax.set_title(f"{size:,} Crossref DOIs: percent done over time")
        ax.legend(loc="center right", fontsize=8)
    else:
        ax.set_xlim(0, zoom_s)
        ax.set_title(f"the same, first {zoom_s:.0f} s (one step per progress event)")
        _label_lines(ax, cold, warm, plain, zoom_s)
    ax.set_ylim(0, 105)
    ax.set_xlabel("seconds after POST /api/sessions?enrich=true")
    ax.set_ylabel("percent of DOIs done")
    ax.grid(True, alpha=0.3)


def _say(ax: Axes, text: str, xy: tuple[float, float], offset: tuple[int, int], color: str) -> None:
    ha = "right" if offset[0] < 0 else "left"
    ax.annotate(
        text,
        xy,
        xytext=offset,
        textcoords="offset points",
        ha=ha,
        color=color,
        fontsize=9,
        fontweight="bold",
    )


def _label_lines(
    ax: Axes,
    cold: ScenarioResult | None,
    warm: ScenarioResult | None,
    plain: ScenarioResult | None,
    zoom_s: float,
) -> None:
    """Name each line where it ends, instead of a legend over the lines."""
    if warm is not None:
        end = warm.data["progress"][-1][0]
        _say(ax, f"warm cache\n{end:.2f} s", (end, 100), (6, -28), WARM)
    if cold is not None:
        end = cold.data["progress"][-1][0]
        _say(ax, f"cold\n{end:.1f} s", (end, 100), (6, -28), OURS)
        bound = cold.data["bound_s"]
        _say(ax, f"lower bound\n{bound:.1f} s", (bound, 100), (-6, -28), BOUND)
    if plain is not None:
        done = max((pct for t, pct in plain.data["progress"] if t <= zoom_s), default=0.0)
        _say(
            ax,
            f"plain loop: {done:.1f} % done after {zoom_s:.0f} s",
            (zoom_s, done),
            (-8, 8),
            PLAIN,
        )


def _costs(cpu_ax: Axes, bytes_ax: Axes, costs: list[dict[str, Any]]) -> None:
    sizes = [c["size"] for c in costs]
    cpu_ax.plot(sizes, [c["cpu_ms_per_doi"] for c in costs], "o-", color=OURS, lw=2)
    for c in costs:
        cpu_ax.annotate(
            f"{c['cpu_ms_per_doi']:.2f} ms",
            (c["size"], c["cpu_ms_per_doi"]),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=8,
        )
    cpu_ax.set_title("worker CPU per DOI vs session size (stand-in: no latency, no limits)")
    cpu_ax.set_ylabel("CPU ms per DOI")
    cpu_ax.set_ylim(0, max(c["cpu_ms_per_doi"] for c in costs) * 1.3)
    bytes_ax.plot(
        sizes,
        [c["bytes_per_doi"] / 1000 for c in costs],
        "o-",
        color=PLAIN,
        lw=2,
        label="bytes written to Redis (net input)",
    )
    bytes_ax.plot(
        sizes,
        [c["memory_per_doi"] / 1000 for c in costs],
        "s--",
        color=WARM,
        lw=2,
        label="Redis used_memory growth",
    )
    bytes_ax.set_title("Redis cost per DOI vs session size")
    bytes_ax.set_ylabel("kB per DOI")
    top = max(max(c["bytes_per_doi"], c["memory_per_doi"]) for c in costs) / 1000
    bytes_ax.set_ylim(0, top * 1.3)
    bytes_ax.legend(loc="lower right", fontsize=8)
    for ax in (cpu_ax, bytes_ax):
        ax.set_xscale("log")
        ax.set_xticks(sizes, [f"{s:,}" for s in sizes])
        ax.set_xlabel("DOIs in the session (log scale)")
        ax.grid(True, which="both", alpha=0.3)


def write_plot(results: list[ScenarioResult], path: Path) -> Path | None:
    """Draw what the results hold; None when they hold nothing to draw."""
    by_key = {r.key: r for r in results}
    has_progress = any(k in by_key for k in ("crossref", "plain", "warm"))
    scaling = by_key.get("scaling")
    if not has_progress and scaling is None:
        return None
    # A Figure of our own on the Agg canvas: no pyplot, no global backend state.
    fig = Figure(figsize=(13, 9), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 2, height_ratios=[1.2, 1])
    if has_progress:
        _progress(fig.add_subplot(grid[0, 0]), by_key, zoom_s=None)
        cold = by_key.get("crossref")
        zoom_s = 1.4 * cold.data["wall_s"] if cold is not None else 10.0
        _progress(fig.add_subplot(grid[0, 1]), by_key, zoom_s=max(zoom_s, 1.0))
    if scaling is not None:
        _costs(fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1]), scaling.data["costs"])
    fig.suptitle("cco_enrich benchmark (stand-in registries, same machine)", fontsize=13)
    fig.savefig(path, dpi=110)
    return path

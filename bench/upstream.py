"""Reading the stand-in's counters: requests, 429s and peaks per pool, lookups per DOI, timeline."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from tests.standin import Policy, PoolLimit

from .bound import Bound
from .harness import StandinSettings
from .results import Table

POOLS = ("polite-array", "polite-single", "public-array", "public-single", "datacite", "doi.org")


def pool_limits(standin: StandinSettings) -> dict[str, PoolLimit]:
    """The limit the stand-in enforces in each pool."""
    policy = Policy()
    return {
        "polite-array": policy.polite_array,
        "polite-single": policy.polite_single,
        "public-array": policy.public_array,
        "public-single": policy.public_single,
        "datacite": policy.datacite_identified,
        "doi.org": PoolLimit(standin.doi_rate, 1.0, standin.doi_in_flight),
    }


@dataclass(frozen=True, slots=True)
class Upstream:
    """What the stand-in saw during one measurement."""

    stats: dict[str, Any]
    limits: dict[str, PoolLimit]

    def pool(self, name: str) -> dict[str, Any]:
        return self.stats["pools"][name]  # type: ignore[no-any-return]

    @property
    def requests(self) -> int:
        return sum(self.pool(name)["requests"] for name in POOLS)

    @property
    def too_many(self) -> int:
        return sum(self.pool(name)["429s"] for name in POOLS)

    def used_pools(self) -> list[str]:
        return [name for name in POOLS if self.pool(name)["requests"]]

    def over_limit(self) -> list[str]:
        """Pools whose peak rate or concurrency went over the stand-in's limit."""
        over = []
        for name in self.used_pools():
            stats, limit = self.pool(name), self.limits[name]
            if stats["max_per_window"] > limit.requests:
                over.append(f"{name}: {stats['max_per_window']} per {limit.window_s:g} s")
            if limit.in_flight is not None and stats["max_in_flight"] > limit.in_flight:
                over.append(f"{name}: {stats['max_in_flight']} in flight")
        return over

    def repeated_lookups(self) -> dict[str, int]:
        """Per endpoint kind: how many DOIs were named in more than one request."""
        out = {}
        for kind, endpoint in self.stats["endpoints"].items():
            repeats = sum(1 for count in endpoint["lookups"].values() if count > 1)
            if repeats:
                out[kind] = repeats
        return out

    def by_endpoint(self) -> str:
        """Requests per endpoint kind, e.g. "crossref-list 10, doi-ra 1"."""
        return ", ".join(
            f"{kind} {endpoint['requests']}"
            for kind, endpoint in self.stats["endpoints"].items()
            if endpoint["requests"]
        )

    def arrivals(self, name: str, offset_s: float = 0.0) -> list[float]:
        """Arrival times in a pool, shifted by `offset_s` (stand-in clock -> ours)."""
        return [t + offset_s for t in self.pool(name)["arrivals_s"]]

    def first_arrival(self, offset_s: float = 0.0) -> float | None:
        times = [t for name in POOLS for t in self.arrivals(name, offset_s)]
        return min(times) if times else None

    def last_arrival(self, offset_s: float = 0.0) -> float | None:
        times = [t for name in POOLS for t in self.arrivals(name, offset_s)]
        return max(times) if times else None

    def table(self, title: str, bound: Bound | None, offset_s: float = 0.0) -> Table:
        """Per pool: requests (ours and best plan), 429s, peaks vs limits, arrival span."""
        rows = []
        for name in self.used_pools() or ["polite-array"]:
            stats, limit = self.pool(name), self.limits[name]
            best = "" if bound is None else str(_best(bound, name))
            window = "5 min" if limit.window_s == 300 else f"{limit.window_s:g} s"
            in_flight = "no cap" if limit.in_flight is None else str(limit.in_flight)
            arrivals = self.arrivals(name, offset_s)
            span = f"{min(arrivals):.2f}-{max(arrivals):.2f}" if arrivals else ""
            spread_s = max(arrivals) - min(arrivals) if len(arrivals) > 1 else 0.0
            mean_rate = f"{(len(arrivals) - 1) / spread_s:.1f}/s" if spread_s else ""
            rows.append(
                (
                    name,
                    str(stats["requests"]),
                    best,
                    str(stats["429s"]),
                    f"{stats['max_per_window']} / {limit.requests} per {window}",
                    f"{stats['max_in_flight']} / {in_flight}",
                    span,
                    mean_rate,
                )
            )
        header = (
            "pool",
            "requests",
            "best plan",
            "429s",
            "max per window / limit",
            "max in flight / limit",
            "arrivals (s after POST)",
            "mean rate",
        )
        return Table(title, header, rows)


def _best(bound: Bound, pool: str) -> int:
    plan = bound.pools.get(pool)
    requests = plan.requests if plan is not None else 0
    return requests + (bound.ra_requests if pool == "doi.org" else 0)


def largest_gaps(arrivals: list[float], count: int = 3) -> list[tuple[float, float]]:
    """The longest pauses between consecutive arrivals: (start, length), longest first."""
    times = sorted(arrivals)
    gaps = [(a, b - a) for a, b in itertools.pairwise(times)]
    return sorted(gaps, key=lambda gap: gap[1], reverse=True)[:count]

"""What the stand-in observed: requests, answers and peaks per pool; lookups per DOI."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .limits import CROSSREF_POOLS, ENDPOINT_KINDS, Admission, Clock

# Rate-limit pools: Crossref's four as x-api-pool names them, DataCite, doi.org.
POOLS = (*CROSSREF_POOLS, "datacite", "doi.org")


@dataclass(slots=True)
class PoolStats:
    """One pool: what arrived, what it was answered, and the peaks the client reached."""

    requests: int = 0
    responses: Counter[int] = field(default_factory=Counter)
    throttled: int = 0  # 429s the limiter gave; injected 429 faults only show in `responses`
    max_in_flight: int = 0  # refused requests included: this is what the client attempted
    max_per_second: int = 0  # most arrivals in any sliding 1 s window
    max_per_window: int = 0  # most arrivals in the pool's own window (300 s for DataCite)
    arrivals_s: list[float] = field(default_factory=list)  # since the stats started

    @property
    def too_many_requests(self) -> int:
        return self.responses[429]

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "responses": {str(status): n for status, n in sorted(self.responses.items())},
            "429s": self.too_many_requests,
            "throttled": self.throttled,
            "max_in_flight": self.max_in_flight,
            "max_per_1s": self.max_per_second,
            "max_per_window": self.max_per_window,
            "arrivals_s": self.arrivals_s,
        }


@dataclass(slots=True)
class EndpointStats:
    """One endpoint kind: requests, answers, and how often each DOI (lower-case) was asked for."""

    requests: int = 0
    responses: Counter[int] = field(default_factory=Counter)
    lookups: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "responses": {str(status): n for status, n in sorted(self.responses.items())},
            "lookups": dict(self.lookups),
        }


class Stats:
    """Everything observed since start or the last reset(); also served at GET /_standin/stats."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self.pools: dict[str, PoolStats] = {}
        self.endpoints: dict[str, EndpointStats] = {}
        self.reset()

    def reset(self) -> None:
        self.started_at = time.time()
        self._start = self._clock()
        self.pools = {pool: PoolStats() for pool in POOLS}
        self.endpoints = {kind: EndpointStats() for kind in ENDPOINT_KINDS}

    def pool(self, name: str) -> PoolStats:
        return self.pools[name]

    def endpoint(self, kind: str) -> EndpointStats:
        return self.endpoints[kind]

    def lookups(self, kind: str | None = None) -> Counter[str]:
        """How many requests named each DOI: for one endpoint kind, or summed over all."""
        if kind is not None:
            return Counter(self.endpoints[kind].lookups)
        total: Counter[str] = Counter()
        for endpoint in self.endpoints.values():
            total.update(endpoint.lookups)
        return total

    def total_requests(self) -> int:
        return sum(endpoint.requests for endpoint in self.endpoints.values())

    def record_arrival(self, pool: str, kind: str, dois: list[str]) -> None:
        """A request arrived (before any limit or fault decides its fate)."""
        stats = self.pools[pool]
        stats.requests += 1
        stats.arrivals_s.append(round(self._clock() - self._start, 6))
        endpoint = self.endpoints[kind]
        endpoint.requests += 1
        endpoint.lookups.update(dois)

    def record_admission(self, pool: str, admission: Admission) -> None:
        stats = self.pools[pool]
        stats.max_in_flight = max(stats.max_in_flight, admission.in_flight)
        stats.max_per_second = max(stats.max_per_second, admission.per_second)
        stats.max_per_window = max(stats.max_per_window, admission.per_window)
        if not admission.allowed:
            stats.throttled += 1

    def record_response(self, pool: str, kind: str, status: int) -> None:
        self.pools[pool].responses[status] += 1
        self.endpoints[kind].responses[status] += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "pools": {name: stats.to_dict() for name, stats in self.pools.items()},
            "endpoints": {kind: stats.to_dict() for kind, stats in self.endpoints.items()},
        }

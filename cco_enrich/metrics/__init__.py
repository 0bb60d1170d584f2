"""Prometheus instruments of this process, and the calls the rest of the service records through.

Every process, API or worker, keeps its own registry (prometheus_client's default `REGISTRY`):
an instrument counts where the work happens, and nothing in this package talks to Redis. How the
numbers reach Prometheus:
- a worker serves its registry on CCO_WORKER_METRICS_PORT (server.py) and names that port in its
  heartbeat;
- the API serves its own registry on `/metrics`, plus the fleet-wide gauges (sessions by state,
  queue, workers, pool limits) that it reads from Redis at scrape time (api/probes.py), so every
  API process answers them alike.

The names are a contract with the Grafana dashboard (docs/deploy.md, "Metrics"): change one in
all three places. prometheus-client appends `_total` to counter names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

RESOLVED = Counter(
    "cco_resolved",
    "Identifiers resolved, by where the answer came from (a registry, or the cache) and outcome.",
    ["source", "outcome"],
)
UPSTREAM_RESPONSES = Counter(
    "cco_upstream_responses",
    "Upstream answers by pool and HTTP status; `timeout` or `error` when none came.",
    ["pool", "status"],
)
UPSTREAM_RETRIES = Counter(
    "cco_upstream_retries",
    "Upstream requests sent again (after a 429, a 5xx, a timeout or an unreadable answer).",
    ["pool"],
)
BATCH_SIZE = Histogram(
    "cco_batch_size",
    "Identifiers per upstream batch request.",
    ["pool"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
BATCH_DURATION = Histogram(
    "cco_batch_duration_seconds",
    "One upstream batch request, from asking its pool for a slot to the answer (retries included).",
    ["pool"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
CHECKPOINT_DURATION = Histogram(
    "cco_checkpoint_duration_seconds",
    "Saving one batch's outcomes and progress in Redis.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
SESSION_DURATION = Histogram(
    "cco_session_duration_seconds",
    "A session's run, from its job's start to completed, failed or cancelled.",
    ["status"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600),
)
CACHE_LOOKUPS = Counter(
    "cco_cache_lookups", "Outcome-cache look-ups, by result (hit or miss).", ["result"]
)
SSE_CLIENTS = Gauge(
    "cco_sse_clients",
    "Open event streams (GET /api/sessions/{id}/events) in this API process.",
    multiprocess_mode="livesum",
)


class _Limit(Protocol):
    @property
    def per_second(self) -> float: ...

    @property
    def in_flight(self) -> int: ...


class LimitedPool(Protocol):
    """What the gauges read from a pool's limiter (registries.limits.PoolLimiter)."""

    @property
    def limit(self) -> _Limit: ...


class ResolvedResource(Protocol):
    """What the resolved counter reads from a resource (models.Resource)."""

    @property
    def status(self) -> str: ...

    @property
    def registry(self) -> str | None: ...


def upstream_response(pool: str, status: int | str) -> None:
    """Count one upstream answer: its HTTP status, or `timeout` / `error` when none came."""
    UPSTREAM_RESPONSES.labels(pool, str(status)).inc()


def upstream_retry(pool: str) -> None:
    """Count one request about to be sent again."""
    UPSTREAM_RETRIES.labels(pool).inc()


@contextmanager
def batch_request(pool: str, size: int) -> Iterator[None]:
    """Observe one batch request of `size` identifiers, and how long the block takes."""
    BATCH_SIZE.labels(pool).observe(size)
    with BATCH_DURATION.labels(pool).time():
        yield


def cache_lookups(*, hits: int, misses: int) -> None:
    """Count outcome-cache look-ups."""
    if hits:
        CACHE_LOOKUPS.labels("hit").inc(hits)
    if misses:
        CACHE_LOOKUPS.labels("miss").inc(misses)


def resolved(resources: Iterable[ResolvedResource], *, from_cache: bool) -> None:
    """Count resources that just got their outcome, by source (`cache` when it answered)."""
    for resource in resources:
        source = "cache" if from_cache else resource.registry or "none"
        RESOLVED.labels(source, str(resource.status)).inc()


def pool_limits(limiters: Mapping[str, LimitedPool]) -> dict[str, dict[str, float]]:
    """Each pool's current limits, as a worker reports them in its heartbeat."""
    return {
        pool: {"per_second": limiter.limit.per_second, "in_flight": limiter.limit.in_flight}
        for pool, limiter in limiters.items()
    }


def heartbeat_fields(
    limiters: Mapping[str, LimitedPool], metrics_port: int | None
) -> dict[str, Any]:
    """What a worker adds to its heartbeat: where it serves metrics, and its pools' limits."""
    return {"metrics_port": metrics_port, "limits": pool_limits(limiters)}


def pool_limit_families(limits: Mapping[str, Mapping[str, float]]) -> list[Metric]:
    """The `cco_pool_rate_limit` and `cco_pool_in_flight_limit` gauges of these pool limits."""
    if not limits:
        return []
    rate = GaugeMetricFamily(
        "cco_pool_rate_limit",
        "The pool's current limit, requests per second.",
        labels=["pool"],
    )
    in_flight = GaugeMetricFamily(
        "cco_pool_in_flight_limit",
        "The pool's current limit, requests in flight.",
        labels=["pool"],
    )
    for pool, limit in sorted(limits.items()):
        rate.add_metric([pool], limit["per_second"])
        in_flight.add_metric([pool], limit["in_flight"])
    return [rate, in_flight]


class _PoolLimitCollector(Collector):
    """The pool limits of every worker in this process, read at scrape time."""

    def __init__(self) -> None:
        self._watched: dict[int, Mapping[str, LimitedPool]] = {}

    def watch(self, limiters: Mapping[str, LimitedPool]) -> None:
        self._watched[id(limiters)] = limiters

    def unwatch(self, limiters: Mapping[str, LimitedPool]) -> None:
        self._watched.pop(id(limiters), None)

    def describe(self) -> Iterable[Metric]:
        # Nothing to describe up front: the pools are known once a worker starts.
        return []

    def collect(self) -> Iterable[Metric]:
        limits: dict[str, dict[str, float]] = {}
        for limiters in list(self._watched.values()):
            limits.update(pool_limits(limiters))
        return pool_limit_families(limits)


POOL_LIMITS = _PoolLimitCollector()
REGISTRY.register(POOL_LIMITS)


@contextmanager
def watching_pools(limiters: Mapping[str, LimitedPool]) -> Iterator[None]:
    """Export these limiters' current limits from this process while the block runs."""
    POOL_LIMITS.watch(limiters)
    try:
        yield
    finally:
        POOL_LIMITS.unwatch(limiters)

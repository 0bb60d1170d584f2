"""GET /readyz (can this deployment take work?) and GET /metrics (Prometheus text).

`/healthz` stays the liveness probe: it answers while the process runs. `/readyz` answers 200
only when Redis answers and at least one worker's heartbeat is fresh; otherwise 503 names what
is missing. `/metrics` is this process's registry plus the fleet-wide gauges read from Redis at
scrape time (store/fleet.py), so they do not depend on which API process answers.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cco_enrich import metrics
from cco_enrich.api.errors import error_response
from cco_enrich.api.responses import JSONResponse
from cco_enrich.metrics.exposition import (
    CHALLENGE,
    CONTENT_TYPE,
    UNAUTHORISED_MESSAGE,
    is_authorised,
    process_registry,
    render,
)
from cco_enrich.settings import Settings
from cco_enrich.store import (
    STORE_UNAVAILABLE_ERRORS,
    WORKER_HEARTBEAT_TTL_S,
    FleetView,
    SessionStore,
    fleet_view,
)

PROBE_TIMEOUT_S = 2.0
"""How long a probe waits for Redis before it reports Redis as unreachable."""
SCRAPE_TIMEOUT_S = 5.0
"""How long /metrics waits for the fleet's numbers (Prometheus gives a scrape 10 s by default)."""
PROBE_ERRORS: tuple[type[Exception], ...] = (TimeoutError, *STORE_UNAVAILABLE_ERRORS)


def _store(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.api.store
    return store


async def readyz(request: Request) -> Response:
    """200 when Redis answers and a worker's heartbeat is fresh; else 503 naming what is missing."""
    store = _store(request)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            await store.ping()
            answered_ms = _ms(started)
            workers = await store.live_workers()
    except PROBE_ERRORS as exc:
        message = f"Redis is unreachable ({_why(exc)})"
        checks = {
            "redis": {"ok": False, "message": message},
            "workers": {"ok": False, "message": "unknown while Redis is unreachable"},
        }
        return _not_ready(message, checks)
    workers_check = _workers_check(workers)
    checks = {
        "redis": {"ok": True, "message": f"answered in {answered_ms} ms"},
        "workers": workers_check,
    }
    if not workers:
        return _not_ready(workers_check["message"], checks)
    return JSONResponse({"status": "ready", "checks": checks})


def _why(exc: Exception) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {PROBE_TIMEOUT_S:g} s"
    return f"{type(exc).__name__}: {exc}"


def _workers_check(workers: list[dict[str, Any]]) -> dict[str, Any]:
    if not workers:
        message = f"no worker heartbeat in the last {WORKER_HEARTBEAT_TTL_S} s"
        return {"ok": False, "message": message, "count": 0}
    return {"ok": True, "message": f"{len(workers)} live", "count": len(workers)}


def _not_ready(message: str, checks: dict[str, Any]) -> Response:
    return JSONResponse({"error": {"code": "not_ready", "message": message}, "checks": checks}, 503)


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


async def metrics_text(request: Request) -> Response:
    """This process's metrics and the fleet's gauges, in Prometheus text format."""
    settings: Settings = request.app.state.settings
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if not is_authorised(request.headers.get("Authorization"), token):
        response = error_response(401, "unauthorized", UNAUTHORISED_MESSAGE)
        response.headers.update(CHALLENGE)
        return response
    try:
        async with asyncio.timeout(SCRAPE_TIMEOUT_S):
            view: FleetView | None = await fleet_view(_store(request))
    except PROBE_ERRORS:
        view = None
    body = render(process_registry(), fleet_families(view))
    return Response(body, headers={"Content-Type": CONTENT_TYPE})


def fleet_families(view: FleetView | None) -> list[Metric]:
    """The gauges read from Redis; only `cco_redis_up 0` while Redis is unreachable."""
    up = GaugeMetricFamily("cco_redis_up", "1 when this API process reached Redis for the scrape.")
    up.add_metric([], 0 if view is None else 1)
    if view is None:
        return [up]
    sessions = GaugeMetricFamily(
        "cco_sessions", "Live sessions by processing status.", labels=["state"]
    )
    for state, count in view.sessions.items():
        sessions.add_metric([str(state)], count)
    return [
        up,
        sessions,
        _gauge("cco_queue_depth", "Sessions waiting for a worker.", view.queue_depth),
        _gauge(
            "cco_queue_oldest_age_seconds",
            "How long the first session in line has waited (0 when none waits).",
            view.oldest_queued_age_s,
        ),
        _gauge("cco_workers", "Workers with a fresh heartbeat.", len(view.workers)),
        *metrics.pool_limit_families(view.pool_limits()),
    ]


def routes() -> list[Route]:
    """GET /readyz and GET /metrics."""
    return [Route("/readyz", readyz), Route("/metrics", metrics_text)]


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)

"""ServiceState: limits, counts and queued failures of the identifier-service stand-ins.

The NCBI, Open Library and Handle/ARK stand-ins keep their own state next to the registry
stand-in's (their pools are not Crossref's), reusing its exact PoolLimiter and stats records.
Each serves `GET /_standin/<service>/stats` and `POST /_standin/<service>/reset` and
`POST /_standin/<service>/faults` (`{"kind": "esummary", "status": 503, "count": 2}`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import orjson
from aiohttp import web

from .limits import Clock, Policy, PoolLimit, PoolLimiter
from .stats import EndpointStats, PoolStats

_STATUS_CLIENT_GONE = 499
_HTML_ERROR = "<html><body><h1>{status} {reason}</h1></body></html>"

# Where each stand-in listens, below the server's base URL, and the setting that points at it.
SERVICE_PATHS = {
    "CCO_NCBI_EUTILS_URL": "/ncbi/eutils",
    "CCO_NCBI_IDCONV_URL": "/ncbi/idconv/api/v1/articles/",
    "CCO_OPENLIBRARY_URL": "/openlibrary",
    "CCO_HANDLE_URL": "/handle",
    "CCO_ARK_RESOLVER_URL": "/n2t",
}


def service_state(name: str, policy: Policy, clock: Clock) -> ServiceState:
    """A service's state, following the stand-in's Policy (limits on, Retry-After, latency)."""
    return ServiceState(
        name, clock, policy.limits_enabled, policy.retry_after, policy.latency_base_s
    )


def identifier_env(base_url: str) -> dict[str, str]:
    """The CCO_* settings that point cco_enrich's identifier clients at a running stand-in."""
    return {name: base_url.rstrip("/") + path for name, path in SERVICE_PATHS.items()}


@dataclass(slots=True)
class _Failure:
    kind: str  # an endpoint kind, or "*"
    status: int
    remaining: int


@dataclass(slots=True)
class ServiceState:
    """One service: a limiter per pool, what each pool and endpoint saw, failures to inject."""

    name: str
    clock: Clock
    limits_enabled: bool = True
    retry_after: bool = False  # add "Retry-After: 1" to every 429, as the Policy says
    latency_s: float = 0.0  # added to every answer, as the Policy's latency_base_s
    limiters: dict[str, PoolLimiter] = field(default_factory=dict)
    pools: dict[str, PoolStats] = field(default_factory=dict)
    endpoints: dict[str, EndpointStats] = field(default_factory=dict)
    unidentified: Counter[str] = field(default_factory=Counter)
    failures: list[_Failure] = field(default_factory=list)

    def limiter(self, pool: str) -> PoolLimiter:
        if pool not in self.limiters:
            self.limiters[pool] = PoolLimiter(1.0, self.clock)
            self.pools[pool] = PoolStats()
        return self.limiters[pool]

    def endpoint(self, kind: str) -> EndpointStats:
        return self.endpoints.setdefault(kind, EndpointStats())

    def fail_next(self, kind: str, status: int, count: int = 1) -> None:
        """Answer the next `count` requests of `kind` ("*": any) with HTTP `status`."""
        if count < 1 or not 400 <= status <= 599:
            msg = f"expected a 4xx/5xx status and a count of at least 1, got {status}, {count}"
            raise ValueError(msg)
        self.failures.append(_Failure(kind, status, count))

    def take_failure(self, kind: str) -> int | None:
        for failure in self.failures:
            if failure.kind in (kind, "*"):
                failure.remaining -= 1
                if failure.remaining == 0:
                    self.failures.remove(failure)
                return failure.status
        return None

    def reset(self) -> None:
        """Forget counts, rate windows and queued failures (requests in flight stay counted)."""
        for limiter in self.limiters.values():
            limiter.clear()
        self.pools = {pool: PoolStats() for pool in self.limiters}
        self.endpoints.clear()
        self.unidentified.clear()
        self.failures.clear()

    def to_dict(self) -> dict[str, Any]:
        return {
            "pools": {name: stats.to_dict() for name, stats in self.pools.items()},
            "endpoints": {kind: stats.to_dict() for kind, stats in self.endpoints.items()},
            "unidentified": dict(self.unidentified),
            "failures": self.pending_failures(),
        }

    def pending_failures(self) -> list[dict[str, Any]]:
        return [{"kind": f.kind, "status": f.status, "count": f.remaining} for f in self.failures]


@dataclass(frozen=True, slots=True)
class Call:
    """How one request is limited and counted."""

    kind: str  # endpoint kind: "esummary", "idconv", "books", "handle", "ark"
    pool: str  # rate-limit pool
    limit: PoolLimit
    ids: list[str]  # what it asked for, counted per id
    identified: bool  # whether it carried the identification the service asks for


Answer = Callable[[], Awaitable[web.StreamResponse]]
TooMany = Callable[[int], web.Response]


async def serve(
    state: ServiceState, call: Call, answer: Answer, too_many: TooMany
) -> web.StreamResponse:
    """Count, limit, fail or answer one request; 429 (by `too_many`) past the pool's limit."""
    limiter = state.limiter(call.pool)
    stats = state.pools[call.pool]
    endpoint = state.endpoint(call.kind)
    stats.requests += 1
    stats.arrivals_s.append(round(state.clock(), 6))
    endpoint.requests += 1
    endpoint.lookups.update(call.ids)
    if not call.identified:
        state.unidentified[call.kind] += 1
    admission = limiter.admit(call.limit if state.limits_enabled else None)
    stats.max_in_flight = max(stats.max_in_flight, admission.in_flight)
    stats.max_per_second = max(stats.max_per_second, admission.per_second)
    stats.max_per_window = max(stats.max_per_window, admission.per_window)
    status = _STATUS_CLIENT_GONE
    try:
        if not admission.allowed:
            stats.throttled += 1
            response: web.StreamResponse = too_many(admission.per_window)
        elif (failure := state.take_failure(call.kind)) is not None:
            response = _failure(failure)
        else:
            if state.latency_s > 0:
                await asyncio.sleep(state.latency_s)
            response = await answer()
        status = response.status
        return response
    finally:
        limiter.release()
        stats.responses[status] += 1
        endpoint.responses[status] += 1


def _failure(status: int) -> web.Response:
    reason = "Error"
    with contextlib.suppress(ValueError):
        reason = HTTPStatus(status).phrase
    return web.Response(
        status=status,
        text=_HTML_ERROR.format(status=status, reason=reason),
        content_type="text/html",
    )


def add_control_routes(
    app: web.Application, name: str, state_of: Callable[[web.Request], ServiceState]
) -> None:
    """GET stats, POST reset and POST faults under /_standin/<name>/."""

    async def get_stats(request: web.Request) -> web.Response:
        body = orjson.dumps(state_of(request).to_dict())
        return web.Response(body=body, content_type="application/json")

    async def post_reset(request: web.Request) -> web.Response:
        state_of(request).reset()
        return web.json_response({"reset": True})

    async def post_fault(request: web.Request) -> web.Response:
        state = state_of(request)
        try:
            spec = await request.json(loads=orjson.loads)
            state.fail_next(str(spec["kind"]), int(spec["status"]), int(spec.get("count", 1)))
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"failures": state.pending_failures()})

    app.router.add_get(f"/_standin/{name}/stats", get_stats)
    app.router.add_post(f"/_standin/{name}/reset", post_reset)
    app.router.add_post(f"/_standin/{name}/faults", post_fault)

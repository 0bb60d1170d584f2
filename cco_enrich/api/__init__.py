"""The Starlette API: `create_app(settings)`, and `app` for `uvicorn cco_enrich.api:app`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from arq import create_pool
from arq.connections import ArqRedis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from cco_enrich._version import __version__
from cco_enrich.api import pages, probes, sessions
from cco_enrich.api.connection import SOCKET_TIMEOUT_S
from cco_enrich.api.errors import EXCEPTION_HANDLERS
from cco_enrich.api.events import session_events
from cco_enrich.api.hub import EventHub
from cco_enrich.api.limits import BodyTimeoutMiddleware, ClientLimits
from cco_enrich.api.openapi import openapi_schema
from cco_enrich.api.params import QueryParametersMiddleware
from cco_enrich.api.responses import JSONResponse
from cco_enrich.api.security import install_access_log_filter, security_middleware
from cco_enrich.ingest import IdentifierListIngestor
from cco_enrich.logs import configure_logging
from cco_enrich.settings import Settings
from cco_enrich.store import (
    SessionStore,
    api_redis_settings,
    bound_socket_waits,
    close_idle_connections,
    follow_sentinel,
)

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# A burst of SSE clients opens one Redis connection each; idle ones are closed this often.
REDIS_IDLE_CLOSE_S = 10.0


async def healthz(request: Request) -> Response:
    """200 while the process is up; says whether Redis answers too."""
    try:
        async with asyncio.timeout(probes.PROBE_TIMEOUT_S):  # a liveness probe never hangs
            await request.app.state.api.store.ping()
        redis = "ok"
    except Exception:
        redis = "unreachable"
    return JSONResponse({"status": "ok", "version": __version__, "redis": redis})


async def _session_resource(request: Request) -> Response:
    # One route for both methods, so a 405 there lists them both in its Allow header.
    if request.method == "DELETE":
        return await sessions.delete_session(request)
    return await sessions.get_session(request)


def create_app(settings: Settings | None = None, *, configure_logs: bool = False) -> Starlette:
    """The API and web page, configured once from `settings` (default: CCO_* environment).

    `configure_logs=True` (the module-level `app`, an entry point) sets up logging at startup.
    """
    settings = settings or Settings()
    install_access_log_filter()
    return Starlette(
        routes=_routes(),
        lifespan=_lifespan(settings, configure_logs=configure_logs),
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=_middleware(settings),
    )


Lifespan = Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]


def _lifespan(settings: Settings, *, configure_logs: bool) -> Lifespan:
    """Startup and shutdown: the Redis pool, the store and the event hub, once per process."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if configure_logs:
            configure_logging(
                settings.log_level, settings.log_format, secrets=settings.secret_values()
            )
        connection = api_redis_settings(
            settings.redis_url,
            sentinels=settings.sentinel_addresses,
            sentinel_master=settings.redis_sentinel_master,
        )
        redis = await create_pool(connection)
        await bound_socket_waits(redis, SOCKET_TIMEOUT_S)
        await follow_sentinel(redis, connection)
        store = SessionStore(
            redis,
            session_ttl_s=settings.session_ttl_s,
            small_session_max=settings.small_session_max,
        )
        hub = EventHub(store)
        app.state.api = sessions.ApiState(
            store=store,
            hub=hub,
            ingestor=IdentifierListIngestor(
                max_identifiers=settings.max_identifiers, max_bytes=settings.max_upload_bytes
            ),
            max_upload_bytes=settings.max_upload_bytes,
            webhook_allow_private=settings.webhook_allow_private,
        )
        app.state.settings = settings
        app.state.limits = ClientLimits.from_settings(settings)
        closer = asyncio.create_task(_close_idle_connections_every(redis, REDIS_IDLE_CLOSE_S))
        try:
            yield
        finally:
            closer.cancel()
            await hub.close()
            await redis.aclose()

    return lifespan


async def _close_idle_connections_every(redis: ArqRedis, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        await close_idle_connections(redis)


def _routes() -> list[BaseRoute]:
    return [
        Route("/healthz", healthz),
        *probes.routes(),
        Route("/openapi.json", openapi_schema),
        Route("/api/sessions", sessions.create_session, methods=["POST"]),
        Route("/api/sessions/{session_id}", _session_resource, methods=["GET", "DELETE"]),
        Route("/api/sessions/{session_id}/status", sessions.get_status),
        Route("/api/sessions/{session_id}/events", session_events),
        Route("/api/sessions/{session_id}/enrich", sessions.enrich_session, methods=["POST"]),
        Route("/api/sessions/{session_id}/retry", sessions.retry_session, methods=["POST"]),
        Route("/api/sessions/{session_id}/cancel", sessions.cancel_session, methods=["POST"]),
        Route("/api/sessions/{session_id}/export", sessions.export_session),
        Route("/api/queue", sessions.queue_overview),
        *pages.routes(),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def _middleware(settings: Settings) -> list[Middleware]:
    """Security (token, CORS, headers) outside; body timeout, query check and gzip inside."""
    api_token = settings.api_token.get_secret_value() if settings.api_token else None
    return security_middleware(
        api_token=api_token or None,
        cors_origins=settings.cors_origins or "",
        inner=[
            Middleware(BodyTimeoutMiddleware, timeout_s=settings.body_timeout_s),
            Middleware(QueryParametersMiddleware),
            Middleware(GZipMiddleware, minimum_size=2048),
        ],
    )


app = create_app(configure_logs=True)

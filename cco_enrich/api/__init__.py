"""The Starlette API: `create_app(settings)`, and `app` for `uvicorn cco_enrich.api:app`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from arq import create_pool
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cco_enrich._version import __version__
from cco_enrich.api import pages, probes, sessions
from cco_enrich.api.errors import EXCEPTION_HANDLERS
from cco_enrich.api.events import session_events
from cco_enrich.api.hub import EventHub
from cco_enrich.api.openapi import openapi_schema
from cco_enrich.api.responses import JSONResponse
from cco_enrich.ingest import IdentifierListIngestor
from cco_enrich.settings import Settings
from cco_enrich.store import SessionStore, redis_settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


async def healthz(request: Request) -> Response:
    """200 while the process is up; says whether Redis answers too."""
    try:
        async with asyncio.timeout(probes.PROBE_TIMEOUT_S):  # a liveness probe never hangs
            await request.app.state.api.store.ping()
        redis = "ok"
    except Exception:
        redis = "unreachable"
    return JSONResponse({"status": "ok", "version": __version__, "redis": redis})


def create_app(settings: Settings | None = None) -> Starlette:
    """The API and web page, configured once from `settings` (default: CCO_* environment)."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        redis = await create_pool(redis_settings(settings.redis_url))
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
        try:
            yield
        finally:
            await hub.close()
            await redis.aclose()

    routes = [
        Route("/healthz", healthz),
        *probes.routes(),
        Route("/openapi.json", openapi_schema),
        Route("/api/sessions", sessions.create_session, methods=["POST"]),
        Route("/api/sessions/{session_id}", sessions.get_session, methods=["GET"]),
        Route("/api/sessions/{session_id}", sessions.delete_session, methods=["DELETE"]),
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
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[Middleware(GZipMiddleware, minimum_size=2048)],
    )


app = create_app()

"""A worker's own `/metrics` endpoint: a small aiohttp server in the worker's event loop.

Off unless CCO_WORKER_METRICS_PORT is set. Several workers on one host each take the next free
port after it (up to PORT_SPAN ports); port 0 takes any free one. Either way the worker writes
the port it got into its heartbeat (`metrics_port`), where `/api/queue` shows it.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import orjson
from aiohttp import web

from cco_enrich.metrics import LimitedPool, watching_pools
from cco_enrich.metrics.exposition import (
    CHALLENGE,
    CONTENT_TYPE,
    UNAUTHORISED_MESSAGE,
    is_authorised,
    process_registry,
    render,
)

log = logging.getLogger(__name__)

PORT_SPAN = 32
"""How many ports after CCO_WORKER_METRICS_PORT a worker tries when that one is taken."""


def bind_socket(host: str, port: int, span: int = PORT_SPAN) -> socket.socket:
    """A listening socket on `port`, or on the next free port of the `span` after it.

    Raises:
        OSError: every port of the span is taken (or another bind error).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    candidates = [0] if port == 0 else list(range(port, min(port + span, 65536)))
    taken: OSError | None = None
    for candidate in candidates:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE:
                raise
            taken = exc
            continue
        sock.listen(64)
        sock.setblocking(False)
        return sock
    raise taken or OSError(errno.EADDRINUSE, f"no port to try from {port}")


def metrics_app(token: str | None) -> web.Application:
    """`GET /metrics`: this process's registry, behind the bearer token when one is set."""

    async def metrics(request: web.Request) -> web.Response:
        if not is_authorised(request.headers.get("Authorization"), token):
            body = {"error": {"code": "unauthorized", "message": UNAUTHORISED_MESSAGE}}
            return web.Response(
                status=401,
                body=orjson.dumps(body),
                content_type="application/json",
                headers=CHALLENGE,
            )
        return web.Response(body=render(process_registry()), headers={"Content-Type": CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    return app


@asynccontextmanager
async def serving_metrics(
    host: str, port: int | None, *, token: str | None = None, span: int = PORT_SPAN
) -> AsyncIterator[int | None]:
    """Serve `/metrics` while the block runs; yields the port, or None when off or unbindable.

    A worker that cannot bind still works: it logs why and runs without its endpoint.
    """
    if port is None:
        yield None
        return
    try:
        sock = bind_socket(host, port, span)
    except OSError as exc:
        log.error("worker metrics: cannot listen on %s:%d (%s); serving none", host, port, exc)
        yield None
        return
    runner = web.AppRunner(metrics_app(token), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        bound = int(sock.getsockname()[1])
        log.info("worker metrics on http://%s:%d/metrics", host, bound)
        yield bound
    finally:
        await runner.cleanup()


@asynccontextmanager
async def worker_metrics(
    host: str, port: int | None, *, token: str | None, limiters: Mapping[str, LimitedPool]
) -> AsyncIterator[int | None]:
    """A worker's metrics while the block runs: its pools' limit gauges, and `/metrics` when
    `port` is set. Yields the port it serves on (None: off)."""
    with watching_pools(limiters):
        async with serving_metrics(host, port, token=token) as bound:
            yield bound

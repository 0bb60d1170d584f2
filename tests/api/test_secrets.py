"""Secrets never leak: a whole run with every secret set; every log line and answer grepped."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import web
from arq import create_pool
from arq.worker import Worker
from starlette.testclient import TestClient

from cco_enrich.api import create_app
from cco_enrich.settings import Settings
from cco_enrich.store import redis_settings
from cco_enrich.worker import WorkerSettings
from tests.conftest import RedisServer
from tests.standin import Policy, StandinServer, make_corpus

pytestmark = pytest.mark.redis

API_TOKEN = "sekret-api-token-7f3a"
ADMIN_TOKEN = "sekret-admin-token-91bc"
WEBHOOK_SECRET = "sekret-webhook-key-52de"
REDIS_PASSWORD = "sekret-redis-pass-c0ffee"
SECRETS = (API_TOKEN, ADMIN_TOKEN, WEBHOOK_SECRET, REDIS_PASSWORD)
BEARER = {"Authorization": f"Bearer {API_TOKEN}"}


def _require_password(server: RedisServer) -> str:
    """Make `server` ask for REDIS_PASSWORD; returns the URL that carries it."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as conn:
        conn.sendall(f"CONFIG SET requirepass {REDIS_PASSWORD}\r\n".encode())
        assert conn.recv(16).startswith(b"+OK")
    return f"redis://:{REDIS_PASSWORD}@127.0.0.1:{server.port}/0"


class Transcript:
    """Every answer a client saw: status, headers and body, as text to grep."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.parts: list[str] = []

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.client.request(method, path, **kwargs)
        self.parts.append(f"{answer.status_code} {dict(answer.headers)!r}\n{answer.text}")
        return answer


@pytest.fixture
async def hook() -> AsyncIterator[tuple[str, list[str]]]:
    """A webhook receiver on loopback; records what it was sent (headers and body)."""
    received: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(f"{dict(request.headers)!r}\n{(await request.read()).decode()}")
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook", received
    await runner.cleanup()


async def _run_worker(settings: Settings) -> None:
    redis = await create_pool(redis_settings(settings.redis_url))
    worker = Worker(
        functions=WorkerSettings.functions,
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        redis_pool=redis,
        queue_name=WorkerSettings.queue_name,
        burst=True,
        poll_delay=0.05,
        job_timeout=60,
        handle_signals=False,
        ctx={"settings": settings},
    )
    try:
        await worker.main()
    finally:
        await worker.close()
        await redis.aclose()


def _before_the_run(t: Transcript, hook_url: str, dois: list[str]) -> str:
    """Errors of every kind, then a session created and queued; returns its id."""
    t.call("GET", "/api/queue")  # 401: no token
    t.call("GET", "/api/queue", headers={"Authorization": "Bearer wrong"})
    t.call(
        "POST",
        "/api/sessions",
        content=b"{not json",
        headers={**BEARER, "Content-Type": "application/json"},
    )
    t.call("POST", "/api/sessions", content=b"x", headers={**BEARER, "Content-Type": "image/png"})
    t.call("GET", "/api/sessions/does-not-exist", headers=BEARER)
    t.call("GET", "/api/queue?verbose=1", headers=BEARER)
    created = t.call(
        "POST",
        "/api/sessions?enrich=true",
        json={"identifiers": [*dois, "not a doi"], "callback_url": hook_url},
        headers=BEARER,
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _after_the_run(t: Transcript, session_id: str) -> None:
    session = t.call("GET", f"/api/sessions/{session_id}", headers=BEARER).json()
    assert session["processing_status"]["status"] == "completed"
    assert session["webhook_deliveries"][0]["delivered"] is True
    t.call("GET", f"/api/sessions/{session_id}/status", headers=BEARER)
    t.call("GET", f"/api/sessions/{session_id}/events?token={API_TOKEN}")
    for fmt in ("jsonld", "csl-json", "bibtex", "ris", "csv", "pdf"):
        t.call("GET", f"/api/sessions/{session_id}/export?format={fmt}", headers=BEARER)
    t.call("POST", f"/api/sessions/{session_id}/retry", headers=BEARER)
    t.call("GET", "/api/queue", headers=BEARER)
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    t.call("GET", "/admin")
    t.call("GET", "/admin", headers=admin)
    t.call("POST", "/admin/login", data={"token": "wrong"})
    t.call("GET", "/admin/api/overview", headers=admin)
    t.call("GET", "/admin/api/overview", headers=BEARER)
    t.call("GET", "/openapi.json")
    t.call("GET", "/healthz")
    t.call("GET", "/")


@pytest.fixture
def restore_loggers() -> Iterator[None]:
    """The worker's startup configures logging (stderr, no propagation); undo it afterwards."""
    loggers = [logging.getLogger(name) for name in ("cco_enrich", "arq")]
    saved = [(lg.handlers[:], lg.propagate, lg.level) for lg in loggers]
    yield
    for logger, (handlers, propagate, level) in zip(loggers, saved, strict=True):
        logger.handlers, logger.propagate, logger.level = handlers, propagate, level


def _service_log_lines(caplog: pytest.LogCaptureFixture, stderr: str) -> list[str]:
    """Every line the service logged: caught by caplog before the worker's startup configured
    logging, on stderr after. The test's own HTTP client (httpx2) logs the URLs it calls,
    `?token=` included, like a browser's history would: that is the caller's log, not ours.
    """
    records = [r for r in caplog.records if not r.name.startswith("httpx")]
    return [
        *(caplog.handler.format(r) for r in records),
        *(r.getMessage() for r in records),
        stderr,
    ]


@pytest.mark.usefixtures("restore_loggers")
async def test_no_secret_appears_in_any_log_line_or_answer(
    redis_server: RedisServer,
    hook: tuple[str, list[str]],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    hook_url, received = hook
    corpus = make_corpus(8, 3, 1, 1, seed=5)
    async with StandinServer(corpus, Policy()) as standin:
        settings = Settings(
            redis_url=_require_password(redis_server),
            crossref_url=standin.crossref_url,
            datacite_url=standin.datacite_url,
            doi_url=standin.doi_url,
            mailto="tests@example.org",
            retry_wait_initial_s=0.01,
            api_token=API_TOKEN,
            admin_token=ADMIN_TOKEN,
            webhook_secret=WEBHOOK_SECRET,
            webhook_allow_private=True,
            log_level="DEBUG",
        )
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            transcript = Transcript(client)
            session_id = _before_the_run(transcript, hook_url, corpus.dois()[:6])
            await _run_worker(settings)
            _after_the_run(transcript, session_id)
            redis_server.stop()  # and the errors of a Redis that is gone
            transcript.call("GET", f"/api/sessions/{session_id}", headers=BEARER)
            transcript.call("GET", "/healthz")
    stderr = capfd.readouterr().err
    logged = _service_log_lines(caplog, stderr)
    haystack = "\n".join([*transcript.parts, *logged, *received, repr(settings), str(settings)])
    # The run did happen and was captured: answers, log lines, and the signed webhook call.
    assert len(transcript.parts) >= 25
    assert "Starting worker" in haystack
    assert "queued as" in haystack
    assert "webhook" in stderr
    assert "Redis unreachable" in stderr
    assert "session.completed" in haystack
    assert "redis_unavailable" in haystack
    assert len(received) == 1
    assert "t=" in received[0]
    assert "v1=" in received[0]
    leaked = [secret for secret in SECRETS if secret in haystack]
    assert leaked == []

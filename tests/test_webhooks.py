"""Webhooks: URL checks, HMAC signatures, delivery with retries."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from cco_enrich.errors import WebhookRefusedError
from cco_enrich.models import JobState, ProcessingStatus
from cco_enrich.webhooks import (
    SIGNATURE_HEADER,
    WebhookSender,
    check_callback_url,
    sign,
    verify_signature,
)

STATUS = ProcessingStatus(status=JobState.COMPLETED, total=3, done=3, enriched=3, percent=100.0)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "ftp://example.org/hook",
        "not a url",
    ],
)
def test_private_loopback_and_odd_urls_are_refused(url: str) -> None:
    with pytest.raises(WebhookRefusedError):
        check_callback_url(url, allow_private=False)


def test_public_urls_pass_and_private_ones_can_be_allowed() -> None:
    assert check_callback_url("https://hooks.example.org/cco", allow_private=False)
    assert check_callback_url("http://127.0.0.1:9/hook", allow_private=True)


def test_signature_is_hmac_sha256_of_the_time_and_the_exact_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign(body, "s3cret", timestamp=1700000000) == f"t=1700000000,v1={expected}"


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[web.Request], list[bytes]]]:
    received: list[web.Request] = []
    bodies: list[bytes] = []
    answers = [503, 200]

    async def hook(request: web.Request) -> web.Response:
        received.append(request)
        bodies.append(await request.read())
        return web.Response(status=answers.pop(0) if answers else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/hook", received, bodies
    await runner.cleanup()


async def test_delivery_is_signed_and_retried_after_a_5xx(
    receiver: tuple[str, list[web.Request], list[bytes]],
) -> None:
    url, received, bodies = receiver
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(http, secret="s3cret", allow_private=True, wait_initial_s=0)
        assert (await sender.send(url, "session-1", STATUS)).delivered
    assert len(received) == 2
    assert verify_signature(received[-1].headers[SIGNATURE_HEADER], bodies[-1], "s3cret")
    payload = json.loads(bodies[-1])
    assert payload["session_id"] == "session-1"
    assert payload["processing_status"]["status"] == "completed"


async def test_a_private_url_is_not_called_unless_allowed(
    receiver: tuple[str, list[web.Request], list[bytes]],
) -> None:
    url, received, _ = receiver
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(http, secret=None, allow_private=False, wait_initial_s=0)
        assert not (await sender.send(url, "session-1", STATUS)).delivered
    assert received == []


async def test_giving_up_returns_false_without_raising() -> None:
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(http, secret=None, allow_private=True, attempts=2, wait_initial_s=0)
        delivery = await sender.send("http://127.0.0.1:9/nothing-listens", "s", STATUS)
    assert not delivery.delivered
    assert delivery.attempts == 2

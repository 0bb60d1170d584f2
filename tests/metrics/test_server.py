"""A worker's own /metrics port: what it serves, which port it takes, and the token."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from cco_enrich import metrics
from cco_enrich.metrics.server import PORT_SPAN, serving_metrics
from tests.conftest import free_port
from tests.metrics.scrape import samples, value


async def _get(port: int, **headers: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics", headers=headers) as answer,
    ):
        return answer.status, answer.headers["Content-Type"], await answer.text()


async def test_a_worker_serves_its_registry_on_its_port() -> None:
    metrics.upstream_response("served-pool", 200)
    async with serving_metrics("127.0.0.1", 0) as port:
        assert port is not None
        status, content_type, text = await _get(port)
    assert status == 200
    assert content_type.startswith("text/plain")
    assert samples(text)  # parses as Prometheus text
    assert value(text, "cco_upstream_responses_total", pool="served-pool", status="200") == 1.0


async def test_the_port_closes_with_the_worker() -> None:
    async with serving_metrics("127.0.0.1", 0) as port:
        assert port is not None
    with pytest.raises(aiohttp.ClientConnectionError):
        await _get(port)


async def test_a_second_worker_on_the_host_takes_the_next_free_port() -> None:
    taken = free_port()
    with socket.socket() as other:  # another worker already listens there
        other.bind(("127.0.0.1", taken))
        other.listen()
        async with serving_metrics("127.0.0.1", taken) as port:
            assert port is not None
            assert taken < port < taken + PORT_SPAN
            assert (await _get(port))[0] == 200


async def test_no_port_set_serves_nothing() -> None:
    async with serving_metrics("127.0.0.1", None) as port:
        assert port is None


async def test_a_worker_with_no_free_port_runs_without_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    taken = free_port()
    with socket.socket() as other:
        other.bind(("127.0.0.1", taken))
        other.listen()
        async with serving_metrics("127.0.0.1", taken, span=1) as port:
            assert port is None
    assert f"cannot listen on 127.0.0.1:{taken}" in caplog.text


async def test_with_a_token_the_port_answers_401_without_it() -> None:
    async with serving_metrics("127.0.0.1", 0, token="s3cret") as port:
        assert port is not None
        refused = await _get(port)
        wrong = await _get(port, Authorization="Bearer nope")
        allowed = await _get(port, Authorization="Bearer s3cret")
    assert (refused[0], wrong[0], allowed[0]) == (401, 401, 200)
    assert '"code":"unauthorized"' in refused[2]
    assert "cco_" in allowed[2]

"""get_json(): retries, status handling, Retry-After, header adaptation and URL building."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import time
from datetime import UTC, datetime

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from cco_enrich.errors import BatchRejectedError, RegistryError, RegistryUnavailableError
from cco_enrich.logs import build_handler
from cco_enrich.registries import RetryPolicy
from cco_enrich.registries._http import Endpoint, get_json, parse_retry_after
from cco_enrich.registries.limits import PoolLimit, PoolLimiter

BASE = "http://registry.test/prefix"
URL_A = f"{BASE}/works/10.1000%2Fa"
NO_WAIT = RetryPolicy(attempts=3, wait_initial_s=0)


def endpoint(
    http: aiohttp.ClientSession, *, base_url: str = BASE, mailto: str | None = None
) -> Endpoint:
    return Endpoint(
        http=http,
        base_url=base_url,
        name="Crossref",
        user_agent="cco_enrich/test (mailto:me@example.org)",
        retry=NO_WAIT,
        timeout_s=30.0,
        mailto=mailto,
    )


def limiter(in_flight: int = 3) -> PoolLimiter:
    return PoolLimiter("test", PoolLimit(1000, 1.0, in_flight), margin_s=0.0)


def calls(mock: aioresponses, url: str = URL_A) -> int:
    return len(mock.requests.get(("GET", URL(url)), []))


@pytest.mark.parametrize(
    "first",
    [
        {"status": 429},
        {"status": 429, "headers": {"Retry-After": "0"}},
        {"status": 503},
        {"status": 502, "body": "<html>Bad gateway</html>"},
        {"exception": TimeoutError()},
        {"exception": aiohttp.ServerDisconnectedError()},
        {"exception": aiohttp.ClientConnectionError("Connection reset by peer")},
        {"status": 200, "body": "<html>not json</html>"},
    ],
    ids=["429", "429-retry-after", "503", "502", "timeout", "disconnect", "reset", "garbage"],
)
async def test_transient_faults_are_retried_until_success(
    http: aiohttp.ClientSession, mock: aioresponses, first: dict[str, object]
) -> None:
    mock.get(URL_A, **first)
    mock.get(URL_A, **first)
    mock.get(URL_A, payload={"message": {"DOI": "10.1000/a"}})
    answer = await get_json(endpoint(http), limiter(), URL_A)
    assert answer == {"message": {"DOI": "10.1000/a"}}
    assert calls(mock) == 3


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"status": 503}, "Crossref answered 503 (gave up after 3 attempts)"),
        ({"status": 429}, "Crossref answered 429 Too Many Requests (gave up after 3 attempts)"),
        ({"exception": TimeoutError()}, "Crossref timed out after 30 s (gave up after 3 attempts)"),
        (
            {"body": "{truncated"},
            "Crossref sent a body that is not JSON (gave up after 3 attempts)",
        ),
        (
            {"exception": aiohttp.ClientConnectionError()},
            "Crossref could not be reached (ClientConnectionError) (gave up after 3 attempts)",
        ),
    ],
)
async def test_after_the_last_attempt_the_reason_reads_plainly(
    http: aiohttp.ClientSession, mock: aioresponses, fault: dict[str, object], reason: str
) -> None:
    mock.get(URL_A, repeat=True, **fault)
    with pytest.raises(RegistryUnavailableError) as caught:
        await get_json(endpoint(http), limiter(), URL_A)
    assert str(caught.value) == reason
    assert calls(mock) == 3


async def test_404_is_an_answer_never_parsed_nor_retried(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    mock.get(URL_A, status=404, body="Resource not found.", content_type="text/plain")
    assert await get_json(endpoint(http), limiter(), URL_A) is None
    assert calls(mock) == 1


@pytest.mark.parametrize("status", [400, 414])
async def test_400_and_414_reject_the_batch_at_once(
    http: aiohttp.ClientSession, mock: aioresponses, status: int
) -> None:
    mock.get(URL_A, status=status, repeat=True)
    with pytest.raises(BatchRejectedError, match=f"rejected the request with {status}"):
        await get_json(endpoint(http), limiter(), URL_A)
    assert calls(mock) == 1


@pytest.mark.parametrize(("status", "match"), [(403, "403 \\(a block\\)"), (401, "answered 401")])
async def test_403_and_other_statuses_are_not_retried(
    http: aiohttp.ClientSession, mock: aioresponses, status: int, match: str
) -> None:
    mock.get(URL_A, status=status, repeat=True)
    with pytest.raises(RegistryError, match=match) as caught:
        await get_json(endpoint(http), limiter(), URL_A)
    assert not isinstance(caught.value, RegistryUnavailableError)
    assert calls(mock) == 1


async def test_a_429_pauses_the_whole_pool_for_retry_after(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    url_b = f"{BASE}/works/10.1000%2Fb"
    mock.get(URL_A, status=429, headers={"Retry-After": "0.15"})
    mock.get(URL_A, payload={})
    starts: list[float] = []
    mock.get(url_b, callback=lambda *_, **__: starts.append(time.monotonic()), payload={})
    pool = limiter()
    began = time.monotonic()
    first = asyncio.create_task(get_json(endpoint(http), pool, URL_A))
    await asyncio.sleep(0.02)  # the 429 has arrived; the pool is paused
    await get_json(endpoint(http), pool, url_b)
    await first
    assert starts[0] - began >= 0.14


async def test_headers_adapt_the_pool(http: aiohttp.ClientSession, mock: aioresponses) -> None:
    headers = {
        "x-rate-limit-limit": "3, 3",
        "x-rate-limit-interval": "1s",
        "x-concurrency-limit": "1",
    }
    mock.get(URL_A, payload={}, headers=headers)
    pool = limiter()
    await get_json(endpoint(http), pool, URL_A)
    assert pool.limit == PoolLimit(3, 1.0, 1)


async def test_user_agent_accept_and_mailto_are_sent(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    api = endpoint(http, mailto="me+cco@example.org")
    url = api.url("works/10.1000%2Fa")
    assert url == f"{URL_A}?mailto=me%2Bcco@example.org"
    mock.get(re.compile(r"^http://registry\.test/"), payload={})
    await get_json(api, limiter(), url, accept="application/vnd.citationstyles.csl+json")
    [(key, [call])] = mock.requests.items()
    assert key[1].raw_path == "/prefix/works/10.1000%2Fa"
    assert call.kwargs["headers"] == {
        "User-Agent": "cco_enrich/test (mailto:me@example.org)",
        "Accept": "application/vnd.citationstyles.csl+json",
    }


def test_url_joins_the_base_path_and_keeps_encoding(http: aiohttp.ClientSession) -> None:
    api = endpoint(http, base_url="http://proxy.local/crossref/")
    url = api.url("/works", [("filter", "doi:10.1000/a%3Cb%3E"), ("rows", "1")])
    assert url == "http://proxy.local/crossref/works?filter=doi:10.1000/a%3Cb%3E&rows=1"
    assert URL(url, encoded=True).raw_query_string == "filter=doi:10.1000/a%3Cb%3E&rows=1"
    assert api.request_line_length(url) == len(f"GET {url[len('http://proxy.local') :]} HTTP/1.1")


def test_parse_retry_after_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:05 -0000", now=now) == 5.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("inf") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None


def test_backoff_is_exponential_capped_and_fully_jittered() -> None:
    policy = RetryPolicy(wait_initial_s=1.0, wait_max_s=10.0, jitter=False)
    assert [policy.backoff_s(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    jittered = RetryPolicy(wait_initial_s=1.0, wait_max_s=10.0)
    assert all(0 <= jittered.backoff_s(3) <= 4 for _ in range(50))
    assert RetryPolicy(wait_initial_s=0).backoff_s(5) == 0


def test_a_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(attempts=0)


async def test_every_line_about_a_request_names_its_pool(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    """CCO_LOG_FORMAT=json: a retry's warning carries the pool, so an operator can filter on it."""
    stream = io.StringIO()
    handler = build_handler("json")
    handler.setStream(stream)
    logger = logging.getLogger("cco_enrich.registries._http")
    logger.addHandler(handler)
    try:
        mock.get(URL_A, status=503)
        mock.get(URL_A, payload={"message": {}})
        await get_json(endpoint(http), limiter(), URL_A)
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines
    assert {line["pool"] for line in lines} == {"test"}
    assert "retry 1/2" in lines[0]["message"]

"""What the instruments record where the work happens, and how a process renders them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aioresponses import aioresponses
from arq.connections import ArqRedis
from prometheus_client import REGISTRY

from cco_enrich import metrics
from cco_enrich.doi import DOI
from cco_enrich.errors import RegistryUnavailableError
from cco_enrich.metrics.exposition import is_authorised, process_registry, render
from cco_enrich.models import Outcome, Work
from cco_enrich.registries._http import get_json
from cco_enrich.registries.limits import PoolLimit, PoolLimiter
from cco_enrich.store import OutcomeCache
from tests.metrics.scrape import families, now, value
from tests.registries.test_http import URL_A, endpoint

ROOT = Path(__file__).resolve().parent.parent.parent


def pool(name: str) -> PoolLimiter:
    return PoolLimiter(name, PoolLimit(1000, 1.0, 3), margin_s=0.0)


async def test_upstream_answers_and_retries_are_counted_by_pool_and_status(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    """A 429 then a 200: one of each answer, one retry, all under the request's pool."""
    before_429 = now("cco_upstream_responses_total", pool="count-a", status="429")
    mock.get(URL_A, status=429, headers={"Retry-After": "0"})
    mock.get(URL_A, status=200, payload={"ok": True})

    assert await get_json(endpoint(http), pool("count-a"), URL_A) == {"ok": True}

    assert now("cco_upstream_responses_total", pool="count-a", status="429") == before_429 + 1
    assert now("cco_upstream_responses_total", pool="count-a", status="200") >= 1
    assert now("cco_upstream_retries_total", pool="count-a") >= 1


async def test_requests_that_get_no_answer_count_as_timeout_or_error(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    before = {
        s: now("cco_upstream_responses_total", pool="count-b", status=s)
        for s in ("timeout", "error")
    }
    mock.get(URL_A, exception=TimeoutError())
    mock.get(URL_A, exception=aiohttp.ServerDisconnectedError())
    mock.get(URL_A, exception=TimeoutError())

    with pytest.raises(RegistryUnavailableError):
        await get_json(endpoint(http), pool("count-b"), URL_A)

    assert (
        now("cco_upstream_responses_total", pool="count-b", status="timeout")
        == before["timeout"] + 2
    )
    assert (
        now("cco_upstream_responses_total", pool="count-b", status="error") == before["error"] + 1
    )
    assert now("cco_upstream_retries_total", pool="count-b") == 2


async def test_outcome_cache_lookups_count_hits_and_misses(fake_redis: ArqRedis) -> None:
    cache = OutcomeCache(fake_redis, ttl_s=60, not_found_ttl_s=60)
    await cache.put_many([Outcome.enriched(Work(doi=DOI("10.1/hit"), registry="crossref"))])
    hits, misses = (
        now("cco_cache_lookups_total", result="hit"),
        now("cco_cache_lookups_total", result="miss"),
    )

    await cache.get_many([DOI("10.1/hit"), DOI("10.1/miss-1"), DOI("10.1/miss-2")])

    assert now("cco_cache_lookups_total", result="hit") == hits + 1
    assert now("cco_cache_lookups_total", result="miss") == misses + 2


async def test_a_worker_s_pool_limits_are_gauges_while_it_runs() -> None:
    limiters = {"gauge-pool": PoolLimiter("gauge-pool", PoolLimit(6, 2.0, 4))}
    with metrics.watching_pools(limiters):
        text = render(REGISTRY).decode()
        # The upstream's headers set a lower limit: the gauge reads it at scrape time.
        await limiters["gauge-pool"].observe(
            {"x-rate-limit-limit": "4", "x-rate-limit-interval": "2s", "x-concurrency-limit": "1"}
        )
        lowered = render(REGISTRY).decode()
    after = render(REGISTRY).decode()
    assert value(text, "cco_pool_rate_limit", pool="gauge-pool") == 3.0
    assert value(text, "cco_pool_in_flight_limit", pool="gauge-pool") == 4.0
    assert value(lowered, "cco_pool_rate_limit", pool="gauge-pool") == 2.0
    assert value(after, "cco_pool_rate_limit", pool="gauge-pool") is None


def test_fleet_gauges_replace_the_process_s_own_of_the_same_name() -> None:
    """API and worker in one process (`cco-enrich serve`): each family appears once, the fleet's."""
    limiters = {"merge-pool": PoolLimiter("merge-pool", PoolLimit(5, 1.0, 2))}
    fleet = metrics.pool_limit_families({"merge-pool": {"per_second": 9.0, "in_flight": 9}})
    with metrics.watching_pools(limiters):
        text = render(REGISTRY, fleet).decode()
    names = families(text)
    assert names.count("cco_pool_rate_limit") == 1
    assert len(names) == len(set(names))
    assert value(text, "cco_pool_rate_limit", pool="merge-pool") == 9.0


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        (None, False),
        ("Bearer s3cret", True),
        ("bearer s3cret", True),
        ("Bearer wrong", False),
        ("Basic s3cret", False),
        ("s3cret", False),
    ],
)
def test_the_metrics_token_is_a_bearer_token(header: str | None, allowed: bool) -> None:
    assert is_authorised(header, "s3cret") is allowed
    assert is_authorised(header, None) is True


RECORD = """
import sys
from cco_enrich import metrics
metrics.RESOLVED.labels("crossref", "enriched").inc(int(sys.argv[1]))
metrics.SSE_CLIENTS.inc(int(sys.argv[1]))
"""
RENDER = """
import sys
from cco_enrich.metrics.exposition import process_registry, render
sys.stdout.write(render(process_registry()).decode())
"""


def test_with_a_multiprocess_dir_a_scrape_adds_up_every_process(tmp_path: Path) -> None:
    """`uvicorn --workers N` with PROMETHEUS_MULTIPROC_DIR: any process answers for all of them."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}

    def python(code: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            env=env,
            capture_output=True,
            check=True,
            timeout=30,
        )
        return done.stdout.decode()

    python(RECORD, "2")
    python(RECORD, "3")
    text = python(RENDER)
    assert value(text, "cco_resolved_total", source="crossref", outcome="enriched") == 5.0
    assert value(text, "cco_sse_clients") == 5.0
    assert process_registry() is REGISTRY  # this test process has no multiprocess dir

"""LandingFetcher against the loopback stand-in: cap, timeout, redirects, types, retries, limits.

Loopback is private, so every fetcher here opts in with `allow_private=True`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import pytest
from fakeredis import FakeAsyncRedis

from cco_enrich.landing import (
    LandingFetcher,
    LandingFetchPolicy,
    LandingStatus,
    fetch_landing_page,
    read_landing_page,
)
from cco_enrich.models import ResourceStatus
from cco_enrich.outbound import OutboundPolicy, create_outbound_session
from cco_enrich.registries import RetryPolicy
from cco_enrich.registries.limits import PoolLimit as ClientPoolLimit
from cco_enrich.store import RedisLimitBackend
from cco_enrich.store.keys import RATE_KEY
from tests.standin.landing import LandingServer, Page
from tests.standin.limits import PoolLimit

DATA = Path(__file__).resolve().parent.parent / "data"
GOMMAPPS_IN = json.loads((DATA / "cco" / "gommapps_input.json").read_text())
GOMMAPPS_OUT = json.loads((DATA / "cco" / "gommapps_output.json").read_text())
PRIVATE_OK = OutboundPolicy(allow_private=True)
USER_AGENT = (
    "cco_enrich/test (https://github.com/cco-enrich/cco_enrich; mailto:curator@example.org)"
)
FAST = LandingFetchPolicy(
    per_host_per_s=50,
    in_flight_per_host=4,
    timeout_s=2.0,
    user_agent=USER_AGENT,
    retry=RetryPolicy(attempts=3, wait_initial_s=0, jitter=False),
)

MakeFetcher = Callable[..., LandingFetcher]


@pytest.fixture
async def standin() -> AsyncIterator[LandingServer]:
    async with LandingServer(limit=PoolLimit(50, 1.0, 4)) as server:
        yield server


@pytest.fixture
async def make_fetcher() -> AsyncIterator[MakeFetcher]:
    async with create_outbound_session(PRIVATE_OK) as http:

        def make(**changes: object) -> LandingFetcher:
            return LandingFetcher(http, policy=replace(FAST, **changes), outbound=PRIVATE_OK)

        yield make


async def test_a_page_is_fetched_with_our_user_agent(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    url = standin.url("data.example.org", "/dataset/3300")
    result = await fetch_landing_page(url, make_fetcher())
    assert result.status is LandingStatus.FETCHED
    assert result.final_url == url
    assert b"Removal of organic carbon" in result.body
    assert result.content_type == "text/html"
    assert result.encoding == "utf-8"
    assert [r.user_agent for r in standin.state.requests] == [USER_AGENT]


async def test_ncei_redirects_to_its_iso_landing_page(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    url = standin.url("www.ncei.noaa.gov", "/archive/accession/242273")
    outcome = await read_landing_page(url, make_fetcher())
    assert outcome.fetch is not None
    assert outcome.fetch.redirects == (url,)
    assert outcome.fetch.final_url == standin.url(
        "www.ncei.noaa.gov", "/access/metadata/landing-page/bin/iso?id=gov.noaa.nodc:0242273"
    )
    assert outcome.status is ResourceStatus.ENRICHED
    assert outcome.work is not None
    assert outcome.work.title is not None
    assert outcome.work.title.endswith("(NCEI Accession 0242273)")
    assert outcome.work.pid == url


async def test_a_redirect_chain_is_followed_hop_by_hop(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    result = await make_fetcher().fetch(standin.url("pages.example.org", "/redirect/3"))
    assert result.status is LandingStatus.FETCHED
    assert result.final_url == standin.url("data.example.org", "/dataset/3300")
    assert len(result.redirects) == 3
    assert [r.path for r in standin.state.requests] == [
        "/redirect/3",
        "/redirect/2",
        "/redirect/1",
        "/dataset/3300",
    ]


@pytest.mark.parametrize("path", ["/loop", "/hops/11"])
async def test_loops_and_long_chains_fail(
    standin: LandingServer, make_fetcher: MakeFetcher, path: str
) -> None:
    result = await make_fetcher().fetch(standin.url("pages.example.org", path))
    assert result.status is LandingStatus.FAILED
    assert "redirected" in (result.reason or "")
    assert len(standin.state.requests) <= 11


async def test_the_body_is_capped_and_the_head_still_read(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    fetcher = make_fetcher(max_bytes=200_000)
    outcome = await read_landing_page(standin.url("pages.example.org", "/oversize"), fetcher)
    assert outcome.fetch is not None
    assert outcome.fetch.truncated
    assert len(outcome.fetch.body) == 200_000
    assert outcome.work is not None
    assert outcome.work.title == "Sea turtle satellite tracks, northern Gulf of Mexico 2018-2021"


async def test_a_slow_page_times_out_and_fails(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    fetcher = make_fetcher(timeout_s=0.3, retry=RetryPolicy(attempts=2, wait_initial_s=0))
    started = time.monotonic()
    result = await fetcher.fetch(standin.url("pages.example.org", "/slow"))
    assert time.monotonic() - started < 3
    assert result.status is LandingStatus.FAILED
    assert "did not answer within 0.3 s" in (result.reason or "")
    assert "gave up after 2 attempts" in (result.reason or "")


async def test_waiting_for_a_host_slot_does_not_count_against_the_timeout(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    """Four pages on one host at 2 a second take 1.5 s, each well within its 1 s timeout."""
    fetcher = make_fetcher(per_host_per_s=2, in_flight_per_host=1, timeout_s=1.0)
    paths = ["/dataset/1970", "/dataset/1972", "/dataset/1949", "/dataset/1980"]
    results = await asyncio.gather(
        *(fetcher.fetch(standin.url("seamap.env.duke.edu", p)) for p in paths)
    )
    assert [r.status for r in results] == [LandingStatus.FETCHED] * 4


async def test_a_pdf_is_skipped_without_reading_it(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    outcome = await read_landing_page(
        standin.url("pages.example.org", "/report.pdf"), make_fetcher()
    )
    assert outcome.status is ResourceStatus.SKIPPED
    assert outcome.reason == "not an HTML page (application/pdf)"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/missing", ResourceStatus.NOT_FOUND),
        ("/gone", ResourceStatus.NOT_FOUND),
        ("/nothing", ResourceStatus.NOT_FOUND),
        ("/soft-404", ResourceStatus.NOT_FOUND),
        ("/forbidden", ResourceStatus.FAILED),
    ],
)
async def test_outcomes_of_missing_empty_and_forbidden_pages(
    standin: LandingServer, make_fetcher: MakeFetcher, path: str, status: ResourceStatus
) -> None:
    outcome = await read_landing_page(standin.url("pages.example.org", path), make_fetcher())
    assert outcome.status is status
    assert outcome.work is None
    assert outcome.reason


async def test_503_with_retry_after_is_retried(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    result = await make_fetcher().fetch(standin.url("pages.example.org", "/busy"))
    assert result.status is LandingStatus.FETCHED
    assert [r.status for r in standin.state.requests] == [503, 503, 200]


async def test_429_pauses_the_host_and_is_retried(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    fetcher = make_fetcher()
    result = await fetcher.fetch(standin.url("pages.example.org", "/limited"))
    assert result.status is LandingStatus.FETCHED
    assert [r.status for r in standin.state.requests] == [429, 200]


async def test_5xx_after_the_retries_fails_and_is_fetched_again_later(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    fetcher = make_fetcher(retry=RetryPolicy(attempts=2, wait_initial_s=0))
    url = standin.url("pages.example.org", "/down")
    first = await fetcher.fetch(url)
    assert first.status is LandingStatus.FAILED
    assert "answered 503 (gave up after 2 attempts)" in (first.reason or "")
    await fetcher.fetch(url)  # a failure is never reused: /retry must fetch again
    assert len(standin.state.requests) == 4


async def test_a_retry_after_beyond_the_longest_wait_fails_at_once(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    standin.state.pages[("pages.example.org", "/closed")] = Page(
        fail_first=10, fail_status=503, retry_after="3600"
    )
    result = await make_fetcher().fetch(standin.url("pages.example.org", "/closed"))
    assert result.status is LandingStatus.FAILED
    assert result.retry_after_s == 3600
    assert len(standin.state.requests) == 1


async def test_urls_differing_after_the_fragment_are_one_fetch(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    atn = [pid for pid in GOMMAPPS_IN["resource_pids"] if "portal.atn.ioos.us" in pid]
    urls = [standin.real_url_to_standin(pid) for pid in atn]
    fetcher = make_fetcher()
    results = await asyncio.gather(*(fetcher.fetch(url) for url in urls))
    results.append(await fetcher.fetch(urls[0]))
    assert len(atn) == 16
    assert {r.url for r in results} == {standin.url("portal.atn.ioos.us", "/")}
    assert len(standin.state.requests) == 1


async def test_each_host_has_its_own_limiter_made_on_first_use(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    fetcher = make_fetcher(per_host_per_s=0.5, in_flight_per_host=2)
    assert fetcher.limiter("a.example") is fetcher.limiter("A.example.")
    assert fetcher.limiter("a.example") is not fetcher.limiter("b.example")
    assert fetcher.limiter("a.example").limit == ClientPoolLimit(1, 2.0, 2)
    assert fetcher.limiter("a.example").name == "landing:a.example"


async def test_the_per_host_limit_is_kept(make_fetcher: MakeFetcher) -> None:
    """The stand-in allows 4 a second and 2 in flight per host and refuses (429) past that."""
    async with LandingServer(limit=PoolLimit(4, 1.0, 2)) as server:
        fetcher = make_fetcher(per_host_per_s=4, in_flight_per_host=2)
        paths = [f"/dataset/{n}" for n in (1970, 1972, 1949, 1980, 1982, 1984)]
        started = time.monotonic()
        results = await asyncio.gather(
            *(fetcher.fetch(server.url("seamap.env.duke.edu", p)) for p in paths)
        )
        elapsed = time.monotonic() - started
    assert [r.status for r in results] == [LandingStatus.FETCHED] * 6
    assert [r.status for r in server.state.requests] == [200] * 6
    assert server.state.max_in_flight["seamap.env.duke.edu"] <= 2
    assert elapsed >= 1.0  # 6 starts at 4 a second


async def test_the_real_example_through_the_standin(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    """Every landing-page identifier of the real example: the recorded ones match its output."""
    expected = {r["identifier"]["@id"]: r for r in GOMMAPPS_OUT["ore:describes"]["ore:aggregates"]}
    urls = [pid for pid in GOMMAPPS_IN["resource_pids"] if pid.startswith("https://")]
    fetcher = make_fetcher()
    outcomes = await asyncio.gather(
        *(read_landing_page(standin.real_url_to_standin(url), fetcher) for url in urls)
    )
    by_url = dict(zip(urls, outcomes, strict=True))
    assert len(urls) == 32
    matched = 0
    for url, outcome in by_url.items():
        if "portal.atn.ioos.us" in url:
            assert outcome.status is ResourceStatus.NOT_FOUND  # a script-driven app shell
            continue
        assert outcome.status is ResourceStatus.ENRICHED, url
        assert outcome.work is not None
        if url.startswith(("https://www.ncei.noaa.gov/", "https://www.fisheries.noaa.gov/")):
            assert outcome.work.title == expected[url]["dc:title"]
            assert outcome.work.type == expected[url]["@type"][1].lower()
            matched += 1
    assert matched == 14
    assert len({r.path for r in standin.state.requests if "portal" in r.host}) == 1


async def test_host_pools_are_shared_through_the_backend_when_given(
    standin: LandingServer,
) -> None:
    """With a shared backend every worker's starts for a host land in one Redis window."""
    redis = FakeAsyncRedis()
    async with create_outbound_session(PRIVATE_OK) as http:
        fetcher = LandingFetcher(
            http, policy=FAST, outbound=PRIVATE_OK, shared=RedisLimitBackend(redis)
        )
        result = await fetcher.fetch(standin.url("data.example.org", "/dataset/3300"))
    assert result.status is LandingStatus.FETCHED
    # The stand-in is one loopback host: its pool is named after it.
    assert await redis.zcard(RATE_KEY.format(pool="landing:127.0.0.1")) == 1
    await redis.aclose()


async def test_a_host_that_refuses_connections_fails_after_the_retries(
    make_fetcher: MakeFetcher,
) -> None:
    async with LandingServer() as server:
        url = server.url("data.example.org", "/dataset/3300")
    result = await make_fetcher(retry=RetryPolicy(attempts=2, wait_initial_s=0)).fetch(url)
    assert result.status is LandingStatus.FAILED
    assert "could not be reached (ClientConnectorError)" in (result.reason or "")


async def test_recent_results_are_kept_within_their_caps(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    a, b = (
        standin.url("data.example.org", "/dataset/3300"),
        standin.url("pages.example.org", "/nothing"),
    )
    one_entry = make_fetcher(cache_entries=1)
    for url in (a, b, a):
        await one_entry.fetch(url)
    expired = make_fetcher(cache_ttl_s=0.0)
    for url in (a, a):
        await expired.fetch(url)
    assert [r.path for r in standin.state.requests] == [
        "/dataset/3300",
        "/nothing",
        "/dataset/3300",
    ] + ["/dataset/3300"] * 2


async def test_a_cancelled_fetch_leaves_the_shared_one_to_the_next_caller(
    standin: LandingServer, make_fetcher: MakeFetcher
) -> None:
    """Two callers share one fetch; when the first is cancelled, the second fetches itself."""
    standin.state.pages[("pages.example.org", "/pause")] = Page(
        "styles/jsonld_doi.html", delay_s=0.3
    )
    fetcher = make_fetcher()
    url = standin.url("pages.example.org", "/pause")
    first = asyncio.create_task(fetcher.fetch(url + "#one"))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(fetcher.fetch(url + "#two"))
    await asyncio.sleep(0.05)
    first.cancel()
    result = await second
    assert first.cancelled()
    assert result.status is LandingStatus.FETCHED
    assert len(standin.state.requests) == 2

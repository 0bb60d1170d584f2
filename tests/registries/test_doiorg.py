"""doi.org: batched registration-agency lookups, the prefix cache, content negotiation."""

from __future__ import annotations

import aiohttp
from aioresponses import aioresponses

from cco_enrich.doi import DOI
from cco_enrich.registries import (
    ContentNegotiation,
    DoiOrgClient,
    MemoryPrefixCache,
    RaAnswer,
    RetryPolicy,
)
from cco_enrich.registries._http import Endpoint
from cco_enrich.registries.doiorg import DOES_NOT_EXIST, INVALID, UNKNOWN
from cco_enrich.registries.limits import PoolLimit, PoolLimiter
from tests.fakes import DOI_URL, FakeUpstreams, load


def client(http: aiohttp.ClientSession, cache: MemoryPrefixCache | None = None) -> DoiOrgClient:
    endpoint = Endpoint(
        http=http,
        base_url=DOI_URL,
        name="doi.org",
        user_agent="cco_enrich/test",
        retry=RetryPolicy(attempts=2, wait_initial_s=0),
        timeout_s=5,
    )
    limiter = PoolLimiter("doi-org", PoolLimit(1000, 1.0, 3))
    return DoiOrgClient(endpoint, limiter=limiter, prefix_cache=cache)


def test_ra_url_encodes_a_comma_inside_a_doi(http: aiohttp.ClientSession) -> None:
    url = client(http).ra_url(["10.7554", "10.1000/a,b", "10.1000/x y"])
    assert url == f"{DOI_URL}/ra/10.7554,10.1000/a%2Cb,10.1000/x%20y"


def test_pack_keeps_each_ra_request_line_under_4_kb(http: aiohttp.ClientSession) -> None:
    doiorg = client(http)
    dois = [f"10.1000/a-rather-long-suffix-of-a-doi-number-{n}" for n in range(400)]
    groups = doiorg.pack(dois)
    assert [d for g in groups for d in g] == dois
    assert all(len(f"GET {doiorg.ra_url(g)[len(DOI_URL) :]} HTTP/1.1") <= 4000 for g in groups)
    assert len(groups) == 5


async def test_recorded_prefix_answers(http: aiohttp.ClientSession, mock: aioresponses) -> None:
    doiorg = client(http)
    mock.get(doiorg.ra_url(["10.5061"]), payload=load("doi_ra_prefix-10.5061_datacite.json"))
    mock.get(doiorg.ra_url(["10.7554"]), payload=load("doi_ra_prefix-10.7554_crossref.json"))
    assert await doiorg.agencies(["10.5061"]) == {"10.5061": RaAnswer(agency="DataCite")}
    assert await doiorg.agencies(["10.7554"]) == {"10.7554": RaAnswer(agency="Crossref")}


async def test_statuses_and_omissions_are_answers_too(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    doiorg = client(http)
    keys = ["10.1000/A", "10.99999", "bad", "10.1000/omitted"]
    payload = [
        {"DOI": "10.1000/a", "RA": "mEDRA"},
        {"DOI": "10.99999", "status": "DOI does not exist"},
        {"status": "Invalid DOI"},  # no DOI: matched by position
        "junk",
        {"DOI": "10.5555/not-asked-for", "RA": "Crossref"},
    ]
    mock.get(doiorg.ra_url(keys), payload=payload)
    assert await doiorg.agencies(keys) == {
        "10.1000/A": RaAnswer(agency="mEDRA"),
        "10.99999": RaAnswer(status=DOES_NOT_EXIST),
        "bad": RaAnswer(status=INVALID),
        "10.1000/omitted": RaAnswer(status=UNKNOWN),
    }


async def test_prefix_answers_fill_the_cache_and_dois_do_not(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    cache = MemoryPrefixCache()
    upstreams = FakeUpstreams(agencies={"10.1000": "Crossref"}, crossref={"10.1000/a": {}})
    upstreams.install(mock)
    doiorg = client(http, cache)
    await doiorg.agencies(["10.1000", "10.2000", "10.1000/a"])
    assert cache.agencies == {"10.1000": "Crossref"}
    assert await doiorg.cached_agencies(["10.1000", "10.2000"]) == {
        "10.1000": RaAnswer(agency="Crossref")
    }


async def test_garbage_ra_answer_means_unknown(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    doiorg = client(http)
    mock.get(doiorg.ra_url(["10.1000"]), payload={"unexpected": True})
    assert await doiorg.agencies(["10.1000"]) == {"10.1000": RaAnswer(status=UNKNOWN)}


async def test_content_negotiation_asks_for_csl_json(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    doi = DOI("10.1126/science.169.3946.635")
    upstreams = FakeUpstreams(csl={doi: load("crossref_csl_science-169-3946-635.json")})
    upstreams.install(mock)
    work = await client(http).lookup_csl(doi, "mEDRA")
    assert work is not None
    assert (work.registry, work.title) == ("medra", "The Structure of Ordinary Water")
    assert upstreams.urls[0].raw_path == "/10.1126%2Fscience.169.3946.635"


async def test_content_negotiation_404_is_none(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    upstreams = FakeUpstreams()
    upstreams.install(mock)
    assert await client(http).lookup_csl(DOI("10.1000/none"), "JaLC") is None
    assert upstreams.calls == {"doi-cn": 1}


async def test_content_negotiation_source_resolves_singles_with_the_agency_named(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    """Behind the BatchRegistry seam: no batches, one request per DOI, never raising."""
    found, gone = DOI("10.1126/science.169.3946.635"), DOI("10.1000/none")
    upstreams = FakeUpstreams(csl={found: load("crossref_csl_science-169-3946-635.json")})
    upstreams.install(mock)
    medra = ContentNegotiation(client(http), "mEDRA")
    assert medra.pack([found, gone]) == ([], [found, gone])
    result = await medra.resolve_batch([found, gone])
    assert result.works[found].registry == "medra"
    assert result.not_found == {gone: "doi.org has no mEDRA record of it"}
    assert (result.missing, result.failed) == ([], {})
    assert upstreams.calls == {"doi-cn": 2}


async def test_content_negotiation_source_turns_a_fault_into_a_failed_entry(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    doi = DOI("10.3000/a")
    upstreams = FakeUpstreams(failing={"doi-cn": 503})
    upstreams.install(mock)
    result = await ContentNegotiation(client(http), "mEDRA").resolve(doi)
    assert result.failed == {doi: "doi.org answered 503 (gave up after 2 attempts)"}

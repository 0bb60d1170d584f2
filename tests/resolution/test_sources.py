"""Each PidSource against the stand-in: what it answers, and how upstream faults end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from cco_enrich.registries.handle import ArkSource, HandleSource
from cco_enrich.registries.ncbi import PmcSource, PubMedSource
from cco_enrich.registries.openlibrary import OpenLibrarySource
from cco_enrich.registries.pids import Forward
from cco_enrich.resolution import PidSources
from cco_enrich.settings import Settings
from cco_enrich.wiring import pid_limits, pid_sources_from_settings
from tests.conftest import free_port
from tests.resolution.world import World, start_world
from tests.standin.handle import HANDLES
from tests.standin.ncbi import NCBI, PmcEntry
from tests.standin.openlibrary import OPENLIBRARY


@pytest.fixture
async def world() -> AsyncIterator[World]:
    world = await start_world()
    try:
        yield world
    finally:
        await world.server.close()


@pytest.fixture
async def sources(world: World) -> AsyncIterator[PidSources]:
    settings = world.settings(retry_attempts=2, retry_wait_initial_s=0)
    async with aiohttp.ClientSession() as http:
        yield pid_sources_from_settings(settings, http, http)


def _source(sources: PidSources, scheme: str) -> Any:
    return sources.by_scheme[scheme]


async def test_pubmed_answers_a_batch_and_fails_it_whole_on_5xx(
    world: World, sources: PidSources
) -> None:
    pubmed: PubMedSource = _source(sources, "pmid")
    result = await pubmed.resolve_batch(["30000001", "39999999"])
    assert list(result.works) == ["30000001"]
    assert result.works["30000001"].doi == world.crossref[0]
    assert result.not_found == {"39999999": "PubMed has no record of this PMID"}
    world.server.app[NCBI].state.fail_next("esummary", 503, count=2)
    failed = await pubmed.resolve_batch(["30000001", "30000002"])
    assert set(failed.failed) == {"30000001", "30000002"}
    assert "503" in failed.failed["30000001"]


async def test_pmc_hands_each_pmcid_on_to_its_pmid_or_its_doi(
    world: World, sources: PidSources
) -> None:
    world.server.app[NCBI].add_pmc(PmcEntry("PMC8000010"))  # in PMC, but no PMID and no DOI
    pmc: PmcSource = _source(sources, "pmcid")
    result = await pmc.resolve_batch(["PMC8000001", "PMC8000009", "PMC8000010", "PMC8999999"])
    assert result.forwards == {
        "PMC8000001": Forward(
            "pmid", "30000001", {"pmcid": "PMC8000001", "doi": world.crossref[0]}
        ),
        "PMC8000009": Forward(
            "doi", world.crossref[2], {"pmcid": "PMC8000009", "doi": world.crossref[2]}
        ),
    }
    assert set(result.not_found) == {"PMC8000010", "PMC8999999"}
    world.server.app[NCBI].state.fail_next("idconv", 500, count=2)
    assert set((await pmc.resolve_batch(["PMC8000001"])).failed) == {"PMC8000001"}


async def test_open_library_answers_a_batch_and_fails_on_an_unexpected_404(
    world: World, sources: PidSources
) -> None:
    library: OpenLibrarySource = _source(sources, "isbn")
    isbn = world.books[0][1]
    result = await library.resolve_batch([isbn, "9780306406157"])
    assert result.works[isbn].type == "book"
    assert result.not_found == {"9780306406157": "Open Library has no record of this ISBN"}
    assert world.server.app[OPENLIBRARY].state.unidentified == {}  # mailto in the User-Agent
    world.server.app[OPENLIBRARY].state.fail_next("books", 404)
    failed = await library.resolve_batch([isbn])
    assert "404" in failed.failed[isbn]


async def test_handles_lead_to_their_url_or_say_why_not(world: World, sources: PidSources) -> None:
    handles: HandleSource = _source(sources, "handle")
    result = await handles.resolve_batch(
        ["20.500.12345/abc", "20.500.12345/no-url", "20.500.12345/nothing", "noprefix"]
    )
    assert result.forwards == {
        "20.500.12345/abc": Forward("url", world.landing("data.example.org", "/dataset/3300"))
    }
    assert result.not_found == {
        "20.500.12345/no-url": "the Handle 20.500.12345/no-url has no URL",
        "20.500.12345/nothing": "the Handle proxy has no Handle 20.500.12345/nothing",
        "noprefix": "the Handle proxy says noprefix is no valid Handle",
    }
    world.server.app[HANDLES].state.fail_next("handle", 503, count=2)
    assert "503" in (await handles.resolve_batch(["20.500.12345/abc"])).failed["20.500.12345/abc"]
    igsn: HandleSource = _source(sources, "igsn")
    assert list((await igsn.resolve_batch(["TEST00001"])).forwards) == ["TEST00001"]


async def test_arks_lead_to_the_resolver_s_redirect(world: World, sources: PidSources) -> None:
    arks: ArkSource = _source(sources, "ark")
    result = await arks.resolve_batch(["ark:99999/fk4test", "ark:99999/unknown"])
    target = world.landing("portal.example.org", "/dataset/riceswhale-2019")
    assert result.forwards == {"ark:99999/fk4test": Forward("url", target)}
    assert result.not_found == {"ark:99999/unknown": "the ARK resolver does not know this ARK"}


@pytest.mark.parametrize(
    ("status", "count", "outcome"), [(503, 1, "forwards"), (429, 1, "forwards"), (500, 2, "failed")]
)
async def test_the_ark_resolver_is_retried_then_given_up(
    world: World, sources: PidSources, status: int, count: int, outcome: str
) -> None:
    world.server.app[HANDLES].ark_state.fail_next("ark", status, count=count)
    result = await _source(sources, "ark").resolve_batch(["ark:99999/fk4test"])
    assert list(getattr(result, outcome)) == ["ark:99999/fk4test"]
    if outcome == "failed":
        assert result.failed["ark:99999/fk4test"] == (
            "the ARK resolver answered HTTP 500 (gave up after 2 attempts)"
        )


async def test_an_unreachable_ark_resolver_fails() -> None:
    settings = Settings(
        ark_resolver_url=f"http://127.0.0.1:{free_port()}", retry_attempts=1, request_timeout_s=2
    )
    async with aiohttp.ClientSession() as http:
        arks = pid_sources_from_settings(settings, http, http).by_scheme["ark"]
        result = await arks.resolve_batch(["ark:99999/x"])
    assert "ClientConnectorError" in result.failed["ark:99999/x"]


def test_ncbi_allows_more_with_an_api_key() -> None:
    assert pid_limits(Settings()).ncbi.requests == 3
    assert pid_limits(Settings(ncbi_api_key="k")).ncbi.requests == 10
    assert (
        pid_limits(Settings()).openlibrary.requests,
        pid_limits(Settings()).openlibrary.in_flight,
    ) == (1, 1)


async def test_requests_are_counted_per_pool(world: World, sources: PidSources) -> None:
    await _source(sources, "pmid").resolve_batch(["30000001"])
    await _source(sources, "url").resolve_batch(
        [world.landing("data.example.org", "/dataset/3300")]
    )
    started = sources.requests_started()
    assert (started["ncbi"], started["openlibrary"], started["landing"]) == (1, 0, 1)

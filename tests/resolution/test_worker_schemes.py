"""Every scheme end to end: a burst worker, a real redis-server, the stand-in of every upstream.

Counting the stand-in's requests proves the batches: one esummary request for all the PMIDs
given, one more for PMIDs only a PMCID led to, one ID Converter request, one Books API request.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from arq import create_pool
from arq.connections import ArqRedis
from arq.worker import Worker

from cco_enrich.ingest import IdentifierListIngestor
from cco_enrich.models import JobState, Relation, Resource, ResourceStatus
from cco_enrich.settings import Settings
from cco_enrich.store import SessionStore, redis_settings
from cco_enrich.worker import WorkerSettings
from tests.conftest import RedisServer
from tests.resolution.world import REPO_PAGE, TOM_SAWYER, World, start_world
from tests.standin.handle import HANDLES
from tests.standin.landing import LANDING
from tests.standin.ncbi import NCBI
from tests.standin.openlibrary import OPENLIBRARY

pytestmark = [pytest.mark.redis, pytest.mark.timeout(120)]

DATA = Path(__file__).resolve().parents[1] / "data" / "cco"
ENRICHED, NOT_FOUND = ResourceStatus.ENRICHED, ResourceStatus.NOT_FOUND
SKIPPED, INVALID = ResourceStatus.SKIPPED, ResourceStatus.INVALID
COMPARED = (
    "doi",
    "registry",
    "title",
    "authors",
    "year",
    "container_title",
    "type",
    "publisher",
    "url",
)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    world = await start_world()
    try:
        yield world
    finally:
        await world.server.close()


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(redis_settings(redis_server.url))
    yield pool
    await pool.aclose()


async def _run(
    redis: ArqRedis, settings: Settings, identifiers: list[str] | dict[str, Any]
) -> tuple[dict[str, Resource], SessionStore]:
    """Create a session of `identifiers`, run a burst worker, return the resources by identifier."""
    ingestor = IdentifierListIngestor(max_identifiers=1000, max_bytes=10**6)
    payload = identifiers if isinstance(identifiers, dict) else {"identifiers": identifiers}
    result = ingestor.ingest_json(payload)
    store = SessionStore(redis, session_ttl_s=600)
    await store.create("s", result.resources, metadata={})
    await store.enqueue("s")
    worker = Worker(
        functions=WorkerSettings.functions,
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        redis_pool=redis,
        queue_name=WorkerSettings.queue_name,
        burst=True,
        poll_delay=0.05,
        job_timeout=100,
        handle_signals=False,
        ctx={"settings": settings},
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    assert (await store.status("s")).status is JobState.COMPLETED
    return {r.identifier: r for r in await store.resources("s")}, store


def _facts(resource: Resource) -> dict[str, Any]:
    dumped = resource.model_dump(mode="json")
    return {k: dumped[k] for k in COMPARED}


def _requests(world: World, app_key: Any, kind: str) -> int:
    return world.server.app[app_key].state.endpoint(kind).requests


async def test_every_scheme_resolves_in_batches_with_the_right_metadata(
    world: World, redis: ArqRedis, redis_server: RedisServer
) -> None:
    got, _ = await _run(redis, world.settings(redis_server.url), world.identifiers)
    c = world.crossref
    assert _facts(got[c[4]]) == world.truth(c[4])
    arxiv = got[f"arXiv:{world.arxiv[0].removeprefix('10.48550/arxiv.')}"]
    assert _facts(arxiv) == world.truth(world.arxiv[0])
    assert Relation(
        type="IsPreviousVersionOf", identifier=f"https://doi.org/{world.journal_doi}"
    ) in (arxiv.relations)
    # A PMID with a DOI takes the registry's record and keeps its PubMed ids.
    first = got["PMID: 30000001"]
    assert _facts(first) == world.truth(c[0])
    assert (first.pmid, first.pmcid, first.scheme, first.source) == (
        "30000001", "PMC8000001", "pmid", "crossref",
    )  # fmt: skip
    assert _facts(got["pmid:30000002"]) == world.truth(world.datacite[0])
    # Without a DOI, PubMed's own record.
    pubmed = got["https://pubmed.ncbi.nlm.nih.gov/30000003/"]
    assert (pubmed.status, pubmed.source, pubmed.title, pubmed.pmcid, pubmed.doi) == (
        ENRICHED, "pubmed", "PubMed article 30000003", "PMC8000003", None,
    )  # fmt: skip
    assert [a.family for a in pubmed.authors] == ["Smith", "Jones"]
    assert got["PMID 30000004"].source == "pubmed"
    assert (got["PMID: 39999999"].status, got["PMID: 39999999"].error) == (
        NOT_FOUND, "PubMed has no record of this PMID",
    )  # fmt: skip
    # PMCIDs through the ID Converter: to their PMID, or straight to the DOI.
    assert (got["PMC8000006"].title, got["PMC8000006"].pmid) == (
        "PubMed article 30000006",
        "30000006",
    )
    only_doi = got["PMCID: PMC8000009"]
    assert _facts(only_doi) == world.truth(c[2])
    assert (only_doi.pmcid, only_doi.pmid) == ("PMC8000009", None)
    assert got["PMC8999999"].status is NOT_FOUND

    _assert_books_handles_and_pages(world, got)
    # One request per batch: every PMID given in one esummary, the PMID only PMC8000006 led to
    # in a second; the PMCIDs in one ID Converter request; the ISBNs in one Books API request.
    assert _requests(world, NCBI, "esummary") == 2
    assert _requests(world, NCBI, "idconv") == 1
    assert _requests(world, OPENLIBRARY, "books") == 1
    assert _requests(world, HANDLES, "handle") == 2
    ncbi = world.server.app[NCBI].state
    assert sum(p.throttled for p in ncbi.pools.values()) == 0
    assert ncbi.unidentified == {}  # tool and email on every NCBI request
    assert sum(p.throttled for p in world.server.app[OPENLIBRARY].state.pools.values()) == 0


def _assert_books_handles_and_pages(world: World, got: dict[str, Resource]) -> None:
    record, isbn = world.books[0]
    book = got[f"ISBN {isbn}"]
    assert (book.status, book.title, book.type, book.source, book.isbn) == (
        ENRICHED, record["title"], "book", "openlibrary", isbn,
    )  # fmt: skip
    assert got[f"ISBN-10: {TOM_SAWYER}"].title == "The adventures of Tom Sawyer"
    assert got["ISBN 978-0-306-40615-7"].status is NOT_FOUND
    assert got["ISBN 978-0-306-40615-8"].status is INVALID
    handle, igsn, ark = (
        got[i] for i in ("hdl:20.500.12345/abc", "IGSN TEST00001", "ark:/99999/fk4test")
    )
    assert (handle.source, handle.type, handle.scheme) == ("landing-page", "dataset", "handle")
    assert (handle.title or "").startswith("Removal of organic carbon")
    assert (igsn.status, igsn.source, ark.status, ark.source) == (ENRICHED, "landing-page") * 2
    # A page naming a DOI the registries know: the registry's record, the DOI recorded.
    repo = got[world.landing(*REPO_PAGE)]
    assert _facts(repo) == world.truth(world.crossref[3])
    assert repo.scheme == "url"
    # A page naming a DOI no registry knows keeps its own metadata, and the DOI.
    zenodo = got[world.landing("zenodo.example", "/records/7654321")]
    assert (zenodo.source, zenodo.doi) == ("landing-page", "10.5281/zenodo.7654321")
    assert (
        got[world.landing("blog.example.org", "/2021/07/tagging-green-turtles")].status is ENRICHED
    )
    a, b = (got[world.landing("data.example.org", f"/dataset/3300#part-{x}")] for x in "ab")
    assert (a.status, b.status, a.title) == (ENRICHED, ENRICHED, handle.title)
    pdf = got[world.landing("pages.example.org", "/report.pdf")]
    assert (pdf.status, pdf.error) == (SKIPPED, "not an HTML page (application/pdf)")
    assert got[world.landing("pages.example.org", "/missing")].status is NOT_FOUND
    served = [r.path for r in world.server.app[LANDING].requests if r.host == "data.example.org"]
    assert served == ["/dataset/3300"]  # the Handle and both fragments: one fetch


async def test_the_same_work_in_two_schemes_is_one_work_noted_as_a_duplicate(
    world: World, redis: ArqRedis, redis_server: RedisServer
) -> None:
    got, _ = await _run(redis, world.settings(redis_server.url), world.identifiers)
    c = world.crossref
    # PMID 30000005 names a DOI given earlier; PMC8000001 and PMC8000003 are PMIDs given earlier.
    # Two URLs of one page (a fragment apart) share no id: they stay two resources, unmarked.
    duplicates = {i: r.duplicate_of for i, r in got.items() if r.duplicate_of}
    assert duplicates == {
        "PMID: 30000005": c[1],
        "PMC8000001": "PMID: 30000001",
        "PMC8000003": "https://pubmed.ncbi.nlm.nih.gov/30000003/",
    }
    assert got["PMID: 30000005"].status is ENRICHED
    assert (got["PMID: 30000005"].doi, got[c[1]].doi) == (c[1], c[1])


async def test_a_refused_address_is_skipped_and_never_requested(
    world: World, redis: ArqRedis, redis_server: RedisServer
) -> None:
    """With the guard on (the default), loopback pages are refused, however they are spelt."""
    port = world.server.port
    given = [
        world.landing("data.example.org", "/dataset/3300"),
        f"http://localhost:{port}/landing/data.example.org/dataset/3300",
        f"http://[::1]:{port}/landing/data.example.org/dataset/3300",
        f"http://2130706433:{port}/landing/data.example.org/dataset/3300",
        "hdl:20.500.12345/abc",  # the Handle proxy answers; the URL it names is refused
        "PMID 30000004",
    ]
    got, _ = await _run(
        redis, world.settings(redis_server.url, outbound_allow_private=False), given
    )
    for identifier in given[:5]:
        assert got[identifier].status is SKIPPED, identifier
        assert "loopback" in (got[identifier].error or ""), got[identifier].error
    assert got["PMID 30000004"].status is ENRICHED
    assert world.server.app[LANDING].requests == []


async def test_the_real_example_reads_its_landing_pages(
    world: World, redis: ArqRedis, redis_server: RedisServer
) -> None:
    """gommapps_input.json, its URLs pointed at the stand-in: NCEI and InPort as in the output."""
    document = json.loads((DATA / "gommapps_input.json").read_text())
    output = json.loads((DATA / "gommapps_output.json").read_text())
    expected = {r["identifier"]["@id"]: r for r in output["ore:describes"]["ore:aggregates"]}
    real = {world.real_url(p): p for p in document["resource_pids"] if p.startswith("https://")}
    document["resource_pids"] = [world.real_url(p) if p in real.values() else p
                                 for p in document["resource_pids"]]  # fmt: skip
    got, _ = await _run(redis, world.settings(redis_server.url), document)
    matched = 0
    for url, original in real.items():
        if original.startswith(("https://www.ncei.noaa.gov/", "https://www.fisheries.noaa.gov/")):
            resource = got[url]
            assert (resource.status, resource.source) == (ENRICHED, "landing-page"), resource
            assert resource.title == expected[original]["dc:title"]
            assert resource.type == expected[original]["@type"][1].lower()
            matched += 1
    assert matched == 14
    assert sum(1 for r in got.values() if r.status is ENRICHED) >= 16

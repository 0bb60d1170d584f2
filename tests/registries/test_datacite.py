"""DataCiteClient: `ids=` batches with a page big enough, single lookups, JSON 404s."""

from __future__ import annotations

import aiohttp
from aioresponses import aioresponses

from cco_enrich.doi import DOI
from cco_enrich.registries import DataCiteClient, RetryPolicy
from cco_enrich.registries._http import Endpoint
from cco_enrich.registries.limits import PoolLimit, PoolLimiter
from tests.fakes import DATACITE_URL, FakeUpstreams, datacite_attributes, load


def client(http: aiohttp.ClientSession, *, mailto: str | None = None) -> DataCiteClient:
    endpoint = Endpoint(
        http=http,
        base_url=DATACITE_URL,
        name="DataCite",
        user_agent="cco_enrich/test",
        retry=RetryPolicy(attempts=2, wait_initial_s=0),
        timeout_s=5,
        mailto=mailto,
    )
    return DataCiteClient(endpoint, limiter=PoolLimiter("datacite", PoolLimit(1000, 1.0, 3)))


def test_list_url_asks_for_one_page_holding_the_whole_batch(http: aiohttp.ClientSession) -> None:
    url = client(http, mailto="a@b.org").list_url([DOI("10.5061/dryad.1"), DOI("10.5061/x<y>")])
    assert url == (
        f"{DATACITE_URL}/dois?ids=10.5061/dryad.1,10.5061/x%3Cy%3E"
        "&page%5Bsize%5D=2&disable-facets=true&mailto=a@b.org"
    )


def test_pack_keeps_comma_dois_out_of_batches(http: aiohttp.ClientSession) -> None:
    dois = [DOI(f"10.5061/dryad.{n}") for n in range(300)] + [DOI("10.5061/a,b")]
    batches, singles = client(http).pack(dois)
    assert singles == [DOI("10.5061/a,b")]
    assert sum(map(len, batches)) == 300
    assert len(batches) > 1


async def test_batch_returns_found_works_and_missing_dois(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    dois = [DOI("10.5061/dryad.b"), DOI("10.5061/dryad.a"), DOI("10.5061/dryad.gone")]
    upstreams = FakeUpstreams(datacite={d: datacite_attributes(d.upper()) for d in dois[:2]})
    upstreams.install(mock)
    result = await client(http).resolve_batch(dois)
    assert set(result.works) == set(dois[:2])
    assert result.works[dois[0]].type == "dataset"
    assert result.missing == [dois[2]]
    assert upstreams.urls[0].query["page[size]"] == "3"


async def test_single_lookup_parses_a_recorded_record(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    doi = DOI("10.5061/dryad.8515")
    datacite = client(http)
    mock.get(datacite.doi_url(doi), payload=load("datacite_doi_dryad-8515.json"))
    work = await datacite.lookup(doi)
    assert work is not None
    assert (work.registry, work.year, work.publisher) == ("datacite", 2011, "Dryad")


async def test_single_lookup_json_404_is_not_found(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    upstreams = FakeUpstreams()
    upstreams.install(mock)
    result = await client(http).resolve(DOI("10.5061/nothing"))
    assert result.not_found == {DOI("10.5061/nothing"): "DataCite has no record of this DOI"}
    assert upstreams.calls == {"datacite-single": 1}


async def test_answers_without_records_fail_with_a_reason(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    doi = DOI("10.5061/a")
    datacite = client(http)
    mock.get(datacite.list_url([doi]), payload={"errors": []})
    mock.get(datacite.doi_url(doi), payload={"data": []})
    batch = await datacite.resolve_batch([doi])
    single = await datacite.resolve(doi)
    assert batch.failed == {doi: "DataCite answered a batch of 1 DOIs without a list of records"}
    assert single.failed == {doi: "DataCite answered 10.5061/a without a record"}


async def test_batch_records_are_matched_by_id_when_attributes_lack_the_doi(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    doi = DOI("10.5061/a")
    datacite = client(http)
    records = [{"id": "10.5061/A", "attributes": {"titles": [{"title": "T"}]}}, "junk"]
    mock.get(datacite.list_url([doi]), payload={"data": records})
    works = await datacite.lookup_batch([doi])
    assert works[doi].title == "T"

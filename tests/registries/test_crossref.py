"""CrossrefClient: packing, shuffled batches, splitting rejected batches, single lookups."""

from __future__ import annotations

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from cco_enrich.doi import DOI, normalise_doi
from cco_enrich.registries import CrossrefClient, RetryPolicy
from cco_enrich.registries._http import Endpoint
from cco_enrich.registries.limits import PoolLimit, PoolLimiter
from tests.fakes import CROSSREF_URL, FakeUpstreams, crossref_record, load

SICI = "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI{n}>3.0.CO;2-{n}"


def client(http: aiohttp.ClientSession, *, max_request_line: int = 3800) -> CrossrefClient:
    endpoint = Endpoint(
        http=http,
        base_url=CROSSREF_URL,
        name="Crossref",
        user_agent="cco_enrich/test (mailto:curator@example.org)",
        retry=RetryPolicy(attempts=2, wait_initial_s=0),
        timeout_s=5,
        mailto="curator@example.org",
    )
    fast = PoolLimit(1000, 1.0, 10)
    return CrossrefClient(
        endpoint,
        list_limiter=PoolLimiter("crossref-list", fast, margin_s=0),
        single_limiter=PoolLimiter("crossref-single", fast, margin_s=0),
        max_request_line=max_request_line,
    )


def request_line(url: str) -> int:
    return len(f"GET {URL(url, encoded=True).raw_path_qs} HTTP/1.1")


def test_pack_sends_commas_and_invalid_prefixes_to_single_lookups(
    http: aiohttp.ClientSession,
) -> None:
    dois = [DOI("10.1000/a"), DOI("10.1000/b,c"), DOI("10.123/short-prefix"), DOI("10.1000/d")]
    batches, singles = client(http).pack(dois)
    assert batches == [[DOI("10.1000/a"), DOI("10.1000/d")]]
    assert singles == [DOI("10.1000/b,c"), DOI("10.123/short-prefix")]


def test_long_sici_dois_keep_every_request_line_under_the_budget(
    http: aiohttp.ClientSession,
) -> None:
    crossref = client(http)
    dois = [normalise_doi(SICI.format(n=n)) for n in range(200)]
    batches, singles = crossref.pack(dois)
    assert singles == []
    assert [d for batch in batches for d in batch] == dois
    lengths = [request_line(crossref.list_url(batch)) for batch in batches]
    assert max(lengths) <= 3800
    assert min(lengths[:-1]) > 3800 - 100  # packed full, not a fixed small count
    assert all(len(batch) > 20 for batch in batches[:-1])


def test_list_url_joins_the_prefix_and_encodes_once(http: aiohttp.ClientSession) -> None:
    url = client(http).list_url([normalise_doi(SICI.format(n=1)), DOI("10.1000/a")])
    assert url.startswith(f"{CROSSREF_URL}/works?filter=doi:10.1002/%28sici%291097-4571")
    assert "%3C693%3A%3Aaid-asi1%3E3.0.co%3B2-1,doi:10.1000/a&rows=2&select=DOI,title," in url
    assert url.endswith("&mailto=curator@example.org")
    assert "%25" not in url


async def test_batch_matches_shuffled_results_and_leaves_out_missing(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    dois = [DOI(f"10.1000/w{n}") for n in range(6)]
    upstreams = FakeUpstreams(crossref={d: crossref_record(d, f"Title {d}") for d in dois[:4]})
    upstreams.install(mock)
    result = await client(http).resolve_batch(dois)
    assert {d: w.title for d, w in result.works.items()} == {d: f"Title {d}" for d in dois[:4]}
    assert result.missing == dois[4:]
    assert upstreams.calls == {"crossref-list": 1}
    [url] = upstreams.urls
    assert url.query["rows"] == "6"


async def test_recorded_batch_is_matched_by_lower_cased_doi(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    dois = [
        DOI("10.1007/s11192-025-05390-3"),
        DOI("10.1162/qss_a_00348"),
        DOI("10.1007/10452.1573-5125"),
    ]
    body = load("crossref_works_filter_3.json")
    body["message"]["items"] += [{"title": ["no DOI"]}, "junk", {"DOI": "10.5555/not-asked-for"}]
    crossref = client(http)
    mock.get(crossref.list_url(dois), payload=body)
    works = await crossref.lookup_batch(dois)
    assert set(works) == set(dois)
    assert (
        works[dois[1]].title
        == "How open are hybrid journals included in transformative agreements?"
    )


async def test_a_rejected_batch_is_split_until_the_bad_doi_stands_alone(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    good = [DOI(f"10.1000/g{n}") for n in range(3)]
    bad = DOI("10.12/two-digit-prefix")
    upstreams = FakeUpstreams(crossref={d: crossref_record(d) for d in good})
    upstreams.install(mock)
    result = await client(http).resolve_batch([good[0], good[1], bad, good[2]])
    assert set(result.works) == set(good)
    assert result.not_found == {bad: "Crossref has no record of this DOI"}
    assert (result.missing, result.failed) == ([], {})
    # 4 -> 400; halves: [g0, g1] ok, [bad, g2] -> 400; [bad] -> 400 -> single 404; [g2] ok
    assert upstreams.calls == {"crossref-list": 5, "crossref-single": 1}


async def test_a_414_splits_the_batch_in_halves(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    dois = [normalise_doi(SICI.format(n=n)) for n in range(80)]
    upstreams = FakeUpstreams(crossref={d: crossref_record(d) for d in dois})
    upstreams.install(mock)
    crossref = client(http, max_request_line=20_000)
    batches, _ = crossref.pack(dois)
    assert len(batches) == 1
    result = await crossref.resolve_batch(batches[0])
    assert set(result.works) == set(dois)
    assert upstreams.calls["crossref-list"] > 1
    assert "crossref-single" not in upstreams.calls


async def test_single_lookup_encodes_the_doi_as_one_segment(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    doi = DOI("10.1000/a,b/c#d")
    upstreams = FakeUpstreams(crossref={doi: crossref_record(doi, "Commas")})
    upstreams.install(mock)
    work = await client(http).lookup(doi)
    assert work is not None
    assert (work.doi, work.title) == (doi, "Commas")
    assert upstreams.urls[0].raw_path == "/api/works/10.1000%2Fa%2Cb%2Fc%23d"


async def test_single_lookup_404_is_none(http: aiohttp.ClientSession, mock: aioresponses) -> None:
    upstreams = FakeUpstreams()
    upstreams.install(mock)
    assert await client(http).lookup(DOI("10.1371/notarealdoi")) is None
    result = await client(http).resolve(DOI("10.1371/notarealdoi"))
    assert result.not_found == {DOI("10.1371/notarealdoi"): "Crossref has no record of this DOI"}
    assert upstreams.calls == {"crossref-single": 2}


async def test_recorded_single_work_parses(http: aiohttp.ClientSession, mock: aioresponses) -> None:
    doi = DOI("10.1371/journal.pone.0033693")
    crossref = client(http)
    mock.get(crossref.work_url(doi), payload=load("crossref_work_pone-0033693.json"))
    work = await crossref.lookup(doi)
    assert work is not None
    assert work.container_title == "PLoS ONE"


async def test_a_batch_that_keeps_failing_fails_its_dois_with_the_reason(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    dois = [DOI("10.1000/a"), DOI("10.1000/b")]
    crossref = client(http)
    mock.get(crossref.list_url(dois), status=503, repeat=True)
    result = await crossref.resolve_batch(dois)
    assert result.failed == dict.fromkeys(dois, "Crossref answered 503 (gave up after 2 attempts)")


@pytest.mark.parametrize("body", [{"status": "ok"}, {"message": {"items": "nope"}}, []])
async def test_a_batch_answer_without_items_fails_the_batch(
    http: aiohttp.ClientSession, mock: aioresponses, body: object
) -> None:
    dois = [DOI("10.1000/a")]
    crossref = client(http)
    mock.get(crossref.list_url(dois), payload=body)
    result = await crossref.resolve_batch(dois)
    assert "without a list of works" in result.failed[dois[0]]


async def test_a_single_answer_without_a_message_fails(
    http: aiohttp.ClientSession, mock: aioresponses
) -> None:
    doi = DOI("10.1000/a")
    crossref = client(http)
    mock.get(crossref.work_url(doi), payload={"status": "ok"})
    result = await crossref.resolve(doi)
    assert result.failed == {doi: "Crossref answered 10.1000/a without a work record"}

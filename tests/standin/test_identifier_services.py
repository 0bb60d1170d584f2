"""The NCBI, Open Library and Handle/ARK stand-ins: recorded answers, shapes, limits, faults."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from cco_enrich.registries.handle import (
    ark_resolver_url,
    handle_api_url,
    parse_ark_answer,
    parse_handle_answer,
)
from cco_enrich.registries.ncbi import (
    NcbiIdentity,
    esummary_url,
    idconv_url,
    parse_esummary,
    parse_idconv,
)
from cco_enrich.registries.openlibrary import books_url, parse_books

from .corpus import Corpus, make_corpus
from .limits import Policy, PoolLimit
from .ncbi import NCBI, article_document, make_articles
from .openlibrary import OPENLIBRARY, make_books
from .server import StandinServer
from .services import Call, ServiceState, identifier_env, serve
from .test_standin import FakeClock

DATA = Path(__file__).resolve().parents[1] / "data"
IDENTITY = NcbiIdentity(tool="cco_enrich", email="curator@example.org")
MAILTO_AGENT = {"User-Agent": "cco_enrich/1.0 (mailto:curator@example.org)"}
NO_LIMITS = Policy(limits_enabled=False)


def recorded(path: str) -> Any:
    return json.loads((DATA / path).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return make_corpus(3, 3, 1, 1, seed=5)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def server(corpus: Corpus) -> AsyncIterator[StandinServer]:
    async with StandinServer(corpus, NO_LIMITS) as running:
        yield running


def urls(server: StandinServer) -> dict[str, str]:
    return identifier_env(server.base_url)


async def get(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with http.get(url, allow_redirects=False, **kwargs) as response:
        text = await response.text()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text


# NCBI: esummary --------------------------------------------------------------------------


async def test_esummary_answers_the_recorded_batch(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    pmids = ["27933103", "34813072", "30089069", "99999999"]
    url = esummary_url(urls(server)["CCO_NCBI_EUTILS_URL"], pmids, IDENTITY)
    status, body = await get(http, url)
    assert (status, body) == (200, recorded("ncbi/esummary_pubmed_batch.json"))
    answer = parse_esummary(body, pmids)
    assert (sorted(answer.works), answer.not_found) == (sorted(pmids[:3]), ["99999999"])


async def test_esummary_answers_a_malformed_uid_and_an_empty_list_like_eutils(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    base = urls(server)["CCO_NCBI_EUTILS_URL"] + "/esummary.fcgi?db=pubmed&retmode=json&id="
    assert await get(http, base + "1,NC_9") == (
        200,
        {"header": {"type": "esummary", "version": "0.3"},
         "error": "Invalid uid NC_9 at position= 1", "result": {"uids": []}},
    )  # fmt: skip
    status, body = await get(http, base)
    assert (status, body["esummaryresult"]) == (200, ["Empty id list - nothing todo"])


async def test_esummary_serves_documents_a_test_adds(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    server.app[NCBI].add_document(
        article_document("42", "Made up.", ["Doe J"], journal="J", source="J", pubdate="2020")
    )
    url = esummary_url(urls(server)["CCO_NCBI_EUTILS_URL"], ["42"], IDENTITY)
    _, body = await get(http, url)
    work = parse_esummary(body, ["42"]).works["42"]
    assert (work.title, work.year, work.doi) == ("Made up", 2020, None)


def test_make_articles_is_deterministic_and_mixes_dois_and_pmc() -> None:
    articles = make_articles(200, seed=3)
    assert articles == make_articles(200, seed=3)
    with_doi = sum(any(i["idtype"] == "doi" for i in a["articleids"]) for a in articles)
    in_pmc = sum(any(i["idtype"] == "pmc" for i in a["articleids"]) for a in articles)
    assert 100 < with_doi < 180
    assert 40 < in_pmc < 120


# NCBI: ID Converter ----------------------------------------------------------------------


async def test_idconv_answers_recorded_records_and_unknown_ids(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    pmids = ["30003000", "30003001", "30003002", "99999999"]
    url = idconv_url(urls(server)["CCO_NCBI_IDCONV_URL"], pmids, "pmid", IDENTITY)
    status, body = await get(http, url)
    assert status == 200
    assert body["records"] == recorded("ncbi/idconv_pmids_30003000.json")["records"]
    answer = parse_idconv(body, pmids, "pmid")
    assert answer.found["30003000"].pmcid == "PMC6039336"
    assert answer.not_found == {"99999999": "Identifier not found in PMC"}


async def test_idconv_knows_the_pmc_articles_of_its_documents(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    url = idconv_url(urls(server)["CCO_NCBI_IDCONV_URL"], ["PMC5122160", "PMC1"], "pmcid", IDENTITY)
    _, body = await get(http, url)
    assert body["records"] == [
        {"pmcid": "PMC5122160", "requested-id": "PMC5122160",
         "doi": "10.1186/s13321-016-0181-z", "pmid": 27933103},
        {"pmcid": "PMC1", "requested-id": "PMC1", "status": "error",
         "errmsg": "Identifier not found in PMC"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("ids=PMC1,123&format=json", "one type"),
        ("ids=" + ",".join(str(n) for n in range(1, 202)) + "&format=json", "1 to 200"),
        ("ids=PMC1", "format=json"),
    ],
)
async def test_idconv_refuses_mixed_oversize_and_non_json_requests(
    server: StandinServer, http: aiohttp.ClientSession, query: str, problem: str
) -> None:
    status, body = await get(http, urls(server)["CCO_NCBI_IDCONV_URL"] + "?" + query)
    assert status == 400
    assert problem in body["errmsg"]


# NCBI: limits ------------------------------------------------------------------------------


async def test_ncbi_allows_three_requests_a_second_across_both_services(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    async with StandinServer(corpus, Policy(), clock=clock) as server:
        eutils = esummary_url(urls(server)["CCO_NCBI_EUTILS_URL"], ["27933103"], IDENTITY)
        idconv = idconv_url(urls(server)["CCO_NCBI_IDCONV_URL"], ["PMC1"], "pmcid", IDENTITY)
        found = [(await get(http, url))[0] for url in (eutils, idconv, eutils, idconv)]
        assert found == [200, 200, 200, 429]
        status, body = await get(http, eutils)
        assert (status, body["error"], body["limit"], body["count"]) == (
            429,
            "API rate limit exceeded",
            "3",
            "5",
        )
        clock.now += 1.0
        assert (await get(http, eutils))[0] == 200
        stats = server.app[NCBI].state
    assert (stats.pools["ip"].requests, stats.pools["ip"].throttled) == (6, 2)


async def test_ncbi_allows_ten_requests_a_second_with_an_api_key(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    keyed = NcbiIdentity(tool="cco_enrich", email="curator@example.org", api_key="k")
    async with StandinServer(corpus, Policy(retry_after=True), clock=FakeClock()) as server:
        url = esummary_url(urls(server)["CCO_NCBI_EUTILS_URL"], ["27933103"], keyed)
        found = [(await get(http, url))[0] for _ in range(11)]
        assert found == [200] * 10 + [429]
        async with http.get(url) as response:
            assert response.headers.get("Retry-After") == "1"
            assert (await response.json())["api-key"] == "k"


async def test_ncbi_counts_requests_without_tool_and_email(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    base = urls(server)["CCO_NCBI_EUTILS_URL"]
    await get(http, f"{base}/esummary.fcgi?db=pubmed&retmode=json&id=1")
    await get(http, esummary_url(base, ["1"], IDENTITY))
    async with http.get(server.base_url + "/_standin/ncbi/stats") as response:
        stats = await response.json()
    assert stats["unidentified"] == {"esummary": 1}
    assert stats["endpoints"]["esummary"]["lookups"] == {"1": 2}


async def test_ncbi_fails_as_asked_then_recovers(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    fault = {"kind": "esummary", "status": 503, "count": 1}
    async with http.post(server.base_url + "/_standin/ncbi/faults", json=fault) as response:
        assert response.status == 200
    url = esummary_url(urls(server)["CCO_NCBI_EUTILS_URL"], ["27933103"], IDENTITY)
    assert [(await get(http, url))[0] for _ in range(2)] == [503, 200]
    async with http.post(server.base_url + "/_standin/ncbi/reset") as response:
        assert response.status == 200
    assert server.app[NCBI].state.pools["ip"].requests == 0


# Open Library ----------------------------------------------------------------------------


async def test_books_answers_the_recorded_batch_byte_for_byte(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    isbns = ["9780451526533", "9780980200447", "9780575043633", "9780000000002"]
    async with http.get(books_url(urls(server)["CCO_OPENLIBRARY_URL"], isbns)) as response:
        assert response.content_type == "application/json"
        text = await response.text()
    assert text + "\n" == (DATA / "openlibrary/books_batch_data.json").read_text(encoding="utf-8")
    assert parse_books(json.loads(text), isbns).not_found == ["9780000000002"]


async def test_books_keys_the_answer_by_each_bibkey_as_sent(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    base = urls(server)["CCO_OPENLIBRARY_URL"] + "/api/books?format=json&jscmd=data&bibkeys="
    status, body = await get(http, base + "0575043636,ISBN:0-451-52653-8,OLID:OL1M")
    assert status == 200
    assert sorted(body) == ["0575043636", "ISBN:0-451-52653-8"]
    assert body["0575043636"] == recorded("openlibrary/books_0575043636_data.json")["0575043636"]


async def test_books_without_format_json_answers_javascript(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    url = urls(server)["CCO_OPENLIBRARY_URL"] + "/api/books?bibkeys=ISBN:0451526538"
    async with http.get(url) as response:
        assert response.content_type == "text/javascript"
        text = await response.text()
    assert text.startswith('var _OLBookInfo = {"ISBN:0451526538": {"bib_key": "ISBN:0451526538"')


async def test_books_serves_made_up_books(corpus: Corpus, http: aiohttp.ClientSession) -> None:
    async with StandinServer(corpus, NO_LIMITS) as server:
        made = make_books(3, seed=1)
        for record, isbn in made:
            server.app[OPENLIBRARY].add_book(record, isbn)
        isbns = [isbn for _, isbn in made]
        _, body = await get(http, books_url(urls(server)["CCO_OPENLIBRARY_URL"], isbns))
    assert sorted(parse_books(body, isbns).works) == sorted(isbns)


async def test_books_allows_one_request_a_second(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    async with StandinServer(corpus, Policy(), clock=clock) as server:
        url = books_url(urls(server)["CCO_OPENLIBRARY_URL"], ["9780451526533"])
        found = [(await get(http, url, headers=MAILTO_AGENT))[0] for _ in range(2)]
        clock.now += 1.0
        found.append((await get(http, url))[0])
        state = server.app[OPENLIBRARY].state
    assert found == [200, 429, 200]
    assert dict(state.unidentified) == {"books": 1}


async def test_books_allows_one_request_in_flight(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    async with StandinServer(corpus, Policy(latency_base_s=0.2), clock=clock) as server:
        url = books_url(urls(server)["CCO_OPENLIBRARY_URL"], ["9780451526533"])

        async def one(delay_s: float) -> int:
            await asyncio.sleep(delay_s)
            clock.now += 1.0  # a new second: only the one in flight can refuse it
            return (await get(http, url))[0]

        found = await asyncio.gather(one(0), one(0.05))
    assert list(found) == [200, 429]
    assert server.app[OPENLIBRARY].state.pools["api"].max_in_flight == 2


async def test_serve_counts_refusals_and_releases_the_slot() -> None:
    state = ServiceState("x", FakeClock())
    call = Call("books", "api", PoolLimit(1, 1.0, 1), ["a"], True)
    gate = asyncio.Event()

    async def slow() -> web.StreamResponse:
        await gate.wait()
        return web.Response(text="ok")

    def too_many(count: int) -> web.Response:
        return web.Response(status=429)

    first = asyncio.create_task(serve(state, call, slow, too_many))
    await asyncio.sleep(0)
    assert (await serve(state, call, slow, too_many)).status == 429
    gate.set()
    assert (await first).status == 200
    assert (state.pools["api"].throttled, state.limiters["api"].in_flight) == (1, 0)


# Handle proxy and ARK resolver -------------------------------------------------------------


async def test_handle_api_answers_the_documented_example(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    url = urls(server)["CCO_HANDLE_URL"] + "/api/handles/4263537/4000"
    assert await get(http, url) == (200, recorded("handle/handle_4263537_4000.json"))


async def test_handle_api_resolves_an_igsn_to_its_first_url(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    url = handle_api_url(urls(server)["CCO_HANDLE_URL"], "10273/iecur0097")  # any case
    status, body = await get(http, url)
    record = parse_handle_answer(body, "10273/IECUR0097")
    assert status == 200
    assert record is not None
    assert record.url == "http://app.geosamples.org/sample/igsn/IECUR0097"


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("20.500.1/unknown", 404, {"responseCode": 100, "handle": "20.500.1/unknown"}),
        ("4263537%2F4000", 404, {"responseCode": 100, "handle": "4263537%2F4000"}),
        ("nonsense", 400, {"responseCode": 102, "handle": "nonsense", "message": "Invalid handle"}),
        ("20.500.12345/no-url?type=URL", 200,
         {"responseCode": 200, "handle": "20.500.12345/no-url", "values": []}),
    ],
)  # fmt: skip
async def test_handle_api_answers_not_found_invalid_and_no_values(
    server: StandinServer, http: aiohttp.ClientSession, path: str, status: int, body: Any
) -> None:
    assert await get(http, urls(server)["CCO_HANDLE_URL"] + "/api/handles/" + path) == (
        status,
        body,
    )


@pytest.mark.parametrize("ark", ["ark:/13030/tf5p30086k", "ark:13030/tf5p30086k"])
async def test_ark_resolver_redirects_a_known_ark_in_either_spelling(
    server: StandinServer, http: aiohttp.ClientSession, ark: str
) -> None:
    url = urls(server)["CCO_ARK_RESOLVER_URL"] + "/" + ark
    async with http.get(url, allow_redirects=False) as response:
        target = parse_ark_answer(response.status, response.headers.get("Location"), url)
    assert target == "http://www.oac.cdlib.org/findaid/ark:/13030/tf5p30086k"


async def test_ark_resolver_answers_404_for_an_unknown_ark(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    url = ark_resolver_url(urls(server)["CCO_ARK_RESOLVER_URL"], "ark:12345/nothing")
    async with http.get(url, allow_redirects=False) as response:
        assert parse_ark_answer(response.status, None, url) is None
        assert response.content_type == "text/html"


def test_identifier_env_points_every_setting_at_the_stand_in() -> None:
    assert identifier_env("http://127.0.0.1:9/") == {
        "CCO_NCBI_EUTILS_URL": "http://127.0.0.1:9/ncbi/eutils",
        "CCO_NCBI_IDCONV_URL": "http://127.0.0.1:9/ncbi/idconv/api/v1/articles/",
        "CCO_OPENLIBRARY_URL": "http://127.0.0.1:9/openlibrary",
        "CCO_HANDLE_URL": "http://127.0.0.1:9/handle",
        "CCO_ARK_RESOLVER_URL": "http://127.0.0.1:9/n2t",
    }

"""The stand-in registry server: corpus, endpoints, exact limits, faults, stats, process mode."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from yarl import URL

from cco_enrich.doi import doi_url
from cco_enrich.models import Author, Work

from .corpus import Corpus, TruthWork, clean_text, make_corpus
from .limits import Faults, Policy, PoolLimit, SlidingWindow
from .records import render_crossref, render_csl, render_datacite
from .server import StandinServer

REPO = Path(__file__).resolve().parents[2]
SICI = "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-o"
HASH_DOI = "10.1002/(sici)1097-4571(199711)48:11<1021::aid-asi4>3.0.co;2-#"
COMMA_DOI = "10.1002/ange.1,2-dioxetane.19990315"
POLITE = {"User-Agent": "tests/1.0 (mailto:tests@example.org)"}
CSL = {"Accept": "application/vnd.citationstyles.csl+json"}
NO_LIMITS = Policy(limits_enabled=False)


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def enc(doi: str) -> str:
    return quote(doi, safe="")


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return make_corpus(40, 30, 3, 10, seed=7)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def server(corpus: Corpus) -> AsyncIterator[StandinServer]:
    async with StandinServer(corpus, NO_LIMITS) as running:
        yield running


def crossref_dois(corpus: Corpus) -> list[str]:
    return [w.doi for w in corpus.works_of("crossref")]


# Corpus ---------------------------------------------------------------------------------


def test_make_corpus_is_deterministic() -> None:
    assert (
        make_corpus(30, 10, 2, 5, seed=3).to_json() == make_corpus(30, 10, 2, 5, seed=3).to_json()
    )
    assert (
        make_corpus(30, 10, 2, 5, seed=3).to_json() != make_corpus(30, 10, 2, 5, seed=4).to_json()
    )


def test_make_corpus_counts_registries_and_keeps_missing_prefixes_known(corpus: Corpus) -> None:
    counts = {r: len(corpus.works_of(r)) for r in ("crossref", "datacite", "medra", "jalc")}
    assert counts == {"crossref": 40, "datacite": 30, "medra": 2, "jalc": 1}
    assert len(corpus.missing) == 10
    assert not set(corpus.missing) & set(corpus.works)
    assert all(doi.split("/")[0] in corpus.prefixes for doi in corpus.missing)
    assert all(doi == doi.lower() for doi in corpus.works)


def test_make_corpus_spreads_works_over_n_prefixes() -> None:
    wide = make_corpus(300, 100, 0, 0, n_prefixes=8)
    crossref_prefixes = {w.doi.split("/")[0] for w in wide.works_of("crossref")}
    datacite_prefixes = {w.doi.split("/")[0] for w in wide.works_of("datacite")}
    assert len(crossref_prefixes) == 8
    assert len(datacite_prefixes) == 8


def test_corpus_round_trips_through_json(corpus: Corpus) -> None:
    loaded = Corpus.from_json(corpus.to_json())
    assert loaded.works == corpus.works
    assert loaded.records == corpus.records
    assert loaded.prefixes == corpus.prefixes
    assert loaded.missing == corpus.missing


def test_truth_of_hard_cases_is_clean(corpus: Corpus) -> None:
    works = list(corpus.works.values())
    jats, entity, component = works[3], works[9], works[8]
    assert jats.title == (
        "Identification of a novel cationic glycolipid in Streptococcus agalactiae that fixes CO2"
    )
    assert entity.title == "Sediment & nutrient fluxes in Posidonia oceanica"
    assert [a.name for a in entity.authors] == ["OBIS-SEAMAP Consortium", None]  # blank dropped
    assert works[5].authors == (Author(family="Sheherazade"), Author(family="Ardiantiono"))
    assert (component.title, component.year, component.authors) == (None, None, ())
    assert works[6].authors == ()
    assert works[7].year == 2019
    assert {SICI, HASH_DOI, COMMA_DOI} <= set(corpus.works)


def test_truth_work_converts_to_our_work(corpus: Corpus) -> None:
    truth = corpus.works[SICI]
    work = truth.to_work()
    assert isinstance(work, Work)
    assert work.url == doi_url(SICI)
    assert TruthWork.from_fields(truth.resource_fields()) == truth


def _year_of_crossref(record: dict[str, Any]) -> int | None:
    for key in ("issued", "published", "published-print", "published-online"):
        first = record.get(key, {}).get("date-parts", [[None]])[0][0]
        if first is not None:
            return int(first)
    return None


def test_records_agree_with_truth(corpus: Corpus) -> None:
    """Every rendered upstream record carries its truth's DOI, title and year (mapping rules)."""
    for work in corpus.works.values():
        record = corpus.records[work.doi]
        if work.registry == "crossref":
            body = render_crossref(record, score=1)
            title = next((t for t in body["title"] if t), None)
            facts = (body["DOI"], clean_text(title), _year_of_crossref(body))
            assert len(body.get("author", [])) >= len(work.authors)
        elif work.registry == "datacite":
            attrs = render_datacite(record)["attributes"]
            main = [t["title"] for t in attrs["titles"] if "titleType" not in t]
            year = attrs["publicationYear"]
            facts = (attrs["doi"], clean_text(main[0]), None if year is None else int(year))
        else:
            csl = render_csl(record)
            title = csl["title"][0] if isinstance(csl["title"], list) else csl["title"]
            facts = (csl["DOI"].lower(), clean_text(title), csl["issued"]["date-parts"][0][0])
        assert facts == (work.doi, work.title, work.year), work.doi


# Crossref -------------------------------------------------------------------------------


async def test_crossref_work_answers_envelope_for_encoded_sici_doi(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{server.crossref_url}/works/{enc(SICI)}") as resp:
        body = await resp.json()
    assert resp.status == 200
    assert body["message-type"] == "work"
    assert body["message"]["DOI"] == SICI
    assert body["message"]["score"] == 1


async def test_crossref_work_accepts_raw_and_upper_case_doi(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    url = URL(f"{server.crossref_url}/works/{SICI.upper()}", encoded=True)
    async with http.get(url) as resp:
        assert resp.status == 200
        assert (await resp.json())["message"]["DOI"] == SICI


async def test_crossref_work_hash_doi_needs_percent_encoding(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{server.crossref_url}/works/{enc(HASH_DOI)}") as resp:
        assert resp.status == 200


@pytest.mark.parametrize("which", ["missing", "datacite"])
async def test_crossref_work_404_is_plain_text(
    server: StandinServer, http: aiohttp.ClientSession, corpus: Corpus, which: str
) -> None:
    doi = corpus.missing[0] if which == "missing" else corpus.works_of("datacite")[0].doi
    async with http.get(f"{server.crossref_url}/works/{enc(doi)}") as resp:
        assert resp.status == 404
        assert resp.content_type == "text/plain"
        assert await resp.text() == "Resource not found."


async def test_crossref_work_rejects_field_queries(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    url = f"{server.crossref_url}/works/{enc(SICI)}?query.author=smith"
    async with http.get(url) as resp:
        body = json.loads(await resp.text())
    assert resp.status == 400
    assert body["message"][0]["value"] == "query.*"


async def test_crossref_list_shuffles_and_omits_missing(
    server: StandinServer, http: aiohttp.ClientSession, corpus: Corpus
) -> None:
    asked = [*crossref_dois(corpus)[3:18], *corpus.missing[:3]]  # no comma DOI: it 400s
    params = {"filter": ",".join(f"doi:{d}" for d in asked), "rows": "50"}
    async with http.get(f"{server.crossref_url}/works", params=params) as resp:
        message = (await resp.json())["message"]
    got = [item["DOI"] for item in message["items"]]
    assert sorted(got) == sorted(asked[:15])
    assert got != asked[:15]
    assert message["total-results"] == 15
    assert message["items-per-page"] == 50
    assert all(item["score"] == 0.0 for item in message["items"])


async def test_crossref_list_truncates_to_20_rows_by_default(
    server: StandinServer, http: aiohttp.ClientSession, corpus: Corpus
) -> None:
    params = {"filter": ",".join(f"doi:{d}" for d in crossref_dois(corpus)[10:40])}
    async with http.get(f"{server.crossref_url}/works", params=params) as resp:
        message = (await resp.json())["message"]
    assert len(message["items"]) == 20
    assert message["total-results"] == 30


async def test_crossref_list_applies_select(
    server: StandinServer, http: aiohttp.ClientSession, corpus: Corpus
) -> None:
    params = {"filter": f"doi:{crossref_dois(corpus)[12]}", "select": "DOI,title"}
    async with http.get(f"{server.crossref_url}/works", params=params) as resp:
        (item,) = (await resp.json())["message"]["items"]
    assert set(item) == {"DOI", "title"}


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("filter=doi:10.12/abc", "doi-not-valid"),
        ("filter=type:journal-article", "filter-not-available"),
        (f"filter=doi:{COMMA_DOI}", "filter-not-available"),
        ("filter=doi:10.1371/x&rows=1001", "integer-not-valid"),
        ("filter=doi:10.1371/x&select=DOI,bogus", "field-not-valid"),
        ("filter=doi:10.1371/x&query.title=y", "parameter-not-allowed"),
    ],
)
async def test_crossref_list_validation_failure(
    server: StandinServer, http: aiohttp.ClientSession, query: str, kind: str
) -> None:
    async with http.get(URL(f"{server.crossref_url}/works?{query}", encoded=True)) as resp:
        body = await resp.json()
    assert resp.status == 400
    assert body["message-type"] == "validation-failure"
    assert body["message"][0]["type"] == kind


async def test_crossref_list_414_just_above_4096_byte_request_line(
    server: StandinServer, http: aiohttp.ClientSession, corpus: Corpus
) -> None:
    path = f"/crossref/works?filter=doi:{enc(crossref_dois(corpus)[12])}&rows=5&offset="
    padding = 4096 - len(f"GET {path} HTTP/1.1")  # offset=000...0 is still offset 0
    for extra, status in ((0, 200), (1, 414)):
        url = URL(server.base_url + path + "0" * (padding + extra), encoded=True)
        async with http.get(url) as resp:
            assert resp.status == status


@pytest.mark.parametrize(
    ("query", "headers", "pool", "limit", "in_flight"),
    [
        ("?mailto=me@example.org", {}, "polite-single", "10", "3"),
        ("", POLITE, "polite-single", "10", "3"),
        ("", {}, "public-single", "5", "1"),
    ],
)
async def test_crossref_pool_headers_follow_politeness(
    server: StandinServer,
    http: aiohttp.ClientSession,
    query: str,
    headers: dict[str, str],
    pool: str,
    limit: str,
    in_flight: str,
) -> None:
    async with http.get(f"{server.crossref_url}/works/{enc(SICI)}{query}", headers=headers) as resp:
        assert resp.headers["x-api-pool"] == pool
        assert resp.headers["x-rate-limit-limit"] == limit
        assert resp.headers["x-rate-limit-interval"] == "1s"
        assert resp.headers["x-concurrency-limit"] == in_flight


async def test_crossref_list_is_an_array_pool(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(
        f"{server.crossref_url}/works?filter=doi:10.1371/x", headers=POLITE
    ) as resp:
        assert (resp.headers["x-api-pool"], resp.headers["x-rate-limit-limit"]) == (
            "polite-array",
            "3",
        )


# DataCite -------------------------------------------------------------------------------


async def test_datacite_doi_answers_json_api(
    server: StandinServer, http: aiohttp.ClientSession, corpus: Corpus
) -> None:
    doi = corpus.works_of("datacite")[0].doi
    async with http.get(f"{server.datacite_url}/dois/{enc(doi.upper())}") as resp:
        data = (await resp.json())["data"]
    assert (data["id"], data["type"], data["attributes"]["doi"]) == (doi, "dois", doi)


async def test_datacite_doi_404_is_json_errors(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{server.datacite_url}/dois/{enc(SICI)}") as resp:
        body = await resp.json()
    assert resp.status == 404
    assert body["errors"][0]["status"] == "404"


async def test_datacite_list_pages_25_sorted_by_created(
    server: StandinServer, http: aiohttp.ClientSession, corpus: Corpus
) -> None:
    ids = [w.doi for w in corpus.works_of("datacite")] + corpus.missing[:2]
    async with http.get(f"{server.datacite_url}/dois", params={"ids": ",".join(ids)}) as resp:
        body = await resp.json()
    created = [item["attributes"]["created"] for item in body["data"]]
    assert len(body["data"]) == 25
    assert body["meta"]["total"] == 30
    assert created == sorted(created)
    params = {"ids": ",".join(ids), "page[size]": "100"}
    async with http.get(f"{server.datacite_url}/dois", params=params) as resp:
        assert len((await resp.json())["data"]) == 30


# doi.org --------------------------------------------------------------------------------


async def test_doi_ra_answers_in_input_order(
    server: StandinServer, http: aiohttp.ClientSession, corpus: Corpus
) -> None:
    entries = [
        corpus.works_of("datacite")[0].doi,
        COMMA_DOI,
        "10.5061",
        corpus.missing[0],
        "10.99999/nope",
        "not-a-doi",
        corpus.works_of("medra")[0].doi.upper(),
    ]
    path = ",".join(enc(entry).replace("%2F", "/") for entry in entries)
    async with http.get(URL(f"{server.doi_url}/ra/{path}", encoded=True)) as resp:
        assert resp.headers["Content-Type"] == "application/json;charset=UTF-8"
        body = json.loads(await resp.text())
    assert [item["DOI"] for item in body] == entries
    assert [item.get("RA") or item["status"] for item in body] == [
        "DataCite",
        "Crossref",
        "DataCite",
        "DOI does not exist",
        "DOI does not exist",
        "Invalid DOI",
        "mEDRA",
    ]


async def test_doi_ra_414_above_8_kb(server: StandinServer, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{server.doi_url}/ra/" + ",".join(["10.1371/x" * 10] * 100)) as resp:
        assert resp.status == 414


async def test_doi_content_negotiation_serves_csl_for_medra(
    server: StandinServer, http: aiohttp.ClientSession, corpus: Corpus
) -> None:
    work = corpus.works_of("medra")[0]
    async with http.get(f"{server.doi_url}/{enc(work.doi)}", headers=CSL) as resp:
        assert resp.content_type == "application/vnd.citationstyles.csl+json"
        csl = await resp.json(content_type=None)
    assert csl["DOI"] == work.doi.upper()
    assert csl["container-title"] == work.container_title


@pytest.mark.parametrize(("which", "status"), [("missing", 404), ("no-accept", 406)])
async def test_doi_content_negotiation_errors(
    server: StandinServer, http: aiohttp.ClientSession, corpus: Corpus, which: str, status: int
) -> None:
    doi = corpus.missing[0] if which == "missing" else corpus.works_of("jalc")[0].doi
    async with http.get(
        f"{server.doi_url}/{enc(doi)}", headers=CSL if which == "missing" else {}
    ) as r:
        assert r.status == status
        assert (r.content_type == "text/html") is (which == "missing")


# Limits ---------------------------------------------------------------------------------


def test_sliding_window_counts_half_open_interval() -> None:
    window = SlidingWindow(1.0)
    assert [window.arrive(t) for t in (0.0, 0.5, 0.999, 1.0, 1.5)] == [1, 2, 3, 3, 3]


async def statuses(
    http: aiohttp.ClientSession, url: str, n: int, headers: dict[str, str] | None = None
) -> list[int]:
    found = []
    for _ in range(n):
        async with http.get(url, headers=headers) as resp:
            found.append(resp.status)
    return found


async def test_rate_limit_is_exact_in_a_one_second_window(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    async with StandinServer(corpus, Policy(), clock=clock) as server:
        url = f"{server.crossref_url}/works/{enc(SICI)}"
        assert await statuses(http, url, 11, POLITE) == [200] * 10 + [429]
        clock.now += 0.5
        assert await statuses(http, url, 1, POLITE) == [429]  # refused arrivals count too
        clock.now += 0.5  # the first eleven have left (t - 1 s, t]; the 12th has not
        assert await statuses(http, url, 1, POLITE) == [200]
        pool = server.stats.pool("polite-single")
    assert (pool.requests, pool.throttled, pool.responses[429], pool.max_per_second) == (
        13,
        2,
        2,
        12,
    )


async def test_concurrency_limit_refuses_the_extra_request_in_flight(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    policy = Policy(latency_base_s=0.2)
    async with StandinServer(corpus, policy, clock=FakeClock()) as server:
        url = f"{server.crossref_url}/works/{enc(SICI)}"

        async def one() -> int:
            async with http.get(url, headers=POLITE) as resp:
                return resp.status

        found = await asyncio.gather(*(one() for _ in range(4)))
        assert sorted(found) == [200, 200, 200, 429]
        assert server.stats.pool("polite-single").max_in_flight == 4


async def test_a_pool_can_enforce_less_than_its_headers_announce(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    """Crossref list really 2/s while the headers still say 3: the case adaptive limits learn."""
    policy = Policy(
        polite_array=PoolLimit(2, 1.0, 2), advertised={"polite-array": PoolLimit(3, 1.0, 3)}
    )
    async with StandinServer(corpus, policy, clock=FakeClock()) as server:
        url = f"{server.crossref_url}/works?filter=doi:{enc(SICI)}"
        assert await statuses(http, url, 3, POLITE) == [200, 200, 429]
        async with http.get(url, headers=POLITE) as resp:
            assert resp.headers["x-rate-limit-limit"] == "3"
            assert resp.headers["x-concurrency-limit"] == "3"


async def test_a_pool_can_send_no_limit_headers(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    async with StandinServer(corpus, Policy(limit_headers=False)) as server:
        url = f"{server.crossref_url}/works/{enc(SICI)}"
        async with http.get(url, headers=POLITE) as resp:
            headers = resp.headers
    assert headers["x-api-pool"] == "polite-single"
    assert "x-rate-limit-limit" not in headers
    assert "x-concurrency-limit" not in headers


async def test_an_abandoned_request_counts_until_its_answer_was_due(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    """With hold_abandoned, a client that gives up frees nothing upstream until then."""
    policy = Policy(latency_base_s=0.4, hold_abandoned=True)
    async with StandinServer(corpus, policy) as server:
        url = f"{server.crossref_url}/works/{enc(SICI)}"
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.1), http.get(url, headers=POLITE):
                pass
        limiter = server.state.limiters["polite-single"]
        await asyncio.sleep(0.1)
        assert limiter.in_flight == 1  # the client left 0.2 s ago; the answer is due at 0.4 s
        await asyncio.sleep(0.3)
        assert limiter.in_flight == 0


async def test_the_policy_changes_while_serving(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    async with StandinServer(corpus, Policy(), clock=FakeClock()) as server:
        change = {"limits": {"polite-single": [1, 1, 1]}, "limit_headers": False}
        async with http.post(f"{server.base_url}/_standin/policy", json=change) as resp:
            assert resp.status == 200
        url = f"{server.crossref_url}/works/{enc(SICI)}"
        assert await statuses(http, url, 2, POLITE) == [200, 429]
        async with http.post(f"{server.base_url}/_standin/policy", json={"nope": 1}) as resp:
            assert resp.status == 400
        server.set_policy(latency_base_s=0.25, advertise={"polite-array": "2/1/2"})
        assert server.policy.latency_base_s == 0.25
        assert server.policy.announced("polite-array") == PoolLimit(2, 1.0, 2)


def test_policy_limits_read_from_text_and_lists() -> None:
    policy = Policy().changed({"limits": {"doi.org": "5/1/2", "datacite": [10, 300, None]}})
    assert (policy.doi_org, policy.datacite_identified) == (
        PoolLimit(5, 1.0, 2),
        PoolLimit(10, 300.0, None),
    )
    with pytest.raises(ValueError, match="unknown pool"):
        Policy().changed({"limits": {"crossref": "1/1"}})
    with pytest.raises(ValueError, match="requests/window_s"):
        Policy().changed({"limits": {"doi.org": "5"}})


async def test_429_has_retry_after_only_when_asked(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    for policy, expected in ((Policy(), None), (Policy(retry_after=True, html_429=True), "1")):
        async with StandinServer(corpus, policy, clock=FakeClock()) as server:
            url = f"{server.crossref_url}/works?filter=doi:{enc(SICI)}"
            await statuses(http, url, 1)
            async with http.get(url) as resp:
                assert resp.status == 429
                assert resp.headers.get("Retry-After") == expected
                assert ("Too Many Requests" in await resp.text()) is policy.html_429


async def test_datacite_limit_uses_a_300_s_window_and_identification(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    policy = Policy(datacite_anonymous=PoolLimit(3, 300.0), datacite_identified=PoolLimit(5, 300.0))
    async with StandinServer(corpus, policy, clock=clock) as server:
        url = f"{server.datacite_url}/dois/{enc(corpus.missing[0])}"
        assert await statuses(http, url, 4) == [404, 404, 404, 429]
        assert await statuses(http, url, 2, POLITE) == [404, 429]  # identified: 5 allowed
        clock.now += 299.5
        assert await statuses(http, url, 1, POLITE) == [429]
        clock.now += 0.5
        assert await statuses(http, url, 1) == [404]
        assert server.stats.pool("datacite").max_per_window == 7


async def test_disabled_limits_still_count(corpus: Corpus, http: aiohttp.ClientSession) -> None:
    async with StandinServer(corpus, NO_LIMITS, clock=FakeClock()) as server:
        assert await statuses(http, f"{server.doi_url}/ra/10.5061", 12) == [200] * 12
        assert server.stats.pool("doi.org").max_per_second == 12


async def test_latency_grows_with_items_in_the_answer(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    policy = Policy(limits_enabled=False, latency_base_s=0.05, latency_per_item_s=0.05)
    dois = ",".join(f"doi:{d}" for d in crossref_dois(corpus)[3:6])
    async with StandinServer(corpus, policy) as server:
        started = asyncio.get_running_loop().time()
        await statuses(http, f"{server.crossref_url}/works?filter={dois}", 1)
        assert asyncio.get_running_loop().time() - started >= 0.2  # 0.05 + 3 x 0.05


# Faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "status"), [("429", 429), ("500", 500), ("503", 503)])
async def test_fault_fails_exactly_count_requests(
    server: StandinServer, http: aiohttp.ClientSession, kind: str, status: int
) -> None:
    server.add_fault("crossref-single", kind, count=2)
    url = f"{server.crossref_url}/works/{enc(SICI)}"
    assert await statuses(http, url, 3) == [status, status, 200]


async def test_fault_garbage_is_200_without_json(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    server.add_fault("datacite", "garbage")
    async with http.get(f"{server.datacite_url}/dois?ids=10.5061/x") as resp:
        assert resp.status == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(await resp.text())


async def test_fault_reset_closes_the_connection(server: StandinServer) -> None:
    server.add_fault("doi-ra", "reset")
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(b"GET /doi/ra/10.5061 HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    # An abort may arrive as a TCP reset instead of an orderly close; either way, no answer.
    with contextlib.suppress(ConnectionResetError):
        assert await reader.read() == b""
    writer.close()
    assert server.stats.endpoint("doi-ra").responses[0] == 1


async def test_fault_timeout_hangs_until_the_client_gives_up(
    corpus: Corpus, http: aiohttp.ClientSession
) -> None:
    async with StandinServer(corpus, Policy(), clock=FakeClock()) as server:
        server.add_fault("crossref-single", "timeout")
        url = f"{server.crossref_url}/works/{enc(SICI)}"
        with pytest.raises(asyncio.TimeoutError):
            await http.get(url, timeout=aiohttp.ClientTimeout(total=0.1))
        for _ in range(200):  # the server notices the disconnect and frees the slot
            if server.state.limiters["public-single"].in_flight == 0:
                break
            await asyncio.sleep(0.01)
        assert await statuses(http, url, 1) == [200]  # public-single allows 1 in flight


async def test_fault_endpoint_queues_and_rejects(
    server: StandinServer, http: aiohttp.ClientSession
) -> None:
    faults = f"{server.base_url}/_standin/faults"
    async with http.post(faults, json={"pool": "*", "kind": "503", "count": 1}) as resp:
        assert resp.status == 200
    async with http.post(faults, json={"pool": "nowhere", "kind": "503"}) as resp:
        assert resp.status == 400
    assert await statuses(http, f"{server.doi_url}/ra/10.5061", 2) == [503, 200]


def test_faults_take_matches_datacite_alias_and_star() -> None:
    faults = Faults()
    faults.add("datacite", "500")
    faults.add("*", "timeout")
    assert [faults.take("crossref-list"), faults.take("datacite-list"), faults.take("doi-cn")] == [
        "timeout",
        "500",
        None,
    ]


# Stats ----------------------------------------------------------------------------------


async def test_stats_count_lookups_per_doi_and_reset(
    server: StandinServer, http: aiohttp.ClientSession, corpus: Corpus
) -> None:
    doi = crossref_dois(corpus)[12]
    await statuses(http, f"{server.crossref_url}/works/{enc(doi.upper())}", 2)
    await statuses(http, f"{server.crossref_url}/works?filter=doi:{doi},doi:{SICI}", 1)
    await statuses(http, f"{server.doi_url}/ra/{doi}", 1)
    assert server.stats.lookups("crossref-single")[doi] == 2
    assert server.stats.lookups()[doi] == 4
    assert server.stats.lookups()[SICI] == 1
    async with http.get(f"{server.base_url}/_standin/stats") as resp:
        body = await resp.json()
    assert body["endpoints"]["crossref-list"]["lookups"] == {doi: 1, SICI: 1}
    assert len(body["pools"]["public-single"]["arrivals_s"]) == 2
    assert body["pools"]["public-single"]["responses"] == {"200": 2}
    async with http.post(f"{server.base_url}/_standin/reset") as resp:
        assert resp.status == 200
    assert server.stats.total_requests() == 0


async def test_corpus_endpoint_serves_the_truth(
    server: StandinServer, http: aiohttp.ClientSession, corpus: Corpus
) -> None:
    async with http.get(f"{server.base_url}/_standin/corpus") as resp:
        assert Corpus.from_json(await resp.text()).works == corpus.works


# Process mode ---------------------------------------------------------------------------


async def test_process_prints_ready_and_answers(
    corpus: Corpus, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    corpus_file = tmp_path / "corpus.json"
    corpus_file.write_text(corpus.to_json(), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.standin", "--port", "0", "--corpus", str(corpus_file),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=15)).decode()
        assert line.startswith("READY ")
        url = f"http://127.0.0.1:{int(line.split()[1])}/crossref/works/{enc(SICI)}"
        assert await statuses(http, url, 1) == [200]
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0

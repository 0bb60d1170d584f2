"""enrich(): one outcome per DOI, routed by registration agency, every pool busy at once."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import aiohttp
import pytest
from aioresponses import aioresponses

from cco_enrich.dispatch import Dispatcher
from cco_enrich.doi import DOI
from cco_enrich.enrichment import enrich
from cco_enrich.models import Outcome, ResourceStatus, Work
from cco_enrich.registries import (
    MemoryPrefixCache,
    PoolLimit,
    PoolLimits,
    Registries,
    RetryPolicy,
    build_registries,
)
from tests.fakes import (
    CROSSREF_URL,
    DATACITE_URL,
    DOI_URL,
    FakeSource,
    FakeUpstreams,
    crossref_record,
    datacite_attributes,
    load,
)

FAST = PoolLimit(1000, 1.0, 10)
FAST_LIMITS = PoolLimits(FAST, FAST, FAST, FAST)
NO_WAIT = RetryPolicy(attempts=2, wait_initial_s=0)

CROSSREF_DOIS = [DOI("10.1000/a"), DOI("10.1000/b"), DOI("10.2000/d")]
LAGGING = DOI("10.1000/lagging")  # missing from list answers, found by a single lookup
COMMA = DOI("10.1000/x,y")
MOVED = DOI("10.1000/moved")  # a Crossref prefix, but registered at DataCite
CROSSREF_GONE = DOI("10.1000/gone")
DATACITE = DOI("10.5061/dryad.8515")
DATACITE_GONE = DOI("10.5061/gone")
MEDRA = DOI("10.3000/medra.1")
MEDRA_GONE = DOI("10.3000/gone")
NO_PREFIX = DOI("10.9999/nobody")


@pytest.fixture
def upstreams(mock: aioresponses) -> FakeUpstreams:
    fake = FakeUpstreams(
        crossref={d: crossref_record(d, f"Title {d}") for d in [*CROSSREF_DOIS, LAGGING, COMMA]},
        datacite={
            DATACITE: load("datacite_doi_dryad-8515.json")["data"]["attributes"],
            MOVED: datacite_attributes(MOVED),
        },
        csl={MEDRA: load("crossref_csl_science-169-3946-635.json")},
        agencies={"10.1000": "Crossref", "10.2000": "Crossref", "10.5061": "DataCite"}
        | {"10.3000": "mEDRA", MOVED: "DataCite"},
        hidden_from_batches={LAGGING},
    )
    fake.install(mock)
    return fake


def registries(
    http: aiohttp.ClientSession,
    *,
    limits: PoolLimits = FAST_LIMITS,
    prefix_cache: MemoryPrefixCache | None = None,
) -> Registries:
    return build_registries(
        http,
        crossref_url=CROSSREF_URL,
        datacite_url=DATACITE_URL,
        doi_url=DOI_URL,
        mailto="curator@example.org",
        user_agent="cco_enrich/test (mailto:curator@example.org)",
        retry=NO_WAIT,
        timeout_s=5,
        limits=limits,
        prefix_cache=prefix_cache,
    )


class Collector:
    """on_outcomes: keeps every call's outcomes."""

    def __init__(self) -> None:
        self.calls: list[list[Outcome]] = []

    async def __call__(self, outcomes: list[Outcome]) -> None:
        self.calls.append(outcomes)

    @property
    def by_doi(self) -> dict[str, Outcome]:
        return {o.doi: o for call in self.calls for o in call}

    @property
    def count(self) -> int:
        return sum(map(len, self.calls))


MIXED = [
    *CROSSREF_DOIS,
    LAGGING,
    COMMA,
    MOVED,
    CROSSREF_GONE,
    DATACITE,
    DATACITE_GONE,
    MEDRA,
    MEDRA_GONE,
    NO_PREFIX,
]


async def test_enrich_gives_exactly_one_outcome_per_doi_of_a_mixed_set(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    collect = Collector()
    await enrich(MIXED, registries(http), collect)
    assert collect.count == len(MIXED)
    outcomes = collect.by_doi
    assert set(outcomes) == set(MIXED)
    enriched = {d for d, o in outcomes.items() if o.status is ResourceStatus.ENRICHED}
    assert enriched == {*CROSSREF_DOIS, LAGGING, COMMA, MOVED, DATACITE, MEDRA}
    assert {o.work.registry for o in outcomes.values() if o.work} == {
        "crossref",
        "datacite",
        "medra",
    }
    moved, medra = outcomes[MOVED].work, outcomes[MEDRA].work
    assert moved is not None
    assert moved.registry == "datacite"
    assert medra is not None
    assert medra.title == "The Structure of Ordinary Water"
    not_found = {d: o.error for d, o in outcomes.items() if o.status is ResourceStatus.NOT_FOUND}
    assert not_found == {
        CROSSREF_GONE: "doi.org: this DOI does not exist",
        DATACITE_GONE: "doi.org: this DOI does not exist",
        NO_PREFIX: "doi.org: this DOI does not exist",
        MEDRA_GONE: "doi.org: this DOI does not exist",
    }
    assert all(call for call in collect.calls)


async def test_enrich_keeps_requests_to_a_minimum(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    upstreams.latency_s |= {"crossref-list": 0.05, "datacite-list": 0.05}
    await enrich(MIXED, registries(http), Collector())
    assert upstreams.calls == {
        # the five prefixes; the mEDRA DOIs and the one of an unknown prefix, at once; then the
        # four DOIs the batches left out, together
        "doi-ra": 3,
        "crossref-list": 1,
        "crossref-single": 2,  # the comma DOI and the lagging one; never the nonexistent one
        "datacite-list": 2,  # the prefix's batch; the moved DOI once doi.org named DataCite
        "doi-cn": 1,  # never for the mEDRA DOI that does not exist
    }


async def test_enrich_reports_per_batch_and_never_a_doi_twice(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    collect = Collector()
    await enrich([*MIXED, *MIXED], registries(http), collect)
    assert collect.count == len(MIXED)
    assert 1 < len(collect.calls) < len(MIXED)


async def test_enrich_of_nothing_asks_nobody(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    collect = Collector()
    await enrich([], registries(http), collect)
    assert (collect.calls, upstreams.calls) == ([], {})


async def test_content_negotiation_404_is_not_found_with_the_agency_named(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    upstreams.agencies[MEDRA_GONE] = "mEDRA"  # doi.org knows it, yet serves no metadata
    collect = Collector()
    await enrich([MEDRA_GONE], registries(http), collect)
    assert collect.by_doi[MEDRA_GONE].error == "doi.org has no mEDRA record of it"


async def test_content_negotiation_that_keeps_failing_fails_the_doi(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    upstreams.failing["doi-cn"] = 503
    collect = Collector()
    await enrich([MEDRA], registries(http), collect)
    assert collect.by_doi[MEDRA].status is ResourceStatus.FAILED
    assert collect.by_doi[MEDRA].error == "doi.org answered 503 (gave up after 2 attempts)"


async def test_a_doi_left_out_twice_gets_a_single_lookup_at_the_agency_doi_org_named(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    upstreams.hidden_from_batches.add(MOVED)
    collect = Collector()
    await enrich([MOVED], registries(http), collect)
    assert collect.by_doi[MOVED].status is ResourceStatus.ENRICHED
    assert upstreams.calls == {
        "doi-ra": 2,
        "crossref-list": 1,
        "datacite-list": 1,
        "datacite-single": 1,
    }


async def test_a_doi_doi_org_calls_invalid_is_not_found_with_that_reason(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    upstreams.statuses[CROSSREF_GONE] = "Invalid DOI"
    collect = Collector()
    await enrich([CROSSREF_GONE], registries(http), collect)
    assert collect.by_doi[CROSSREF_GONE].error == "doi.org: this is not a valid DOI"


async def test_cached_prefixes_skip_doi_org(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    cache = MemoryPrefixCache()
    await cache.set_many({"10.1000": "Crossref", "10.5061": "DataCite"})
    collect = Collector()
    await enrich([DOI("10.1000/a"), DATACITE], registries(http, prefix_cache=cache), collect)
    assert {o.status for o in collect.by_doi.values()} == {ResourceStatus.ENRICHED}
    assert upstreams.calls == {"crossref-list": 1, "datacite-list": 1}


async def test_learned_prefixes_are_cached_for_the_next_run(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    cache = MemoryPrefixCache()
    await enrich([DOI("10.1000/a"), NO_PREFIX], registries(http, prefix_cache=cache), Collector())
    assert cache.agencies == {"10.1000": "Crossref"}


async def test_unknown_agency_of_a_doi_left_out_by_its_batch_gets_a_single_lookup(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    upstreams.statuses = {LAGGING: "Unknown", "10.7777/z": "Unknown", "10.7777": "Unknown"}
    collect = Collector()
    await enrich([LAGGING, DOI("10.7777/z")], registries(http), collect)
    assert collect.by_doi[LAGGING].status is ResourceStatus.ENRICHED
    assert collect.by_doi["10.7777/z"].error == "doi.org knows no registration agency for this DOI"


async def test_exhausted_retries_fail_the_batch_with_the_reason_and_do_not_raise(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    upstreams.failing["crossref-list"] = 503
    collect = Collector()
    dois = [DOI("10.1000/a"), DOI("10.1000/b")]
    await enrich(dois, registries(http), collect)
    reason = "Crossref answered 503 (gave up after 2 attempts)"
    assert {d: (o.status, o.error) for d, o in collect.by_doi.items()} == {
        d: (ResourceStatus.FAILED, reason) for d in dois
    }
    assert upstreams.calls == {"doi-ra": 1, "crossref-list": 2}


async def test_when_doi_org_fails_crossref_is_tried_first(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    upstreams.failing["doi-ra"] = 503
    collect = Collector()
    await enrich([DOI("10.1000/a"), CROSSREF_GONE], registries(http), collect)
    assert collect.by_doi["10.1000/a"].status is ResourceStatus.ENRICHED
    gone = collect.by_doi[CROSSREF_GONE]
    assert gone.status is ResourceStatus.FAILED
    assert gone.error == (
        "could not ask doi.org which registry holds this DOI:"
        " doi.org answered 503 (gave up after 2 attempts)"
    )


async def test_crossref_batches_start_while_other_prefixes_still_wait_for_doi_org(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    upstreams.latency_s["doi-ra"] = 0.1
    one_ra_at_a_time = PoolLimits(FAST, FAST, FAST, PoolLimit(1000, 1.0, 1))
    fillers = [DOI(f"10.{n}/f") for n in range(10_000, 10_600)]  # 600 prefixes: two RA requests
    await enrich(
        [DOI("10.1000/a"), *fillers], registries(http, limits=one_ra_at_a_time), Collector()
    )
    first_batch_start = min(start for route, start, _ in upstreams.log if route == "crossref-list")
    ra_ends = sorted(end for route, _, end in upstreams.log if route == "doi-ra")
    assert first_batch_start < ra_ends[1] - 0.05


async def test_cancelling_enrich_cancels_requests_in_flight_promptly(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    upstreams.latency_s["crossref-list"] = 5.0
    regs = registries(http)
    task = asyncio.create_task(enrich([DOI("10.1000/a")], regs, Collector()))
    await upstreams.request_started["crossref-list"].wait()
    began = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - began < 0.5
    assert all(limiter.active == 0 for limiter in regs.limiters.values())
    # The upstream still serves the abandoned request: its slot stays taken for a while.
    assert regs.limiters["crossref-list"].in_flight == 1


async def test_requests_started_counts_every_pool(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    regs = registries(http)
    await enrich(MIXED, regs, Collector())
    assert regs.requests_started() == {
        "crossref-single": upstreams.calls["crossref-single"],
        "crossref-list": upstreams.calls["crossref-list"],
        "datacite": upstreams.calls["datacite-list"] + upstreams.calls["datacite-single"],
        "doi-org": upstreams.calls["doi-ra"] + upstreams.calls["doi-cn"],
    }


async def test_a_source_in_the_source_list_gets_its_agency_s_dois_in_batches(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    """A new source plugs in through the source list alone: the engine names no source."""
    medra = FakeSource("medra", works={MEDRA: Work(doi=MEDRA, registry="medra", title="M")})
    regs = registries(http)
    regs = dataclasses.replace(regs, by_agency={**regs.by_agency, "medra": medra})
    collect = Collector()
    await enrich([MEDRA, MEDRA_GONE, DOI("10.1000/a")], regs, collect)
    outcomes = collect.by_doi
    assert outcomes[MEDRA].work == Work(doi=MEDRA, registry="medra", title="M")
    assert outcomes[MEDRA_GONE].error == "doi.org: this DOI does not exist"
    assert outcomes["10.1000/a"].status is ResourceStatus.ENRICHED
    assert (medra.batches, medra.singles) == ([[MEDRA, MEDRA_GONE]], [])
    # the prefixes; then the DOI the batch left out. Content negotiation is never asked.
    assert upstreams.calls == {"doi-ra": 2, "crossref-list": 1}


async def test_a_doi_its_source_left_out_and_doi_org_confirms_gets_a_single_lookup_there(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    upstreams.agencies[MEDRA_GONE] = "mEDRA"  # doi.org knows it; the batch did not
    medra = FakeSource("medra")
    regs = registries(http)
    regs = dataclasses.replace(regs, by_agency={**regs.by_agency, "medra": medra})
    collect = Collector()
    await enrich([MEDRA_GONE], regs, collect)
    assert collect.by_doi[MEDRA_GONE].error == "medra has no record of this DOI"
    assert (medra.batches, medra.singles) == ([[MEDRA_GONE]], [MEDRA_GONE])


async def test_two_sessions_dois_share_one_upstream_request(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    """While the pool is busy, DOIs of later sessions wait together for its next request."""
    upstreams.latency_s["crossref-list"] = 0.1
    one_at_a_time = PoolLimits(FAST, PoolLimit(1000, 1.0, 1), FAST, FAST)
    cache = MemoryPrefixCache()
    await cache.set_many({"10.1000": "Crossref", "10.2000": "Crossref"})
    regs = registries(http, limits=one_at_a_time, prefix_cache=cache)
    first, second, third = Collector(), Collector(), Collector()
    async with Dispatcher(regs) as dispatcher:
        busy = asyncio.create_task(enrich([DOI("10.1000/a")], regs, first, dispatcher=dispatcher))
        await upstreams.request_started["crossref-list"].wait()
        await asyncio.gather(
            enrich([DOI("10.1000/b")], regs, second, dispatcher=dispatcher),
            enrich([DOI("10.2000/d")], regs, third, dispatcher=dispatcher),
            busy,
        )
    assert upstreams.calls == {"crossref-list": 2}
    shared = upstreams.urls[-1].query["filter"]
    assert shared.split(",") == ["doi:10.1000/b", "doi:10.2000/d"]
    assert [list(c.by_doi) for c in (first, second, third)] == [
        ["10.1000/a"],
        ["10.1000/b"],
        ["10.2000/d"],
    ]
    assert all(
        o.status is ResourceStatus.ENRICHED for c in (second, third) for o in c.by_doi.values()
    )


async def test_a_prefix_is_asked_once_for_every_session(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    upstreams.latency_s["doi-ra"] = 0.05
    regs = registries(http)
    async with Dispatcher(regs) as dispatcher:
        await asyncio.gather(
            *(
                enrich([DOI(f"10.1000/{name}")], regs, Collector(), dispatcher=dispatcher)
                for name in ("a", "b", "lagging")
            )
        )
    assert [u.raw_path for u in upstreams.urls if u.raw_path.startswith("/ra/")] == [
        "/ra/10.1000",  # once for the three sessions
        "/ra/10.1000/lagging",  # the DOI a batch left out
    ]


async def test_dois_of_an_unknown_prefix_go_to_crossref_before_doi_org_answers(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    """The first Crossref batch does not wait for /ra/; DataCite's DOIs still end at DataCite."""
    upstreams.latency_s["doi-ra"] = 0.2
    collect = Collector()
    await enrich([DOI("10.1000/a"), DATACITE], registries(http), collect)
    first_list = min(start for route, start, _ in upstreams.log if route == "crossref-list")
    ra_end = min(end for route, _, end in upstreams.log if route == "doi-ra")
    assert first_list < ra_end - 0.1
    assert {d: o.work.registry for d, o in collect.by_doi.items() if o.work} == {
        "10.1000/a": "crossref",
        DATACITE: "datacite",
    }


async def test_without_optimism_nothing_goes_upstream_before_doi_org_answers(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams
) -> None:
    upstreams.latency_s["doi-ra"] = 0.1
    await enrich([DOI("10.1000/a")], registries(http), Collector(), optimistic=False)
    first_list = min(start for route, start, _ in upstreams.log if route == "crossref-list")
    ra_end = min(end for route, _, end in upstreams.log if route == "doi-ra")
    assert first_list >= ra_end


@pytest.mark.parametrize("first", ["crossref", "doi.org"])
async def test_a_doi_crossref_cannot_batch_is_asked_there_at_once_and_kept_only_if_it_is_crossref_s(
    http: aiohttp.ClientSession, upstreams: FakeUpstreams, first: str
) -> None:
    """Comma DOIs need single look-ups: Crossref's answer counts only if doi.org names Crossref,
    whichever of the two answers first."""
    datacite_comma = DOI("10.5061/x,y")
    crossref_gone = DOI("10.1000/gone,too")
    upstreams.datacite[datacite_comma] = datacite_attributes(datacite_comma)
    upstreams.agencies[crossref_gone] = "Crossref"
    slow = "doi-ra" if first == "crossref" else "crossref-single"
    upstreams.latency_s[slow] = 0.1
    collect = Collector()
    await enrich([COMMA, datacite_comma, crossref_gone], registries(http), collect)
    outcomes = collect.by_doi
    assert outcomes[COMMA].status is ResourceStatus.ENRICHED
    work = outcomes[datacite_comma].work
    assert work is not None
    assert work.registry == "datacite"
    assert outcomes[crossref_gone].error == "Crossref has no record of this DOI"
    assert upstreams.calls["crossref-single"] == 3  # once each, before doi.org answered
    assert upstreams.calls["datacite-single"] == 1

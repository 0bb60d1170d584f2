"""The best plan the limits allow: fewest requests per pool, and the lower bound on wall time.

The plan routes every DOI as a perfect client would, knowing nothing in advance but the list:
1. doi.org `/ra/` on the distinct prefixes (few requests). Crossref's pools need not wait for it:
   most DOIs are Crossref's, so they can go there at once (as ours does); every other pool waits;
2. Crossref `/works?filter=doi:...` and DataCite `/dois?ids=...` batches, packed to the same
   request-line budget the client uses; DOIs that cannot go in a filter get `/works/{doi}`;
   DOIs of other agencies get one content-negotiation request each at doi.org, either at once or
   (when that is faster) after one packed `/ra/` request on them weeds out those that do not exist;
3. DOIs a batch leaves out are confirmed at doi.org `/ra/` (packed, after their batch).
Per pool: time = max((R - 1) / rate + L, ceil(R / C) * L), L the stand-in latency for the
average answer size. Bound = max(Crossref's pools, RA latency + max(the other pools, the longest
batch -> `/ra/` chain)).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote

import aiohttp

from cco_enrich.doi import DOI, IdentifierKind, classify_identifier, doi_prefix
from cco_enrich.registries import RetryPolicy
from cco_enrich.registries._http import Endpoint
from cco_enrich.registries.crossref import MAX_REQUEST_LINE as CROSSREF_LINE
from cco_enrich.registries.crossref import MAX_ROWS
from cco_enrich.registries.datacite import MAX_PAGE_SIZE
from cco_enrich.registries.datacite import MAX_REQUEST_LINE as DATACITE_LINE
from cco_enrich.registries.doiorg import MAX_REQUEST_LINE as DOI_LINE
from tests.standin import Corpus, Policy, PoolLimit

from .harness import StandinSettings

MAILTO = "e2e@example.org"  # what tests/stack.py sets as CCO_MAILTO
_BATCHABLE = re.compile(r"^10\.\d{4,}/[^,]+$")  # as the Crossref client decides


@dataclass(frozen=True, slots=True)
class PoolPlan:
    """The best plan's requests in one stand-in pool and the time they need at its limits."""

    pool: str
    requests: int
    items: int  # records the answers carry (the stand-in's latency grows with them)
    limit: PoolLimit
    latency_s: float
    time_s: float


@dataclass(frozen=True, slots=True)
class Bound:
    """The lower bound on wall time for one list of identifiers."""

    ra_latency_s: float
    ra_requests: int
    pools: dict[str, PoolPlan]
    chain_s: float
    total_s: float

    @property
    def requests(self) -> int:
        return self.ra_requests + sum(p.requests for p in self.pools.values())


def _endpoint(path: str, mailto: str | None = MAILTO) -> Endpoint:
    # Only URL building is used: no session is ever opened. The stand-in's path prefixes
    # (/crossref, ...) are part of the request line the client budgets, so they count here too.
    return Endpoint(
        http=cast(aiohttp.ClientSession, None),
        base_url=f"http://127.0.0.1{path}",
        name=path,
        user_agent="bench",
        retry=RetryPolicy(),
        timeout_s=30,
        mailto=mailto,
    )


def _room(budget: int, endpoint: Endpoint, path: str, query: list[tuple[str, str]]) -> int:
    """Bytes left for the list of terms once the rest of the request line is written."""
    return budget - endpoint.request_line_length(endpoint.url(path, query))


def count_packed(terms: Sequence[str], room: int, max_items: int | None = None) -> int:
    """Fewest requests holding `terms` joined by 1-byte separators in `room` bytes (FFD)."""
    bins: list[list[int]] = []  # [used bytes, items]
    for size in sorted((len(t) for t in terms), reverse=True):
        for b in bins:
            if b[0] + 1 + size <= room and (max_items is None or b[1] < max_items):
                b[0] += 1 + size
                b[1] += 1
                break
        else:
            bins.append([size, 1])
    return len(bins)


def pool_time(requests: int, limit: PoolLimit, latency_s: float) -> float:
    """max((R - 1) / rate + L, ceil(R / C) * L); 0 for no requests."""
    if requests == 0:
        return 0.0
    rate = limit.requests / limit.window_s
    by_rate = (requests - 1) / rate + latency_s
    by_concurrency = math.ceil(requests / limit.in_flight) * latency_s if limit.in_flight else 0
    return max(by_rate, by_concurrency)


def lower_bound(
    identifiers: Sequence[str],
    corpus: Corpus,
    standin: StandinSettings,
    *,
    doi_org: PoolLimit | None = None,
    overrides: dict[str, PoolLimit] | None = None,
) -> Bound:
    """The best plan for `identifiers` against the stand-in's limits (`overrides`: other limits
    of some pools, by stand-in pool name)."""
    dois: list[DOI] = []
    for raw in identifiers:
        kind, doi = classify_identifier(raw)
        if kind is IdentifierKind.DOI and doi is not None:
            dois.append(doi)
    dois = list(dict.fromkeys(dois))
    policy = Policy()
    limits = {
        "polite-array": policy.polite_array,
        "polite-single": policy.polite_single,
        "datacite": policy.datacite_identified,
        "doi.org": doi_org or PoolLimit(standin.doi_rate, 1.0, standin.doi_in_flight),
    } | (overrides or {})

    def agency(doi: DOI) -> str:
        work = corpus.find(doi)
        if work is not None:
            return work.registry
        return corpus.prefixes.get(doi_prefix(doi), "unknown").lower()

    found = {doi for doi in dois if corpus.find(doi) is not None}
    crossref = [d for d in dois if agency(d) == "crossref"]
    datacite = [d for d in dois if agency(d) == "datacite"]
    other = [d for d in dois if agency(d) not in ("crossref", "datacite")]
    batchable = [d for d in crossref if _BATCHABLE.match(d)]
    singles = [d for d in crossref if not _BATCHABLE.match(d)]
    omitted = [d for d in [*batchable, *datacite] if d not in found]

    crossref_room = _room(
        CROSSREF_LINE, _endpoint("/crossref"), "works", [("filter", ""), ("rows", str(MAX_ROWS))]
    )
    datacite_room = _room(
        DATACITE_LINE,
        _endpoint("/datacite"),
        "dois",
        [("ids", ""), ("page%5Bsize%5D", str(MAX_PAGE_SIZE)), ("disable-facets", "true")],
    )
    # doi.org gets no mailto parameter (the client names itself in the User-Agent only).
    ra_room = _room(DOI_LINE, _endpoint("/doi", None), "ra/", [])

    def crossref_term(doi: str) -> str:
        return "doi:" + quote(doi, safe="/")

    def plain_term(key: str) -> str:
        return quote(key, safe="/")

    prefixes = sorted({doi_prefix(d) for d in dois})
    ra_requests = count_packed([plain_term(p) for p in prefixes], ra_room)
    ra_latency_s = standin.latency_s(math.ceil(len(prefixes) / max(ra_requests, 1)))

    def plan(pool: str, requests: int, items: int) -> PoolPlan:
        latency = standin.latency_s(math.ceil(items / requests)) if requests else 0.0
        limit = limits[pool]
        return PoolPlan(pool, requests, items, limit, latency, pool_time(requests, limit, latency))

    list_requests = count_packed(list(map(crossref_term, batchable)), crossref_room, MAX_ROWS)
    dc_requests = count_packed(list(map(plain_term, datacite)), datacite_room, MAX_PAGE_SIZE)
    omitted_requests = count_packed(list(map(plain_term, omitted)), ra_room)
    pools = {
        "doi.org": _doi_org_plan(
            limits["doi.org"],
            standin,
            omitted_requests,
            len(omitted),
            other_requests=count_packed(list(map(plain_term, other)), ra_room),
            other=len(other),
            other_found=len(found.intersection(other)),
        ),
        "polite-array": plan("polite-array", list_requests, len(found.intersection(batchable))),
        "polite-single": plan("polite-single", len(singles), len(found.intersection(singles))),
        "datacite": plan("datacite", dc_requests, len(found.intersection(datacite))),
    }
    chain_s = 0.0
    if omitted:
        longest_batch = max(pools["polite-array"].latency_s, pools["datacite"].latency_s)
        per_request = math.ceil(len(omitted) / omitted_requests)
        chain_s = longest_batch + standin.latency_s(per_request)
    crossref_s = max(pools["polite-array"].time_s, pools["polite-single"].time_s)
    others_s = max(pools["doi.org"].time_s, pools["datacite"].time_s, chain_s)
    total = max(crossref_s, ra_latency_s + others_s if others_s else 0.0)
    return Bound(ra_latency_s, ra_requests, pools, chain_s, total)


def _doi_org_plan(
    limit: PoolLimit,
    standin: StandinSettings,
    omitted_requests: int,
    omitted: int,
    *,
    other_requests: int,
    other: int,
    other_found: int,
) -> PoolPlan:
    """The faster of two plans for doi.org: content negotiation for every other-agency DOI at
    once, or a `/ra/` request on them first and content negotiation only for those that exist."""
    direct = omitted_requests + other
    items = omitted + other_found
    direct_latency = standin.latency_s(math.ceil(items / direct)) if direct else 0.0
    direct_plan = PoolPlan(
        "doi.org", direct, items, limit, direct_latency, pool_time(direct, limit, direct_latency)
    )
    if not other:
        return direct_plan
    later = omitted_requests + other_found
    later_latency = standin.latency_s(math.ceil((omitted + other_found) / max(later, 1)))
    weed_s = standin.latency_s(math.ceil(other / other_requests))
    weeded_plan = PoolPlan(
        "doi.org",
        later + other_requests,
        items + other,
        limit,
        later_latency,
        weed_s + pool_time(later, limit, later_latency),
    )
    return min(direct_plan, weeded_plan, key=lambda plan: plan.time_s)

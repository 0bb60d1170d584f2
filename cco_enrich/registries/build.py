"""build_registries(): every source of one worker, their pool limiters, and the source list.

The source list (in build_registries) maps doi.org's name of a registration agency to the
BatchRegistry that serves its DOIs; an agency not listed is served by content negotiation at
doi.org. Adding a source is one module implementing BatchRegistry and one entry in that list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

import aiohttp

from cco_enrich.registries._http import Endpoint, RetryPolicy
from cco_enrich.registries.backend import SharedLimitBackend
from cco_enrich.registries.batching import BatchRegistry
from cco_enrich.registries.crossref import CrossrefClient
from cco_enrich.registries.datacite import DataCiteClient
from cco_enrich.registries.doiorg import ContentNegotiation, DoiOrgClient, PrefixCache
from cco_enrich.registries.limits import PoolLimiter
from cco_enrich.registries.pools import (
    CROSSREF_LIST,
    CROSSREF_SINGLE,
    DATACITE,
    DOI_ORG,
    PoolLimits,
)


@dataclass(frozen=True, slots=True)
class Registries:
    """Every source of one worker, which agency each serves, and the limiter of every pool."""

    doiorg: DoiOrgClient
    """Says which agency registered a DOI; serves agencies without a source of their own."""
    by_agency: Mapping[str, BatchRegistry]
    """The source of each registration agency, keyed by doi.org's name lower-cased."""
    fallback: BatchRegistry
    """Where DOIs go while doi.org cannot say which agency holds them."""
    limiters: dict[str, PoolLimiter]
    batch_pools: Mapping[BatchRegistry, PoolLimiter] = field(default_factory=dict)
    """The pool each source's batches go through (the engine seals a batch when it may start)."""

    def source_of(self, agency: str) -> BatchRegistry | None:
        """The source listed for this agency (doi.org's spelling, any case), if any."""
        return self.by_agency.get(agency.lower())

    def negotiation(self, agency: str) -> BatchRegistry:
        """Content negotiation at doi.org, for an agency without a source of its own."""
        return ContentNegotiation(self.doiorg, agency)

    def requests_started(self) -> dict[str, int]:
        """How many requests each pool has sent (retries included) since it was built."""
        return {name: limiter.started for name, limiter in self.limiters.items()}

    async def register_limits(self) -> None:
        """Publish each pool's ceiling and start from the fleet's learned limits (at start-up)."""
        for limiter in self.limiters.values():
            await limiter.register()


def build_registries(
    http: aiohttp.ClientSession,
    *,
    crossref_url: str,
    datacite_url: str,
    doi_url: str,
    mailto: str | None,
    user_agent: str,
    retry: RetryPolicy,
    timeout_s: float,
    limits: PoolLimits,
    shared: SharedLimitBackend | None = None,
    prefix_cache: PrefixCache | None = None,
) -> Registries:
    """The sources and pool limiters for one worker, from plain values (never from Settings).

    Call it inside the running event loop (the worker's startup), never at import time.
    """
    limiters = {
        name: PoolLimiter(name, limit, shared=shared) for name, limit in limits.by_pool().items()
    }
    endpoint = partial(Endpoint, http=http, user_agent=user_agent, retry=retry, timeout_s=timeout_s)
    crossref = CrossrefClient(
        endpoint(base_url=crossref_url, name="Crossref", mailto=mailto),
        list_limiter=limiters[CROSSREF_LIST],
        single_limiter=limiters[CROSSREF_SINGLE],
    )
    datacite = DataCiteClient(
        endpoint(base_url=datacite_url, name="DataCite", mailto=mailto),
        limiter=limiters[DATACITE],
    )
    doiorg = DoiOrgClient(
        # doi.org needs no mailto parameter: the User-Agent already names us.
        endpoint(base_url=doi_url, name="doi.org"),
        limiter=limiters[DOI_ORG],
        prefix_cache=prefix_cache,
    )
    # The source list: doi.org's name of an agency -> the source of its DOIs.
    sources: dict[str, BatchRegistry] = {"Crossref": crossref, "DataCite": datacite}
    return Registries(
        doiorg=doiorg,
        by_agency={agency.lower(): source for agency, source in sources.items()},
        fallback=crossref,  # most DOIs are Crossref's
        limiters=limiters,
        batch_pools={crossref: limiters[CROSSREF_LIST], datacite: limiters[DATACITE]},
    )

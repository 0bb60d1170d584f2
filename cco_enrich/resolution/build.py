"""build_pid_sources(): the source of every non-DOI scheme, their pools, from plain values.

The scheme list (in build_pid_sources) maps a resource's `scheme` to the PidSource that reads
it. Adding one is a module implementing PidSource and one entry there, as for the DOI sources
(registries/build.py). Pools: `ncbi` (esummary and the ID Converter together), `openlibrary`,
`handle` (Handles and IGSNs), `ark`, and one `landing:{host}` per host, made by the fetcher.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import aiohttp

from cco_enrich.identifiers import Scheme
from cco_enrich.landing.fetch import LandingFetcher
from cco_enrich.landing.source import LandingSource
from cco_enrich.registries._http import Endpoint, RetryPolicy
from cco_enrich.registries.handle import ArkSource, HandleSource
from cco_enrich.registries.limits import PoolLimit, PoolLimiter, SharedLimitBackend
from cco_enrich.registries.ncbi import NCBI_POOL, NcbiIdentity, PmcSource, PubMedSource
from cco_enrich.registries.openlibrary import OpenLibrarySource
from cco_enrich.registries.pids import PidSource

OPENLIBRARY_POOL = "openlibrary"
HANDLE_POOL = "handle"
ARK_POOL = "ark"
NCBI_TOOL = "cco_enrich"


@dataclass(frozen=True, slots=True)
class PidLimits:
    """The limit of each identifier service's pool (the numbers live in settings.py)."""

    ncbi: PoolLimit
    openlibrary: PoolLimit
    handle: PoolLimit
    ark: PoolLimit

    def by_pool(self) -> dict[str, PoolLimit]:
        return {
            NCBI_POOL: self.ncbi,
            OPENLIBRARY_POOL: self.openlibrary,
            HANDLE_POOL: self.handle,
            ARK_POOL: self.ark,
        }


@dataclass(frozen=True, slots=True)
class PidServices:
    """Where each identifier service is, and how we introduce ourselves to NCBI."""

    ncbi_eutils_url: str
    ncbi_idconv_url: str
    openlibrary_url: str
    handle_url: str
    ark_resolver_url: str
    mailto: str | None = None
    ncbi_api_key: str | None = None


@dataclass(frozen=True, slots=True)
class PidSources:
    """Every non-DOI source of one worker, by the scheme it reads, and its pool limiters."""

    by_scheme: Mapping[str, PidSource]
    limiters: dict[str, PoolLimiter]
    fetcher: LandingFetcher

    def requests_started(self) -> dict[str, int]:
        """How many requests each pool has sent (retries included); landing pages together."""
        started = {name: limiter.started for name, limiter in self.limiters.items()}
        return started | {"landing": self.fetcher.requests}


def build_pid_sources(
    http: aiohttp.ClientSession,
    *,
    fetcher: LandingFetcher,
    services: PidServices,
    user_agent: str,
    retry: RetryPolicy,
    timeout_s: float,
    limits: PidLimits,
    shared: SharedLimitBackend | None = None,
) -> PidSources:
    """The identifier sources for one worker; `http` talks to the configured services only.

    Landing pages go through `fetcher`, whose session is the guarded one (outbound/). Call it
    inside the running event loop (the worker's startup), never at import time.
    """
    limiters = {
        name: PoolLimiter(name, limit, shared=shared) for name, limit in limits.by_pool().items()
    }
    endpoint = partial(Endpoint, http=http, user_agent=user_agent, retry=retry, timeout_s=timeout_s)
    identity = NcbiIdentity(NCBI_TOOL, services.mailto, services.ncbi_api_key)
    eutils = endpoint(base_url=services.ncbi_eutils_url, name="NCBI esummary")
    idconv = endpoint(base_url=services.ncbi_idconv_url, name="NCBI ID Converter")
    handle = endpoint(base_url=services.handle_url, name="the Handle proxy")
    sources: list[PidSource] = [
        PubMedSource(eutils, limiters[NCBI_POOL], identity),
        PmcSource(idconv, limiters[NCBI_POOL], identity),
        OpenLibrarySource(
            endpoint(base_url=services.openlibrary_url, name="Open Library"),
            limiters[OPENLIBRARY_POOL],
        ),
        HandleSource(handle, limiters[HANDLE_POOL], scheme=Scheme.HANDLE.value),
        HandleSource(handle, limiters[HANDLE_POOL], scheme=Scheme.IGSN.value),
        ArkSource(
            endpoint(base_url=services.ark_resolver_url, name="the ARK resolver"),
            limiters[ARK_POOL],
        ),
        LandingSource(fetcher),
    ]
    return PidSources(
        by_scheme={source.scheme: source for source in sources},
        limiters=limiters,
        fetcher=fetcher,
    )

"""The upstream registries: Registry Protocol, RetryPolicy, and the Registries bundle enrich() uses.

crossref.py, datacite.py, doiorg.py   one client per upstream
_http.py                              get_json(): limiter, timeout, retries, status -> errors
limits.py, shared_limits.py           PoolLimiter per pool; RedisLimitBackend across workers
parse.py                              records -> Work (docs/metadata-mapping.md)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import aiohttp

from cco_enrich.doi import DOI
from cco_enrich.models import Work
from cco_enrich.registries._http import BatchResult, Endpoint, RetryPolicy
from cco_enrich.registries.crossref import CrossrefClient
from cco_enrich.registries.datacite import DataCiteClient
from cco_enrich.registries.doiorg import DoiOrgClient, MemoryPrefixCache, PrefixCache, RaAnswer
from cco_enrich.registries.limits import (
    CROSSREF_LIST,
    CROSSREF_SINGLE,
    DATACITE,
    DOI_ORG,
    PoolLimit,
    PoolLimiter,
    PoolLimits,
    SharedLimitBackend,
)

__all__ = [
    "BatchResult",
    "CrossrefClient",
    "DataCiteClient",
    "DoiOrgClient",
    "MemoryPrefixCache",
    "PoolLimit",
    "PoolLimiter",
    "PoolLimits",
    "PrefixCache",
    "RaAnswer",
    "Registries",
    "Registry",
    "RetryPolicy",
    "SharedLimitBackend",
    "build_registries",
]


class Registry(Protocol):
    """Anything that can look one DOI up: None when it does not know the DOI."""

    name: str

    async def lookup(self, doi: DOI) -> Work | None: ...


@dataclass(frozen=True, slots=True)
class Registries:
    """Every upstream client of one worker, and the limiter of every pool they share."""

    crossref: CrossrefClient
    datacite: DataCiteClient
    doiorg: DoiOrgClient
    limiters: dict[str, PoolLimiter]

    def requests_started(self) -> dict[str, int]:
        """How many requests each pool has sent (retries included) since it was built."""
        return {name: limiter.started for name, limiter in self.limiters.items()}


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
    limits: PoolLimits | None = None,
    shared: SharedLimitBackend | None = None,
    prefix_cache: PrefixCache | None = None,
) -> Registries:
    """The clients and pool limiters for one worker; polite limits when `mailto` is set.

    Call it inside the running event loop (the worker's startup), never at import time.
    """
    limits = limits or (PoolLimits.polite() if mailto else PoolLimits.public())
    limiters = {
        name: PoolLimiter(name, limit, shared=shared) for name, limit in limits.by_pool().items()
    }

    def endpoint(base_url: str, name: str, *, identify: bool) -> Endpoint:
        return Endpoint(
            http=http,
            base_url=base_url,
            name=name,
            user_agent=user_agent,
            retry=retry,
            timeout_s=timeout_s,
            mailto=mailto if identify else None,
        )

    return Registries(
        crossref=CrossrefClient(
            endpoint(crossref_url, "Crossref", identify=True),
            list_limiter=limiters[CROSSREF_LIST],
            single_limiter=limiters[CROSSREF_SINGLE],
        ),
        datacite=DataCiteClient(
            endpoint(datacite_url, "DataCite", identify=True), limiter=limiters[DATACITE]
        ),
        doiorg=DoiOrgClient(
            # doi.org needs no mailto parameter: the User-Agent already names us.
            endpoint(doi_url, "doi.org", identify=False),
            ra_limiter=limiters[DOI_ORG],
            cn_limiter=limiters[DOI_ORG],
            prefix_cache=prefix_cache,
        ),
        limiters=limiters,
    )

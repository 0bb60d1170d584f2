"""The upstream sources: the BatchRegistry seam, the clients behind it, and build_registries().

batching.py                           BatchRegistry Protocol (the seam), BatchResult, batch packing
build.py                              build_registries(), Registries: the source list and routing
crossref.py, datacite.py              one BatchRegistry per agency with its own API
doiorg.py                             /ra/ agency look-ups; ContentNegotiation for other agencies
_http.py                              get_json(): one request (limiter, timeout, retries, errors)
limits.py, pools.py, slots.py         PoolLimiter per pool and its configured ceiling (PoolLimits)
adaptive.py                           LearnedLimit: what a pool really allows, learned (AIMD)
backend.py                            SharedLimitBackend Protocol (limits shared by the fleet)
parse.py                              records -> Work (docs/metadata-mapping.md)
"""

from __future__ import annotations

from cco_enrich.registries._http import RetryPolicy
from cco_enrich.registries.batching import BatchRegistry, BatchResult
from cco_enrich.registries.build import Registries, build_registries
from cco_enrich.registries.crossref import CrossrefClient
from cco_enrich.registries.datacite import DataCiteClient
from cco_enrich.registries.doiorg import (
    ContentNegotiation,
    DoiOrgClient,
    MemoryPrefixCache,
    PrefixCache,
    RaAnswer,
)
from cco_enrich.registries.limits import PoolLimit, PoolLimiter, PoolLimits, SharedLimitBackend

__all__ = [
    "BatchRegistry",
    "BatchResult",
    "ContentNegotiation",
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
    "RetryPolicy",
    "SharedLimitBackend",
    "build_registries",
]

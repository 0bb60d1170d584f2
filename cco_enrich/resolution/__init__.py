"""Identifiers of every scheme but DOI: PubMed, PMC, ISBN, Handle, IGSN, ARK and landing pages.

engine.py   resolve_identifiers(keys, sources, resolve_dois, on_outcomes): the engine next to
            enrichment.enrich(), keyed by `scheme:pid`; works naming a DOI go down the DOI path
build.py    build_pid_sources(): one PidSource per scheme (registries/pids.py is the seam)
duplicates.py  DuplicateIndex: resources that turn out to be one work get `duplicate_of`
"""

from __future__ import annotations

from cco_enrich.resolution.build import (
    PidLimits,
    PidServices,
    PidSources,
    build_pid_sources,
)
from cco_enrich.resolution.duplicates import DuplicateIndex
from cco_enrich.resolution.engine import (
    identifier_key,
    resolve_identifiers,
    resolve_side_by_side,
    resource_key,
    split_key,
)

__all__ = [
    "DuplicateIndex",
    "PidLimits",
    "PidServices",
    "PidSources",
    "build_pid_sources",
    "identifier_key",
    "resolve_identifiers",
    "resolve_side_by_side",
    "resource_key",
    "split_key",
]

"""doi.org: which agency registered a DOI (`/ra/`), and CSL-JSON by content negotiation.

DoiOrgClient asks both; ContentNegotiation is the BatchRegistry for an agency without a source of
its own (mEDRA, JaLC, KISTI, ...): single lookups only, each DOI one request.

The RA lookup takes bare prefixes as well as DOIs, many per request (comma-separated; the limit is
the request line), and answers HTTP 200 even for errors, with a `status` per entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

from cco_enrich import metrics
from cco_enrich.doi import DOI
from cco_enrich.models import Work
from cco_enrich.registries._http import CSL_JSON, Endpoint, get_json
from cco_enrich.registries.batching import BatchResult, lookup_single, pack_terms
from cco_enrich.registries.limits import PoolLimiter
from cco_enrich.registries.parse import work_from_csl

DOES_NOT_EXIST = "DOI does not exist"
INVALID = "Invalid DOI"
UNKNOWN = "Unknown"
MAX_REQUEST_LINE = 4000

K = TypeVar("K", bound=str)


@dataclass(frozen=True, slots=True)
class RaAnswer:
    """doi.org's answer for one DOI or prefix: an agency ("Crossref", "mEDRA", ...) or a status."""

    agency: str | None = None
    status: str | None = None


class PrefixCache(Protocol):
    """DOI prefix -> agency name as doi.org spells it ("Crossref"), kept between runs."""

    async def get_many(self, prefixes: Sequence[str]) -> dict[str, str]: ...

    async def set_many(self, agencies: Mapping[str, str]) -> None: ...


class MemoryPrefixCache:
    """A PrefixCache in a dict, for one process."""

    def __init__(self) -> None:
        self.agencies: dict[str, str] = {}

    async def get_many(self, prefixes: Sequence[str]) -> dict[str, str]:
        return {p: self.agencies[p] for p in prefixes if p in self.agencies}

    async def set_many(self, agencies: Mapping[str, str]) -> None:
        self.agencies.update(agencies)


class DoiOrgClient:
    """doi.org: registration-agency lookups and content negotiation, both in pool `doi-org`."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        limiter: PoolLimiter,
        prefix_cache: PrefixCache | None = None,
        max_request_line: int = MAX_REQUEST_LINE,
    ) -> None:
        self.endpoint = endpoint
        self.limiter = limiter
        self.prefix_cache: PrefixCache = prefix_cache or MemoryPrefixCache()
        self.max_request_line = max_request_line

    async def cached_agencies(self, prefixes: Sequence[str]) -> dict[str, RaAnswer]:
        """The agencies of those prefixes the cache knows."""
        known = await self.prefix_cache.get_many(prefixes)
        return {prefix: RaAnswer(agency=agency) for prefix, agency in known.items()}

    def pack(self, keys: Sequence[K]) -> list[list[K]]:
        """`keys` (prefixes or DOIs) in groups whose RA request line stays under the budget."""
        room = self.max_request_line - self.endpoint.request_line_length(self.ra_url([]))
        return pack_terms(keys, _encode_key, room=room)

    def ra_url(self, keys: Sequence[str]) -> str:
        """The `/ra/a,b,...` URL for these prefixes or DOIs; a comma inside one is sent as %2C."""
        return self.endpoint.url("ra/" + ",".join(map(_encode_key, keys)))

    async def agencies(self, keys: Sequence[K]) -> dict[K, RaAnswer]:
        """One RA request for `keys`; every key gets an answer (UNKNOWN when doi.org omits it).

        Prefix answers naming an agency are remembered in the prefix cache.
        """
        with metrics.batch_request(self.limiter.name, len(keys)):
            answer = await get_json(self.endpoint, self.limiter, self.ra_url(keys))
        answers = _match_answers(keys, answer if isinstance(answer, list) else [])
        prefixes: dict[str, str] = {
            key: a.agency for key, a in answers.items() if "/" not in key and a.agency is not None
        }
        if prefixes:
            await self.prefix_cache.set_many(prefixes)
        return answers

    async def lookup_csl(self, doi: DOI, agency: str) -> Work | None:
        """The DOI's metadata as CSL-JSON from its agency, or None when doi.org has no such DOI."""
        url = self.endpoint.url(quote(doi, safe=""))
        record = await get_json(self.endpoint, self.limiter, url, accept=CSL_JSON)
        if not isinstance(record, Mapping):
            return None
        return work_from_csl(record, doi, agency)


class ContentNegotiation:
    """One agency's DOIs by content negotiation at doi.org: a BatchRegistry without batches."""

    def __init__(self, client: DoiOrgClient, agency: str) -> None:
        self.client = client
        self.agency = agency
        self.name = f"doi.org ({agency})"

    def pack(self, dois: Sequence[DOI]) -> tuple[list[list[DOI]], list[DOI]]:
        """No batches: every DOI is one request."""
        return [], list(dois)

    async def resolve_batch(self, dois: Sequence[DOI]) -> BatchResult:
        """Each DOI on its own, side by side (pack() never makes a batch; this keeps the seam)."""
        async with asyncio.TaskGroup() as group:
            singles = [group.create_task(self.resolve(doi)) for doi in dois]
        result = BatchResult()
        for single in singles:
            result.merge(single.result())
        return result

    async def resolve(self, doi: DOI) -> BatchResult:
        """The DOI's CSL-JSON from its agency; not_found when doi.org serves none."""
        return await lookup_single(
            doi, self.lookup, not_found=f"doi.org has no {self.agency} record of it"
        )

    async def lookup(self, doi: DOI) -> Work | None:
        return await self.client.lookup_csl(doi, self.agency)


def _encode_key(key: str) -> str:
    return quote(key, safe="/")


def _match_answers(keys: Sequence[K], entries: list[Any]) -> dict[K, RaAnswer]:
    """Match entries by DOI (case-insensitively), or by position when an entry has none."""
    by_lower = {key.lower(): key for key in keys}
    answers: dict[K, RaAnswer] = {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            continue
        named = entry.get("DOI")
        if isinstance(named, str):
            key = by_lower.get(named.lower())
        else:
            key = keys[position] if position < len(keys) else None
        if key is None:
            continue
        agency, status = entry.get("RA"), entry.get("status")
        if isinstance(agency, str) and agency:
            answers[key] = RaAnswer(agency=agency)
        else:
            answers[key] = RaAnswer(status=status if isinstance(status, str) else UNKNOWN)
    return {key: answers.get(key, RaAnswer(status=UNKNOWN)) for key in keys}

"""DataCiteClient: `/dois?ids=...` batches and `/dois/{doi}` lookups, all in pool `datacite`.

`ids=` answers sorted by creation date, 25 per page unless `page[size]` says otherwise, and leaves
out what it does not find (including DOIs that are registered but not findable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from cco_enrich import metrics
from cco_enrich.doi import DOI
from cco_enrich.errors import RegistryError
from cco_enrich.models import Work
from cco_enrich.registries._http import Endpoint, get_json
from cco_enrich.registries.batching import (
    BatchResult,
    index_by_doi,
    lookup_single,
    lookup_splitting,
    split_into_batches,
)
from cco_enrich.registries.limits import PoolLimiter
from cco_enrich.registries.parse import work_from_datacite

MAX_REQUEST_LINE = 3800
NOT_FOUND = "DataCite has no record of this DOI"
MAX_PAGE_SIZE = 1000


class DataCiteClient:
    """DataCite's REST API: batches first, a single lookup for what a batch left out."""

    name = "datacite"

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        limiter: PoolLimiter,
        max_request_line: int = MAX_REQUEST_LINE,
    ) -> None:
        self.endpoint = endpoint
        self.limiter = limiter
        self.max_request_line = max_request_line

    def pack(self, dois: Sequence[DOI]) -> tuple[list[list[DOI]], list[DOI]]:
        """Batches with request lines under the budget, and the DOIs that need single lookups."""
        room = self.max_request_line - self.endpoint.request_line_length(
            self.list_url([], page_size=MAX_PAGE_SIZE)
        )
        return split_into_batches(
            dois,
            _ids_term,
            room=room,
            max_size=MAX_PAGE_SIZE,
            can_batch=lambda doi: "," not in doi,  # a comma would split the id in two
        )

    def list_url(self, dois: Sequence[DOI], *, page_size: int | None = None) -> str:
        """The `/dois?ids=a,b,...` URL of a batch, one page big enough for all of it."""
        query = [
            ("ids", ",".join(map(_ids_term, dois))),
            ("page%5Bsize%5D", str(page_size if page_size is not None else len(dois))),
            ("disable-facets", "true"),
        ]
        return self.endpoint.url("dois", query)

    def doi_url(self, doi: DOI) -> str:
        """The `/dois/{doi}` URL, the DOI encoded as one path segment."""
        return self.endpoint.url("dois/" + quote(doi, safe=""))

    async def lookup_batch(self, dois: Sequence[DOI]) -> dict[DOI, Work]:
        """One `ids=` request: the works DataCite returned, by our DOI (absent ones left out)."""
        with metrics.batch_request(self.limiter.name, len(dois)):
            answer = await get_json(self.endpoint, self.limiter, self.list_url(dois))
        records = answer.get("data") if isinstance(answer, Mapping) else None
        if not isinstance(records, list):
            msg = f"DataCite answered a batch of {len(dois)} DOIs without a list of records"
            raise RegistryError(msg)
        ours = index_by_doi(dois)
        works: dict[DOI, Work] = {}
        for record in records:
            if not isinstance(record, Mapping):
                continue
            attributes = _attributes(record)
            upstream = attributes.get("doi") or record.get("id")
            doi = ours.get(upstream.lower()) if isinstance(upstream, str) else None
            if doi is not None:
                works[doi] = work_from_datacite(attributes, doi)
        return works

    async def lookup(self, doi: DOI) -> Work | None:
        """One `/dois/{doi}` request: the work, or None when DataCite does not know the DOI."""
        answer = await get_json(self.endpoint, self.limiter, self.doi_url(doi))
        if answer is None:
            return None
        attributes = _attributes(answer.get("data") if isinstance(answer, Mapping) else None)
        if not attributes:
            msg = f"DataCite answered {doi} without a record"
            raise RegistryError(msg)
        return work_from_datacite(attributes, doi)

    async def resolve_batch(self, dois: Sequence[DOI]) -> BatchResult:
        """A batch lookup that never raises; a rejected batch is split in halves."""
        return await lookup_splitting(dois, self.lookup_batch, self.lookup, not_found=NOT_FOUND)

    async def resolve(self, doi: DOI) -> BatchResult:
        """A single lookup that never raises."""
        return await lookup_single(doi, self.lookup, not_found=NOT_FOUND)


def _attributes(record: Any) -> Mapping[str, Any]:
    attributes = record.get("attributes") if isinstance(record, Mapping) else None
    return attributes if isinstance(attributes, Mapping) else {}


def _ids_term(doi: DOI) -> str:
    return quote(doi, safe="/")

"""CrossrefClient: `/works?filter=doi:...` batches (pool `crossref-list`), `/works/{doi}` lookups.

A batch answers in any order and leaves out the DOIs it does not know; we match by lower-cased DOI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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
from cco_enrich.registries.parse import work_from_crossref

SELECT = (
    "DOI,title,author,issued,published,published-print,published-online,"
    "container-title,type,publisher,URL"
)
MAX_REQUEST_LINE = 3800
NOT_FOUND = "Crossref has no record of this DOI"
MAX_ROWS = 1000
# Crossref validates every filter value ("doi:10.prefix/suffix", prefix of 4+ digits) and rejects
# the whole batch for one bad value; a comma would split the value in two.
_BATCHABLE = re.compile(r"^10\.\d{4,}/[^,]+$")


class CrossrefClient:
    """Crossref's REST API: batches first, single lookups for what batches cannot answer."""

    name = "crossref"

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        list_limiter: PoolLimiter,
        single_limiter: PoolLimiter,
        max_request_line: int = MAX_REQUEST_LINE,
    ) -> None:
        self.endpoint = endpoint
        self.list_limiter = list_limiter
        self.single_limiter = single_limiter
        self.max_request_line = max_request_line

    def pack(self, dois: Sequence[DOI]) -> tuple[list[list[DOI]], list[DOI]]:
        """Batches with request lines under the budget, and the DOIs that need single lookups."""
        room = self.max_request_line - self.endpoint.request_line_length(
            self.list_url([], rows=MAX_ROWS)
        )
        return split_into_batches(
            dois,
            _filter_term,
            room=room,
            max_size=MAX_ROWS,
            can_batch=lambda doi: bool(_BATCHABLE.match(doi)),
        )

    def list_url(self, dois: Sequence[DOI], *, rows: int | None = None) -> str:
        """The `/works?filter=doi:A,doi:B,...` URL of a batch, with `rows` and `select` set."""
        query = [
            ("filter", ",".join(map(_filter_term, dois))),
            ("rows", str(rows if rows is not None else len(dois))),
            ("select", SELECT),
        ]
        return self.endpoint.url("works", query)

    def work_url(self, doi: DOI) -> str:
        """The `/works/{doi}` URL, the DOI encoded as one path segment."""
        return self.endpoint.url("works/" + quote(doi, safe=""))

    async def lookup_batch(self, dois: Sequence[DOI]) -> dict[DOI, Work]:
        """One list request: the works Crossref returned, by our DOI (absent ones are left out)."""
        with metrics.batch_request(self.list_limiter.name, len(dois)):
            answer = await get_json(self.endpoint, self.list_limiter, self.list_url(dois))
        message = answer.get("message") if isinstance(answer, Mapping) else None
        items = message.get("items") if isinstance(message, Mapping) else None
        if not isinstance(items, list):
            msg = f"Crossref answered a batch of {len(dois)} DOIs without a list of works"
            raise RegistryError(msg)
        ours = index_by_doi(dois)
        works: dict[DOI, Work] = {}
        for item in items:
            if not isinstance(item, Mapping) or not isinstance(item.get("DOI"), str):
                continue
            doi = ours.get(item["DOI"].lower())
            if doi is not None:
                works[doi] = work_from_crossref(item, doi)
        return works

    async def lookup(self, doi: DOI) -> Work | None:
        """One `/works/{doi}` request: the work, or None when Crossref does not know the DOI."""
        answer = await get_json(self.endpoint, self.single_limiter, self.work_url(doi))
        if answer is None:
            return None
        message = answer.get("message") if isinstance(answer, Mapping) else None
        if not isinstance(message, Mapping):
            msg = f"Crossref answered {doi} without a work record"
            raise RegistryError(msg)
        return work_from_crossref(message, doi)

    async def resolve_batch(self, dois: Sequence[DOI]) -> BatchResult:
        """A batch lookup that never raises; a rejected batch is split in halves."""
        return await lookup_splitting(dois, self.lookup_batch, self.lookup, not_found=NOT_FOUND)

    async def resolve(self, doi: DOI) -> BatchResult:
        """A single lookup that never raises."""
        return await lookup_single(doi, self.lookup, not_found=NOT_FOUND)


def _filter_term(doi: DOI) -> str:
    return "doi:" + quote(doi, safe="/")

"""LandingSource: URL identifiers as a PidSource, each read as a landing page on its own.

Pages are not batched (one URL a request); the fetcher's per-host pools pace them, and URLs that
differ only after `#` share one fetch. A page naming a DOI comes back as a work with that `doi`,
so the engine resolves the DOI through the registries and keeps the page as the fallback.
"""

from __future__ import annotations

from collections.abc import Sequence

from cco_enrich.landing.fetch import LandingFetcher
from cco_enrich.landing.reader import read_landing_page
from cco_enrich.models import ResourceStatus
from cco_enrich.registries.pids import PidResult, one_a_batch


class LandingSource:
    """Landing pages through a LandingFetcher (guarded session, host pools, body cap)."""

    name = "landing-page"
    scheme = "url"

    def __init__(self, fetcher: LandingFetcher) -> None:
        self.fetcher = fetcher

    def pack(self, pids: Sequence[str]) -> list[list[str]]:
        return one_a_batch(pids)

    async def resolve_batch(self, pids: Sequence[str]) -> PidResult:
        result = PidResult()
        for url in pids:
            outcome = await read_landing_page(url, self.fetcher)
            reason = outcome.reason or outcome.status.value
            if outcome.status is ResourceStatus.ENRICHED and outcome.work is not None:
                result.works[url] = outcome.work
            elif outcome.status is ResourceStatus.NOT_FOUND:
                result.not_found[url] = reason
            elif outcome.status is ResourceStatus.SKIPPED:
                result.skipped[url] = reason
            else:
                result.failed[url] = reason
        return result

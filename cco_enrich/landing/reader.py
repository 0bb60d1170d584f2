"""read_landing_page(): one URL identifier -> an outcome: its Work, or why there is none.

enriched    the page's metadata (source "landing-page"); `doi` set when the page names one,
            so the caller can resolve that DOI through the registries instead
not_found   404/410, or a page with no usable metadata
failed      timeouts, 5xx and 429 after the retries (a later /retry fetches again)
skipped     a refused address or scheme, or a body that is not HTML
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from cco_enrich.landing.extract import extract_work
from cco_enrich.landing.fetch import LandingFetcher, LandingResult, LandingStatus
from cco_enrich.models import ResourceStatus, Work

_STATUSES = {
    LandingStatus.NOT_FOUND: ResourceStatus.NOT_FOUND,
    LandingStatus.SKIPPED: ResourceStatus.SKIPPED,
    LandingStatus.FAILED: ResourceStatus.FAILED,
}
NO_METADATA = "the page has no usable metadata (no title in any markup we read)"


@dataclass(frozen=True, slots=True)
class LandingOutcome:
    """What reading one URL identifier came to."""

    url: str
    status: ResourceStatus
    work: Work | None = None
    reason: str | None = None
    fetch: LandingResult | None = None

    @property
    def doi(self) -> str | None:
        """The DOI the page names, to be resolved through the registries."""
        return self.work.doi if self.work is not None else None


async def read_landing_page(url: str, fetcher: LandingFetcher) -> LandingOutcome:
    """Fetch `url` and read its metadata; the work's `pid` is `url`, fragment and all."""
    result = await fetcher.fetch(url)
    if result.status is not LandingStatus.FETCHED:
        return LandingOutcome(url, _STATUSES[result.status], reason=result.reason, fetch=result)
    # Parsing a 2 MB page takes a while: keep the event loop free for the other requests.
    work = await asyncio.to_thread(
        extract_work, result.body, url, final_url=result.final_url, encoding=result.encoding
    )
    if work is None:
        return LandingOutcome(url, ResourceStatus.NOT_FOUND, reason=NO_METADATA, fetch=result)
    return LandingOutcome(url, ResourceStatus.ENRICHED, work=work, fetch=result)

"""Landing pages: fetch a URL identifier within its host's limits, read the metadata it carries.

fetch.py      LandingFetcher.fetch(url) -> LandingResult (guard, limits, cap, timeout, retries)
extract.py    extract_work(html, url) -> Work | None (JSON-LD, microdata, RDFa, meta tags, title)
reader.py     read_landing_page(url, fetcher) -> LandingOutcome (the two together, as an outcome)
markup.py, schemaorg.py, meta.py, fields.py   the syntaxes and the cleaning behind extract.py
"""

from __future__ import annotations

from cco_enrich.landing.extract import SOURCE, extract_work
from cco_enrich.landing.fetch import (
    LandingFetcher,
    LandingFetchPolicy,
    LandingResult,
    LandingStatus,
    fetch_landing_page,
)
from cco_enrich.landing.reader import LandingOutcome, read_landing_page

__all__ = [
    "SOURCE",
    "LandingFetchPolicy",
    "LandingFetcher",
    "LandingOutcome",
    "LandingResult",
    "LandingStatus",
    "extract_work",
    "fetch_landing_page",
    "read_landing_page",
]

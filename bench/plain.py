"""The plain approach a user would otherwise write: one `/works/{doi}` request per DOI, in a loop.

This is what habanero's `Crossref(mailto=...).works(ids=[...])` does: a fresh `requests.get` per
DOI (no connection reuse), one after the other, with a polite User-Agent and the mailto parameter.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from .bound import MAILTO

USER_AGENT = f"python-requests/2.32.3 habanero/2.2.0 (mailto:{MAILTO})"


@dataclass(slots=True)
class PlainRun:
    """The loop's timings; when only a sample ran, `total_s` is extrapolated from it."""

    total: int
    done: int = 0
    elapsed_s: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    progress: list[tuple[float, float]] = field(default_factory=list)  # (s, percent of total)

    @property
    def sampled(self) -> bool:
        return self.done < self.total

    @property
    def total_s(self) -> float:
        return self.elapsed_s * self.total / self.done if self.done else 0.0


def fetch(crossref_url: str, doi: str) -> int:
    """One `GET /works/{doi}?mailto=...` on a new connection; the HTTP status."""
    url = f"{crossref_url}/works/{quote(doi, safe='/')}?mailto={quote(MAILTO, safe='@')}"
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


def run_plain(
    crossref_url: str,
    dois: Sequence[str],
    *,
    budget_s: float = 360.0,
    probe: int = 25,
    sample: int = 200,
) -> PlainRun:
    """Run the loop over all of `dois`, or over `sample` of them when the whole would exceed
    `budget_s` (judged after `probe` requests)."""
    run = PlainRun(total=len(dois))
    limit = len(dois)
    started = time.monotonic()
    for i, doi in enumerate(dois, 1):
        run.statuses[fetch(crossref_url, doi)] += 1
        run.done = i
        run.elapsed_s = time.monotonic() - started
        run.progress.append((run.elapsed_s, 100.0 * i / len(dois)))
        if i == probe and run.elapsed_s * len(dois) / i > budget_s:
            limit = min(limit, max(sample, probe))
        if i >= limit:
            break
    return run

"""Fakes at the edges: FakeSource (a dict-backed BatchRegistry) and FakeUpstreams (Crossref,
DataCite and doi.org answering through aioresponses the way the real services do: shuffled batches,
absent misses, plain-text 404s, 414 for long request lines, per-entry RA statuses)."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch
from urllib.parse import unquote

from aiohttp import ClientResponse
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from cco_enrich.doi import DOI
from cco_enrich.models import Work
from cco_enrich.registries import BatchResult
from cco_enrich.registries.limits import PoolLimiter

Handler = Callable[..., CallbackResult]
AsyncHandler = Callable[..., Awaitable[CallbackResult]]
DATA = Path(__file__).parent / "data" / "registry"
CROSSREF_URL = "http://crossref.test/api"  # a path prefix, to prove paths are joined
DATACITE_URL = "http://datacite.test"
DOI_URL = "http://doi.test"
MAX_REQUEST_LINE = 4096


class _CompatResponse(ClientResponse):
    """aiohttp 3.14 requires `stream_writer`; aioresponses 0.7.9 omits it (its issue #289)."""

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


@contextmanager
def mock_http() -> Iterator[aioresponses]:
    """aioresponses, patched to work with aiohttp 3.14 until a release fixes it."""
    with patch("aioresponses.core.ClientResponse", _CompatResponse), aioresponses() as mocked:
        yield mocked


def load(name: str) -> Any:
    """A recorded registry response from tests/data/registry/."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@dataclass(eq=False)
class FakeSource:
    """A BatchRegistry in a dict: batches of `batch_size`; records every batch and single asked."""

    name: str
    works: dict[DOI, Work] = field(default_factory=dict)
    batch_size: int = 2
    batches: list[list[DOI]] = field(default_factory=list)
    singles: list[DOI] = field(default_factory=list)

    def pack(self, dois: Sequence[DOI]) -> tuple[list[list[DOI]], list[DOI]]:
        size = self.batch_size
        return [list(dois[i : i + size]) for i in range(0, len(dois), size)], []

    async def resolve_batch(self, dois: Sequence[DOI]) -> BatchResult:
        self.batches.append(list(dois))
        works = {d: self.works[d] for d in dois if d in self.works}
        return BatchResult(works=works, missing=[d for d in dois if d not in works])

    async def resolve(self, doi: DOI) -> BatchResult:
        self.singles.append(doi)
        if doi in self.works:
            return BatchResult(works={doi: self.works[doi]})
        return BatchResult(not_found={doi: f"{self.name} has no record of this DOI"})


def crossref_record(doi: str, title: str = "A title") -> dict[str, Any]:
    """A minimal Crossref work record, the DOI upper-cased the way some upstreams spell it."""
    return {
        "DOI": doi.upper(),
        "title": [title],
        "author": [{"given": "Ada", "family": "Lovelace"}],
        "issued": {"date-parts": [[2020, 1, 2]]},
        "container-title": ["Journal"],
        "type": "journal-article",
        "publisher": "Publisher",
    }


def datacite_attributes(doi: str, title: str = "A dataset") -> dict[str, Any]:
    """Minimal DataCite `attributes`."""
    return {
        "doi": doi,
        "titles": [{"title": title}],
        "creators": [{"name": "Org", "nameType": "Organizational"}],
        "publicationYear": 2021,
        "types": {"resourceTypeGeneral": "Dataset"},
        "publisher": "Repo",
    }


@dataclass
class FakeUpstreams:
    """Three fake upstreams behind aioresponses; `calls` counts requests per route."""

    crossref: dict[str, dict[str, Any]] = field(default_factory=dict)
    datacite: dict[str, dict[str, Any]] = field(default_factory=dict)
    csl: dict[str, dict[str, Any]] = field(default_factory=dict)
    agencies: dict[str, str] = field(default_factory=dict)
    """Prefix or DOI -> agency name; a DOI exists when some store holds it or it is listed here."""
    statuses: dict[str, str] = field(default_factory=dict)
    """Prefix or DOI -> the `status` doi.org answers instead of an agency ("Unknown", ...)."""
    hidden_from_batches: set[str] = field(default_factory=set)
    """DOIs a list request leaves out although a single lookup finds them (index lag)."""
    headers: dict[str, str] = field(default_factory=dict)
    failing: dict[str, int] = field(default_factory=dict)
    """Route -> the HTTP status every request of that route gets (503, ...)."""
    latency_s: dict[str, float] = field(default_factory=dict)
    """Route -> how long each request of that route takes."""
    request_started: defaultdict[str, asyncio.Event] = field(
        default_factory=lambda: defaultdict(asyncio.Event)
    )
    """Route -> set once a request of that route has arrived."""
    calls: Counter[str] = field(default_factory=Counter)
    urls: list[URL] = field(default_factory=list)
    log: list[tuple[str, float, float]] = field(default_factory=list)
    """(route, start, end) of every request, in the order they ended."""
    seed: int = 7

    def install(self, mock: aioresponses) -> None:
        """Answer every request to the three fake hosts."""
        routes = [
            ("crossref-list", rf"^{re.escape(CROSSREF_URL)}/works\?", self._crossref_list),
            ("crossref-single", rf"^{re.escape(CROSSREF_URL)}/works/", self._crossref_single),
            ("datacite-list", rf"^{re.escape(DATACITE_URL)}/dois\?", self._datacite_list),
            ("datacite-single", rf"^{re.escape(DATACITE_URL)}/dois/", self._datacite_single),
            ("doi-ra", rf"^{re.escape(DOI_URL)}/ra/", self._ra),
            ("doi-cn", rf"^{re.escape(DOI_URL)}/(?!ra/)", self._content_negotiation),
        ]
        for route, pattern, handler in routes:
            mock.get(re.compile(pattern), callback=self._serving(route, handler), repeat=True)

    def _serving(self, route: str, handler: Handler) -> AsyncHandler:
        async def serve(url: URL, **kwargs: Any) -> CallbackResult:
            self.calls[route] += 1
            self.request_started[route].set()
            self.urls.append(url)
            began = time.monotonic()
            if delay_s := self.latency_s.get(route):
                await asyncio.sleep(delay_s)
            self.log.append((route, began, time.monotonic()))
            if route in self.failing:
                return CallbackResult(status=self.failing[route], body="<html>Failing</html>")
            return handler(url, **kwargs)

        return serve

    def _too_long(self, url: URL) -> CallbackResult | None:
        if len(f"GET {url.raw_path_qs} HTTP/1.1") > MAX_REQUEST_LINE:
            return CallbackResult(status=414, body="URI Too Long")
        return None

    def _crossref_list(self, url: URL, **_: Any) -> CallbackResult:
        if (too_long := self._too_long(url)) is not None:
            return too_long
        terms = url.query["filter"].split(",")
        if not all(re.match(r"^doi:10\.\d{4,}/.+$", term) for term in terms):
            return CallbackResult(
                status=400, payload=load("crossref_error_400_validation-failure.json")
            )
        wanted = [term.removeprefix("doi:").lower() for term in terms]
        items = [
            self.crossref[d]
            for d in wanted
            if d in self.crossref and d not in self.hidden_from_batches
        ]
        random.Random(self.seed).shuffle(items)
        rows = int(url.query.get("rows", "20"))
        message = {"total-results": len(items), "items": items[:rows], "items-per-page": rows}
        payload = {"status": "ok", "message-type": "work-list", "message": message}
        return CallbackResult(payload=payload, headers=self.headers)

    def _crossref_single(self, url: URL, **_: Any) -> CallbackResult:
        doi = unquote(url.raw_path.removeprefix(URL(CROSSREF_URL).path + "/works/")).lower()
        if doi not in self.crossref:
            return CallbackResult(status=404, body="Resource not found.", content_type="text/plain")
        payload = {"status": "ok", "message-type": "work", "message": self.crossref[doi]}
        return CallbackResult(payload=payload, headers=self.headers)

    def _datacite_list(self, url: URL, **_: Any) -> CallbackResult:
        if (too_long := self._too_long(url)) is not None:
            return too_long
        wanted = [d.lower() for d in url.query["ids"].split(",")]
        found = [d for d in wanted if d in self.datacite and d not in self.hidden_from_batches]
        size = int(url.query.get("page[size]", "25"))
        data = [_datacite_resource(d, self.datacite[d]) for d in sorted(found)[:size]]
        return CallbackResult(payload={"data": data, "meta": {"total": len(found)}})

    def _datacite_single(self, url: URL, **_: Any) -> CallbackResult:
        doi = unquote(url.raw_path.removeprefix("/dois/")).lower()
        if doi not in self.datacite:
            errors = [{"status": "404", "title": "The resource you are looking for doesn't exist."}]
            return CallbackResult(status=404, payload={"errors": errors})
        return CallbackResult(payload={"data": _datacite_resource(doi, self.datacite[doi])})

    def _ra(self, url: URL, **_: Any) -> CallbackResult:
        if (too_long := self._too_long(url)) is not None:
            return too_long
        keys = [unquote(k) for k in url.raw_path.removeprefix("/ra/").split(",")]
        return CallbackResult(body=json.dumps([self._agency_entry(k) for k in keys]))

    def _agency_entry(self, key: str) -> dict[str, str]:
        lowered = key.lower()
        if lowered in self.statuses:
            return {"DOI": key, "status": self.statuses[lowered]}
        if "/" not in key:
            agency = self.agencies.get(lowered)
        elif lowered in self.agencies:
            agency = self.agencies[lowered]
        elif self._exists(lowered):
            agency = self.agencies.get(lowered.split("/", 1)[0])
        else:
            agency = None
        return (
            {"DOI": key, "RA": agency} if agency else {"DOI": key, "status": "DOI does not exist"}
        )

    def _exists(self, doi: str) -> bool:
        return any(doi in store for store in (self.crossref, self.datacite, self.csl))

    def _content_negotiation(self, url: URL, **kwargs: Any) -> CallbackResult:
        headers: Mapping[str, str] = kwargs.get("headers") or {}
        assert headers.get("Accept") == "application/vnd.citationstyles.csl+json"
        doi = unquote(url.raw_path.removeprefix("/")).lower()
        if doi not in self.csl:
            return CallbackResult(
                status=404, body="<html>DOI Not Found</html>", content_type="text/html"
            )
        return CallbackResult(payload=self.csl[doi])


def _datacite_resource(doi: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {"id": doi, "type": "dois", "attributes": attributes}


class Recorder:
    """Runs requests through a limiter and records when each started and ended."""

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.active = 0
        self.peak = 0

    async def request(self, limiter: PoolLimiter, duration_s: float) -> None:
        async with limiter.slot():
            self.starts.append(time.monotonic())
            self.active += 1
            self.peak = max(self.peak, self.active)
            try:
                await asyncio.sleep(duration_s)
            finally:
                self.active -= 1

    def most_in_any_window(self, window_s: float) -> int:
        starts = sorted(self.starts)
        return max(
            sum(1 for t in starts[i:] if t < start + window_s) for i, start in enumerate(starts)
        )

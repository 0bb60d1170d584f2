"""Landing-page stand-in: the pages of tests/data/landing, served per host on loopback.

A host is named by a path prefix, `/landing/{host}/{path}` (what a test rewriting the real
example's URLs uses), or by the Host header (a test resolving `www.ncei.noaa.gov` to 127.0.0.1
with a fake resolver). Each host has its own limits (429 + `Retry-After: 1` past them) and every
request is recorded. Besides the recorded pages: redirect chains, a loop, an oversize page, a
slow page, a PDF, 404/410, and pages that answer 503 or 429 a few times first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from .limits import Clock, PoolLimit, PoolLimiter

PAGES_DIR = Path(__file__).resolve().parent.parent / "data" / "landing"
PREFIX = "/landing"
HTML = "text/html; charset=utf-8"
OVERSIZE_BYTES = 3_000_000
SLOW_S = 30.0


@dataclass(frozen=True, slots=True)
class Page:
    """One answer: a file or body, a status, a redirect, a delay, failures before success."""

    file: str | None = None
    body: bytes = b""
    status: int = 200
    content_type: str = HTML
    location: str | None = None
    """Host-relative ("/x": the stand-in adds the prefix) or "//host/x" for another host."""
    delay_s: float = 0.0
    fail_first: int = 0
    fail_status: int = 503
    retry_after: str | None = None


@dataclass(slots=True)
class LandingRequest:
    host: str
    path: str
    user_agent: str
    status: int


@dataclass(slots=True)
class LandingState:
    """The pages, each host's limiter, and every request seen."""

    pages: dict[tuple[str, str], Page]
    limit: PoolLimit | None
    clock: Clock
    requests: list[LandingRequest] = field(default_factory=list)
    limiters: dict[str, PoolLimiter] = field(default_factory=dict)
    served: dict[tuple[str, str], int] = field(default_factory=dict)
    max_in_flight: dict[str, int] = field(default_factory=dict)

    def reset(self) -> None:
        self.requests.clear()
        self.limiters.clear()
        self.served.clear()
        self.max_in_flight.clear()

    def hosts_seen(self) -> list[str]:
        return [r.host for r in self.requests]


LANDING = web.AppKey("landing_state", LandingState)


def _ncei_pages() -> Iterator[tuple[tuple[str, str], Page]]:
    """NCEI: /archive/accession/{id} redirects to the ISO landing page, as the real site does."""
    host = "www.ncei.noaa.gov"
    yield (host, "/archive/accession/GOMMAPPS"), Page("ncei/accession_GOMMAPPS.html")
    for path in sorted((PAGES_DIR / "ncei").glob("accession_0*.html")):
        accession = path.stem.removeprefix("accession_")
        iso = f"/access/metadata/landing-page/bin/iso?id=gov.noaa.nodc:{accession}"
        for spelling in {accession, accession.lstrip("0")}:
            yield (host, f"/archive/accession/{spelling}"), Page(status=302, location=iso)
        yield (host, iso), Page(f"ncei/{path.name}")


def default_pages() -> dict[tuple[str, str], Page]:
    """Every page the stand-in serves, keyed by (host, path with query)."""
    seamap = "seamap.env.duke.edu"
    pages = dict(_ncei_pages())
    pages.update(
        {
            ("www.fisheries.noaa.gov", "/inport/item/70316"): Page("inport/item_70316.html"),
            (seamap, "/"): Page("seamap/home.html"),
            (seamap, "/models/SEFSC/GOM/"): Page("seamap/models_SEFSC_GOM.html"),
            ("portal.atn.ioos.us", "/"): Page("atn/portal.html"),
            ("data.example.org", "/dataset/3300"): Page("styles/jsonld_relations.html"),
            ("zenodo.example", "/records/7654321"): Page("styles/jsonld_doi.html"),
            ("journal.example", "/articles/fmars.2023.1234567"): Page(
                "styles/highwire_article.html"
            ),
            ("portal.example.org", "/dataset/riceswhale-2019"): Page("styles/microdata.html"),
            ("catalog.example.gov", "/dataset/seabirds-2017-2019"): Page("styles/rdfa.html"),
            ("blog.example.org", "/2021/07/tagging-green-turtles"): Page(
                "styles/opengraph_only.html"
            ),
        }
    )
    for path in sorted((PAGES_DIR / "seamap").glob("dataset_*.html")):
        number = path.stem.removeprefix("dataset_")
        pages[(seamap, f"/dataset/{number}")] = Page(f"seamap/{path.name}")
    pages.update(_edge_cases("pages.example.org"))
    return pages


def _edge_cases(host: str) -> dict[tuple[str, str], Page]:
    oversize = (
        (PAGES_DIR / "styles" / "jsonld_doi.html")
        .read_bytes()
        .replace(b"</body>", b"<p>" + b"padding " * (OVERSIZE_BYTES // 8) + b"</p></body>")
    )
    return {
        (host, "/nothing"): Page("styles/nothing.html"),
        (host, "/soft-404"): Page("styles/soft_404.html"),
        (host, "/missing"): Page(status=404, body=b"<h1>Not Found</h1>"),
        (host, "/gone"): Page(status=410, body=b"<h1>Gone</h1>"),
        (host, "/forbidden"): Page(status=403, body=b"<h1>Forbidden</h1>"),
        (host, "/report.pdf"): Page(body=b"%PDF-1.7\n%...", content_type="application/pdf"),
        (host, "/oversize"): Page(body=oversize),
        (host, "/slow"): Page("styles/jsonld_doi.html", delay_s=SLOW_S),
        (host, "/busy"): Page("styles/jsonld_doi.html", fail_first=2, retry_after="0"),
        (host, "/down"): Page("styles/jsonld_doi.html", fail_first=1000),
        (host, "/limited"): Page(
            "styles/jsonld_doi.html", fail_first=1, fail_status=429, retry_after="0"
        ),
        # A chain of three hops that ends on another host, and a loop.
        (host, "/redirect/3"): Page(status=301, location="/redirect/2"),
        (host, "/redirect/2"): Page(status=302, location="/redirect/1"),
        (host, "/redirect/1"): Page(status=307, location="//data.example.org/dataset/3300"),
        (host, "/loop"): Page(status=302, location="/loop"),
        **{(host, f"/hops/{n}"): Page(status=302, location=f"/hops/{n - 1}") for n in range(1, 13)},
        (host, "/hops/0"): Page("styles/jsonld_relations.html"),
    }


def _limiter(state: LandingState, host: str) -> PoolLimiter:
    if host not in state.limiters:
        state.limiters[host] = PoolLimiter(1.0, state.clock)
    return state.limiters[host]


async def _serve(request: web.Request, host: str, path: str, prefix: str) -> web.StreamResponse:
    """Limit, count and answer one request for `host`'s `path` (`prefix`: path-prefix mode)."""
    state = request.app[LANDING]
    status = 500
    limiter = _limiter(state, host)
    admission = limiter.admit(state.limit)
    state.max_in_flight[host] = max(state.max_in_flight.get(host, 0), admission.in_flight)
    try:
        port = request.url.port
        response = await _answer(state, host, path, prefix, port, allowed=admission.allowed)
        status = response.status
        return response
    finally:
        limiter.release()
        agent = request.headers.get("User-Agent", "")
        state.requests.append(LandingRequest(host, path, agent, status))


async def _answer(
    state: LandingState, host: str, path: str, prefix: str, port: int | None, *, allowed: bool
) -> web.StreamResponse:
    if not allowed:
        return web.Response(status=429, headers={"Retry-After": "1"}, text="Too Many Requests")
    page = state.pages.get((host, path)) or state.pages.get((host, path.split("?", 1)[0]))
    if page is None:
        return web.Response(status=404, text="<h1>Not Found</h1>", content_type="text/html")
    count = state.served.get((host, path), 0)
    state.served[(host, path)] = count + 1
    headers = {"Retry-After": page.retry_after} if page.retry_after is not None else {}
    if count < page.fail_first:
        return web.Response(status=page.fail_status, headers=headers, text="try again later")
    if page.delay_s:
        await asyncio.sleep(page.delay_s)
    if page.location is not None:
        target = page.location
        if target.startswith(("http://", "https://")):
            pass  # absolute: sent as written
        elif target.startswith("//"):
            other, _, rest = target[2:].partition("/")
            target = f"{PREFIX}/{other}/{rest}" if prefix else f"//{other}:{port}/{rest}"
        else:
            target = prefix + target
        return web.Response(status=page.status, headers={"Location": target})
    body = (PAGES_DIR / page.file).read_bytes() if page.file else page.body
    return web.Response(status=page.status, body=body, headers={"Content-Type": page.content_type})


async def serve_prefixed(request: web.Request) -> web.StreamResponse:
    """GET /landing/{host}/{path}: the page of `host` at `/path`."""
    host = request.match_info["host"].lower()
    tail = request.raw_path.split("/", 3)[3] if request.raw_path.count("/") >= 3 else ""
    return await _serve(request, host, "/" + tail, f"{PREFIX}/{host}")


async def serve_by_host(request: web.Request) -> web.StreamResponse:
    """GET any path on a host named by the Host header (a name the test resolves to us)."""
    host = (request.host or "").rsplit(":", 1)[0].lower()
    if host in ("127.0.0.1", "localhost", "[::1]") or not any(
        known == host for known, _ in request.app[LANDING].pages
    ):
        raise web.HTTPNotFound()
    return await _serve(request, host, request.raw_path, "")


def register(
    app: web.Application, *, limit: PoolLimit | None = None, clock: Clock = time.monotonic
) -> None:
    """Serve the landing pages from `app` (call after its other routes: one is a catch-all)."""
    app[LANDING] = LandingState(default_pages(), limit or PoolLimit(1, 1.0, 2), clock)
    app.router.add_get(PREFIX + "/{host}/{tail:.*}", serve_prefixed)
    app.router.add_get("/{tail:.*}", serve_by_host)


def create_landing_app(limit: PoolLimit | None = None, *, limits: bool = True) -> web.Application:
    """An app serving only the landing pages (`limits=False`: count, never refuse)."""
    app = web.Application()
    register(app, limit=limit)
    if not limits:
        app[LANDING].limit = None
    return app


class LandingServer:
    """`async with LandingServer() as server:` the landing pages on `host` and a free port."""

    def __init__(
        self, host: str = "127.0.0.1", *, limit: PoolLimit | None = None, limits: bool = True
    ) -> None:
        self.app = create_landing_app(limit, limits=limits)
        self.host = host
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> LandingServer:
        runner = web.AppRunner(
            self.app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def state(self) -> LandingState:
        return self.app[LANDING]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, host: str, path: str) -> str:
        """The stand-in URL of `host`'s `path`, in path-prefix form."""
        return f"{self.base_url}{PREFIX}/{host}{path}"

    def real_url_to_standin(self, url: str) -> str:
        """`https://www.ncei.noaa.gov/x#y` -> `http://127.0.0.1:port/landing/www.ncei.noaa.gov/x#y`."""
        scheme_less = url.split("://", 1)[1]
        host, _, rest = scheme_less.partition("/")
        return self.url(host.lower(), "/" + rest)

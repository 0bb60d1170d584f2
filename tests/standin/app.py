"""The stand-in aiohttp app: Crossref, DataCite and doi.org on one server, limited and counted."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

import orjson
from aiohttp import web

from . import answers, landing
from .answers import Answer, fold
from .corpus import Corpus
from .handle import register_handle
from .limits import CROSSREF_POOLS, Clock, FaultKind, Faults, Policy, PoolLimit, PoolLimiter
from .ncbi import register_ncbi
from .openlibrary import register_openlibrary
from .stats import Stats

_HTML_414 = (
    "<html>\r\n<head><title>414 Request-URI Too Large</title></head>\r\n<body>\r\n"
    "<center><h1>414 Request-URI Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_HTML_429 = (
    "<html><body><h1>429 Too Many Requests</h1>\n"
    "You have sent too many requests in a given amount of time.\n</body></html>"
)
_HTML_5XX = "<html><body><h1>{status} {reason}</h1>\n{detail}\n</body></html>"
_GARBAGE = b'{"status":"ok","message-type":"work","message-version":"1.0.0","message":{"DOI":"10.'
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_STATUS_RESET = 0  # the connection was closed without an answer
_STATUS_CLIENT_GONE = 499  # the client gave up first (nginx's code)


@dataclass(slots=True)
class StandinState:
    """Everything the stand-in handlers share: the corpus, the policy, and what they count."""

    corpus: Corpus
    policy: Policy
    stats: Stats
    faults: Faults
    limiters: dict[str, PoolLimiter]
    rng: random.Random
    closing: asyncio.Event = field(default_factory=asyncio.Event)

    def reset(self) -> None:
        """Clear stats, queued faults and the rate windows."""
        self.stats.reset()
        self.faults.clear()
        for limiter in self.limiters.values():
            limiter.clear()


STATE = web.AppKey("standin_state", StandinState)


@dataclass(frozen=True, slots=True)
class _Call:
    """How one upstream request is limited, counted and decorated."""

    kind: str  # endpoint kind: "crossref-single", ...
    pool: str  # rate-limit pool: "polite-single", "datacite", "doi.org", ...
    limit: PoolLimit
    dois: list[str]
    max_line_bytes: int
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def _path_tail(request: web.Request, prefix: str) -> str:
    # The raw target keeps %2F and %2C, so a DOI is decoded exactly once, here.
    return request.raw_path.split("?", 1)[0][len(prefix) :]


def _request_line_bytes(request: web.Request) -> int:
    return len(f"{request.method} {request.raw_path} HTTP/1.1".encode())


async def _fail(
    request: web.Request, state: StandinState, call: _Call, fault: FaultKind
) -> web.Response:
    if fault is FaultKind.TOO_MANY_REQUESTS:
        return _too_many_requests(state.policy)
    if fault is FaultKind.SERVER_ERROR:
        text = _HTML_5XX.format(status=500, reason="Internal Server Error", detail="")
        return web.Response(status=500, text=text, content_type="text/html")
    if fault is FaultKind.UNAVAILABLE:
        detail = "No server is available to handle this request."
        text = _HTML_5XX.format(status=503, reason="Service Unavailable", detail=detail)
        return web.Response(status=503, text=text, content_type="text/html")
    if fault is FaultKind.GARBAGE:
        return web.Response(body=_GARBAGE, headers={"Content-Type": call.content_type})
    if fault is FaultKind.RESET:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)  # never sent; recorded as _STATUS_RESET
    # TIMEOUT: hold the request until the client gives up, the server stops, or hang_s passes.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(state.policy.hang_s):
            await state.closing.wait()
    return web.Response(status=504, text="Gateway Timeout", content_type="text/plain")


def _too_many_requests(policy: Policy) -> web.Response:
    headers = {"Retry-After": "1"} if policy.retry_after else {}
    if policy.html_429:
        return web.Response(status=429, text=_HTML_429, content_type="text/html", headers=headers)
    return web.Response(status=429, headers=headers)


async def _answer(
    request: web.Request, state: StandinState, call: _Call, answer: Callable[[], Answer]
) -> web.Response:
    if _request_line_bytes(request) > call.max_line_bytes:
        return web.Response(status=414, text=_HTML_414, content_type="text/html")
    limiter = state.limiters[call.pool]
    admission = limiter.admit(call.limit if state.policy.limits_enabled else None)
    state.stats.record_admission(call.pool, admission)
    try:
        if not admission.allowed:
            return _too_many_requests(state.policy)
        fault = state.faults.take(call.kind)
        if fault is not None:
            return await _fail(request, state, call, fault)
        result = answer()
        policy = state.policy
        delay = policy.latency_base_s + policy.latency_per_item_s * result.items
        if policy.latency_jitter_s:
            delay += state.rng.uniform(0, policy.latency_jitter_s)
        if delay > 0:
            await _serve_for(delay, limiter, hold=policy.hold_abandoned)
        return result.response
    finally:
        limiter.release()


async def _serve_for(delay_s: float, limiter: PoolLimiter, *, hold: bool) -> None:
    """The time an answer takes; with `hold`, a client that leaves still counts until then."""
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + delay_s
    try:
        await asyncio.sleep(delay_s)
    except asyncio.CancelledError:
        if hold:
            limiter.in_flight += 1  # the release in _answer's finally is undone until then
            loop.call_at(ends_at, limiter.release)
        raise


async def _serve(request: web.Request, call: _Call, answer: Callable[[], Answer]) -> web.Response:
    """Count, limit, fault or answer one upstream request."""
    state = request.app[STATE]
    state.stats.record_arrival(call.pool, call.kind, call.dois)
    status = 500  # a bug of ours; aiohttp answers it
    try:
        response = await _answer(request, state, call, answer)
        transport = request.transport
        status = _STATUS_RESET if transport is None or transport.is_closing() else response.status
        response.headers.update(call.headers)
        return response
    except asyncio.CancelledError:
        status = _STATUS_CLIENT_GONE
        raise
    finally:
        state.stats.record_response(call.pool, call.kind, status)


# Crossref ------------------------------------------------------------------------------


def _is_polite(request: web.Request) -> bool:
    return bool(request.query.get("mailto")) or "mailto:" in request.headers.get("User-Agent", "")


def _crossref_call(request: web.Request, kind: str, shape: str, dois: list[str]) -> _Call:
    policy = request.app[STATE].policy
    pool = f"{'polite' if _is_polite(request) else 'public'}-{shape}"
    limit = policy.crossref_limit(pool)
    headers = {"x-api-pool": pool}
    if policy.limit_headers:
        announced = policy.announced(pool)
        headers["x-rate-limit-limit"] = str(announced.requests)
        headers["x-rate-limit-interval"] = f"{announced.window_s:g}s"
        if announced.in_flight is not None:
            headers["x-concurrency-limit"] = str(announced.in_flight)
    return _Call(kind, pool, limit, dois, policy.crossref_max_line_bytes, headers=headers)


async def crossref_work(request: web.Request) -> web.Response:
    corpus = request.app[STATE].corpus
    doi = unquote(_path_tail(request, "/crossref/works/"))
    call = _crossref_call(request, "crossref-single", "single", [fold(doi)])
    return await _serve(request, call, lambda: answers.crossref_single(corpus, doi, request.query))


async def crossref_works(request: web.Request) -> web.Response:
    state = request.app[STATE]
    call = _crossref_call(request, "crossref-list", "array", answers.filter_dois(request.query))
    return await _serve(
        request, call, lambda: answers.crossref_list(state.corpus, request.query, state.rng)
    )


# DataCite ------------------------------------------------------------------------------


def _datacite_call(request: web.Request, kind: str, dois: list[str]) -> _Call:
    policy = request.app[STATE].policy
    agent = request.headers.get("User-Agent", "")
    identified = "mailto" in request.query or bool(_EMAIL.search(agent))
    limit = policy.datacite_identified if identified else policy.datacite_anonymous
    content_type = "application/json; charset=utf-8"
    return _Call(kind, "datacite", limit, dois, policy.datacite_max_line_bytes, content_type)


async def datacite_doi(request: web.Request) -> web.Response:
    corpus = request.app[STATE].corpus
    doi = unquote(_path_tail(request, "/datacite/dois/"))
    call = _datacite_call(request, "datacite-single", [fold(doi)])
    return await _serve(request, call, lambda: answers.datacite_single(corpus, doi, request.query))


async def datacite_dois(request: web.Request) -> web.Response:
    corpus = request.app[STATE].corpus
    ids = [fold(part.strip()) for part in request.query.get("ids", "").split(",") if part.strip()]
    call = _datacite_call(request, "datacite-list", ids)
    url = str(request.url)
    return await _serve(request, call, lambda: answers.datacite_list(corpus, request.query, url))


# doi.org -------------------------------------------------------------------------------


def _doi_call(request: web.Request, kind: str, dois: list[str], content_type: str) -> _Call:
    policy = request.app[STATE].policy
    return _Call(kind, "doi.org", policy.doi_org, dois, policy.doi_max_line_bytes, content_type)


async def doi_ra(request: web.Request) -> web.Response:
    corpus = request.app[STATE].corpus
    # Entries are split on raw commas first: a comma inside a DOI arrives as %2C.
    entries = [unquote(part) for part in _path_tail(request, "/doi/ra/").split(",")]
    call = _doi_call(
        request, "doi-ra", [fold(e) for e in entries], "application/json;charset=UTF-8"
    )
    return await _serve(request, call, lambda: answers.doi_ra(corpus, entries))


async def doi_content(request: web.Request) -> web.Response:
    corpus = request.app[STATE].corpus
    doi = unquote(_path_tail(request, "/doi/"))
    accept = request.headers.get("Accept", "")
    call = _doi_call(request, "doi-cn", [fold(doi)], answers.CSL_JSON)
    return await _serve(request, call, lambda: answers.doi_content(corpus, doi, accept))


# Control -------------------------------------------------------------------------------


async def get_stats(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = {**state.stats.to_dict(), "faults": state.faults.pending()}
    return web.Response(body=orjson.dumps(body), content_type="application/json")


async def post_fault(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        spec = await request.json(loads=orjson.loads)
        state.faults.add(str(spec["pool"]), str(spec["kind"]), int(spec.get("count", 1)))
    except (ValueError, KeyError, TypeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"faults": state.faults.pending()})


async def post_policy(request: web.Request) -> web.Response:
    """Change the policy while serving (latency, limits, headers): Policy.changed()."""
    state = request.app[STATE]
    try:
        state.policy = state.policy.changed(await request.json(loads=orjson.loads))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"policy": repr(state.policy)})


async def post_reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return web.json_response({"reset": True})


async def get_corpus(request: web.Request) -> web.Response:
    text = request.app[STATE].corpus.to_json()
    return web.Response(text=text, content_type="application/json")


def create_standin_app(
    corpus: Corpus, policy: Policy | None = None, *, clock: Clock = time.monotonic
) -> web.Application:
    """The stand-in for Crossref (/crossref), DataCite (/datacite) and doi.org (/doi)."""
    policy = policy or Policy()
    windows = {
        **{pool: policy.crossref_limit(pool).window_s for pool in CROSSREF_POOLS},
        "datacite": policy.datacite_identified.window_s,
        "doi.org": policy.doi_org.window_s,
    }
    state = StandinState(
        corpus=corpus,
        policy=policy,
        stats=Stats(clock),
        faults=Faults(),
        limiters={pool: PoolLimiter(window_s, clock) for pool, window_s in windows.items()},
        rng=random.Random(policy.seed),
    )
    app = web.Application()
    app[STATE] = state
    app.router.add_get("/crossref/works", crossref_works)
    app.router.add_get("/crossref/works/{doi:.+}", crossref_work)
    app.router.add_get("/datacite/dois", datacite_dois)
    app.router.add_get("/datacite/dois/{doi:.+}", datacite_doi)
    app.router.add_get("/doi/ra/{dois:.+}", doi_ra)
    app.router.add_get("/doi/{doi:.+}", doi_content)
    app.router.add_get("/_standin/stats", get_stats)
    app.router.add_get("/_standin/corpus", get_corpus)
    app.router.add_post("/_standin/faults", post_fault)
    app.router.add_post("/_standin/reset", post_reset)
    app.router.add_post("/_standin/policy", post_policy)
    register_ncbi(app, policy, clock=clock)  # /ncbi/eutils, /ncbi/idconv (tests/standin/ncbi.py)
    register_openlibrary(app, policy, clock=clock)  # /openlibrary/api/books
    register_handle(app, policy, clock=clock)  # /handle/api/handles, /n2t/ark:...
    landing.register(app)  # last: it adds a catch-all route for pages named by the Host header

    async def release_hung_requests(app: web.Application) -> None:
        app[STATE].closing.set()

    app.on_shutdown.append(release_hung_requests)
    return app

"""`python -m bench.pid_standin`: the stand-in with a world of identifiers, on many addresses.

The registries serve a corpus as `python -m tests.standin` does; on top, the world file adds PubMed
articles, PMC articles, books and landing pages. The server listens on 127.0.0.1 to 127.0.0.N (one
address per landing-page host, so that the client keeps one pool per host), all on one port, and
prints `READY <port>`. `GET /_bench/landing/stats` counts the landing pages' requests per host.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.standin import Corpus, Policy, PoolLimit, create_standin_app
from tests.standin.landing import LANDING, Page
from tests.standin.ncbi import NCBI, PmcEntry
from tests.standin.openlibrary import OPENLIBRARY

_MAX_LINE_BYTES = 65536


@dataclass
class World:
    """What the identifier services and the landing pages hold, beyond the registries' corpus."""

    articles: list[dict[str, Any]] = field(default_factory=list)  # esummary documents
    pmc: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # pmcid, pmid, doi
    books: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # record, ISBN
    pages: list[tuple[str, str, str]] = field(default_factory=list)  # host, path, HTML
    addresses: int = 1  # listen on 127.0.0.1 .. 127.0.0.<addresses>
    page_delay_s: float = 0.0

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.__dict__), encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> World:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["pmc"] = [tuple(entry) for entry in data["pmc"]]
        data["books"] = [tuple(entry) for entry in data["books"]]
        data["pages"] = [tuple(entry) for entry in data["pages"]]
        return cls(**data)


def address(n: int) -> str:
    """The n-th loopback address we listen on (1-based)."""
    return f"127.0.0.{n}"


def build_app(corpus: Corpus, policy: Policy, world: World) -> web.Application:
    app = create_standin_app(corpus, policy)
    for document in world.articles:
        app[NCBI].add_document(document)
    for pmcid, pmid, doi in world.pmc:
        app[NCBI].add_pmc(PmcEntry(pmcid, pmid, doi))
    for record, isbn in world.books:
        app[OPENLIBRARY].add_book(record, isbn)
    for host, path, html in world.pages:
        app[LANDING].pages[(host, path)] = Page(body=html.encode(), delay_s=world.page_delay_s)
    app.middlewares.append(_landing_stats)
    return app


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _landing_stats(request: web.Request, handler: Handler) -> web.StreamResponse:
    # A middleware, not a route: the landing stand-in's catch-all route would take it first.
    state = request.app[LANDING]
    if request.path == "/_bench/landing/stats":
        hosts: dict[str, dict[str, Any]] = {}
        for seen in state.requests:
            entry = hosts.setdefault(seen.host, {"requests": 0, "statuses": Counter()})
            entry["requests"] += 1
            entry["statuses"][str(seen.status)] += 1
        for host, peak in state.max_in_flight.items():
            hosts.setdefault(host, {"requests": 0, "statuses": Counter()})["max_in_flight"] = peak
        return web.json_response(hosts)
    if request.path == "/_bench/landing/reset" and request.method == "POST":
        state.reset()
        return web.json_response({"reset": True})
    return await handler(request)


async def serve(app: web.Application, port: int, addresses: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(
        app,
        handler_cancellation=True,
        access_log=None,
        max_line_size=_MAX_LINE_BYTES,
        max_field_size=_MAX_LINE_BYTES,
        shutdown_timeout=1.0,
    )
    await runner.setup()
    try:
        for n in range(1, addresses + 1):
            await web.TCPSite(runner, address(n), port).start()
        print(f"READY {port}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pid_standin", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--latency-base", type=float, default=0.0)
    parser.add_argument("--latency-per-item", type=float, default=0.0)
    parser.add_argument("--doi-rate", type=int, default=10)
    parser.add_argument("--doi-in-flight", type=int, default=5)
    parser.add_argument("--no-limits", action="store_true")
    parser.add_argument(
        "--hold-abandoned",
        action="store_true",
        help="a request whose client left counts until its answer was due (as upstreams do)",
    )
    args = parser.parse_args(argv)
    corpus = Corpus.from_json(args.corpus.read_text(encoding="utf-8"))
    world = World.read(args.world)
    policy = Policy(
        limits_enabled=not args.no_limits,
        latency_base_s=args.latency_base,
        latency_per_item_s=args.latency_per_item,
        doi_org=PoolLimit(args.doi_rate, 1.0, args.doi_in_flight),
        hold_abandoned=args.hold_abandoned,
    )
    asyncio.run(serve(build_app(corpus, policy, world), args.port, world.addresses))


if __name__ == "__main__":
    main()

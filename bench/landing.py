"""Landing pages: 1,000 URLs over 20 hosts, against the bound each host's limit allows.

Every host has its own pool (`CCO_LANDING_PER_HOST_PER_S` = 1, `CCO_LANDING_IN_FLIGHT_PER_HOST`
= 2, the defaults); the stand-in answers each page after `PAGE_DELAY_S` and refuses (429) past
the same limits. Hosts are 127.0.0.1 to 127.0.0.20, one page host each, so the client keeps 20
pools. The bound is the busiest host's: max((R - 1) / rate + L, ceil(R / C) * L).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from tests.standin import PoolLimit, make_corpus

from .bound import pool_time
from .harness import StandinSettings
from .pid_stack import PidStack
from .pid_standin import World, address
from .results import ScenarioResult, fmt_s

HOSTS = 20
URLS = 1000
PAGE_DELAY_S = 0.25
HOST_LIMIT = PoolLimit(1, 1.0, 2)  # the service's defaults, and the stand-in's per host
TARGET = 1.2
SEED = 20261201


def page_html(host: str, n: int) -> str:
    """A dataset landing page with schema.org JSON-LD, as data repositories publish them."""
    node = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": f"Survey {n} of {host}",
        "creator": [{"@type": "Person", "name": f"Writer{n}, Ada"}],
        "datePublished": f"20{10 + n % 15}-03-01",
        "publisher": {"@type": "Organization", "name": host},
    }
    return (
        f"<html><head><title>Survey {n}</title>"
        f'<script type="application/ld+json">{json.dumps(node)}</script></head><body></body></html>'
    )


def landing_world(urls: int = URLS, hosts: int = HOSTS) -> tuple[World, list[tuple[int, str]]]:
    """The pages, and (address number, path-prefixed path) of each URL, shuffled."""
    world = World(addresses=hosts, page_delay_s=PAGE_DELAY_S)
    targets: list[tuple[int, str]] = []
    for i in range(urls):
        number, host = i % hosts + 1, f"host{i % hosts + 1:02d}.example"
        path = f"/dataset/{i}"
        world.pages.append((host, path, page_html(host, i)))
        targets.append((number, f"/landing/{host}{path}"))
    random.Random(SEED).shuffle(targets)
    return world, targets


def run_landing(directory: Path, settings: StandinSettings) -> ScenarioResult:
    """One session of 1,000 landing-page URLs over 20 hosts, cold."""
    world, targets = landing_world()
    corpus = directory / "landing-corpus.json"
    corpus.write_text(make_corpus(1, 0, 0, 0).to_json(), encoding="utf-8")
    stack = PidStack(directory / "landing", corpus, world, settings)
    stack.start()
    try:
        stack.reset_standin()
        port = stack.stack.standin_port
        urls = [f"http://{address(n)}:{port}{path}" for n, path in targets]
        run = stack.run_session(urls)
        hosts = stack.landing_stats()
    finally:
        stack.stop()
    per_host = URLS // HOSTS
    bound_s = pool_time(per_host, HOST_LIMIT, PAGE_DELAY_S)
    result = ScenarioResult("landing", f"11. Landing pages: {URLS:,} URLs over {HOSTS} hosts, cold")
    ratio = run.wall_s / bound_s
    requests = sum(h["requests"] for h in hosts.values())
    too_many = sum(int(h["statuses"].get("429", 0)) for h in hosts.values())
    result.figure("wall time", fmt_s(run.wall_s))
    result.figure("bound (busiest host)", fmt_s(bound_s))
    result.figure("ours / bound", f"{ratio:.2f}", f"<= {TARGET:g}", ratio <= TARGET)
    result.figure("page requests (retries included)", f"{requests:,}")
    result.figure("429s from the hosts", str(too_many), "0", too_many == 0)
    result.figure("most in flight at one host", str(max(h.get("max_in_flight", 0)
                                                         for h in hosts.values())))  # fmt: skip
    result.figure("enriched", str(run.final.get("enriched", 0)), f"{URLS:,}",
                  run.final.get("enriched") == URLS)  # fmt: skip
    result.notes.append(
        f"Each host holds {per_host} pages; at {HOST_LIMIT.requests}/s and {HOST_LIMIT.in_flight} "
        f"in flight with {PAGE_DELAY_S:g} s per answer, the busiest host needs "
        f"{fmt_s(bound_s)}: that is the bound, as the hosts are served side by side."
    )
    result.data["progress"] = run.progress
    return result

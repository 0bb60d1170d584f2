"""Many sessions on two workers, followed by many SSE clients: all see the end; the API lets go.

The API's open file descriptors and memory are measured before the clients come, while they
follow, and after they leave: what the clients held must be given back (docs/reliability.md
names the pools that stay, and their bounds).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import aiohttp
import pytest

from cco_enrich.api import REDIS_IDLE_CLOSE_S
from tests.faults.checks import (
    assert_matches_truth,
    corpus_of,
    open_fds,
    rss_mb,
    start_session,
    wait_for,
    wait_state,
)
from tests.faults.conftest import Report
from tests.stack import Stack

pytestmark = [pytest.mark.faults, pytest.mark.redis]
LONG = pytest.mark.faults_long

FD_SLACK = 2  # descriptors the API may hold beyond its baseline once every client has left
# The first round raises the API's memory to a high-water mark (the allocators keep freed memory
# for reuse); a second, identical round must not raise it further: no leak per client.
RSS_GROWTH_PER_ROUND_MB = 8.0


@dataclass
class Client:
    """One SSE follower: every status it was sent, whether its first event arrived."""

    session_id: str
    statuses: list[dict[str, object]] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)


async def _follow(http: aiohttp.ClientSession, api: str, client: Client) -> None:
    url = f"{api}/api/sessions/{client.session_id}/events"
    async with http.get(url, headers={"Accept": "text/event-stream"}) as response:
        assert response.status == 200
        event = ""
        async for raw in response.content:
            line = raw.decode().rstrip("\r\n")
            if line.startswith("event:"):
                event = line.partition(":")[2].strip()
            elif line.startswith("data:") and event == "status":
                client.statuses.append(json.loads(line.partition(":")[2]))
                client.connected.set()


async def _fan_out(
    stack: Stack, session_ids: list[str], per_session: int
) -> tuple[list[Client], int]:
    """Connect every client, enqueue every session, follow them all to the end.

    Returns the clients and the API's open descriptors while all of them were connected.
    """
    clients = [Client(sid) for sid in session_ids for _ in range(per_session)]
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        followers = [asyncio.create_task(_follow(http, stack.api, c)) for c in clients]
        await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in clients)), 60)
        during = open_fds(stack.processes["api"].pid)
        for sid in session_ids:
            # force: past the cache, so that every round asks the registries the same way.
            async with http.post(f"{stack.api}/api/sessions/{sid}/enrich?force=true") as response:
                assert response.status == 202
        await asyncio.wait_for(asyncio.gather(*followers), 280)
    return clients, during


def _warm_up(stack: Stack) -> None:
    """One session followed to its end, so that the baseline has every lazy pool made."""
    corpus = corpus_of(stack)
    session_id = start_session(stack, corpus.dois()[:1])
    assert list(stack.events(session_id))
    wait_state(stack, session_id, "completed")


@pytest.mark.timeout(420)
@pytest.mark.parametrize(
    ("n_sessions", "n_dois", "per_session"),
    [
        pytest.param(4, 100, 10, id="4x100-40-clients"),
        pytest.param(20, 500, 10, id="20x500-200-clients", marks=LONG),
    ],
)
def test_every_sse_client_sees_the_end_and_the_api_gives_back_what_they_held(
    stack: Stack, report: Report, n_sessions: int, n_dois: int, per_session: int
) -> None:
    stack.start_standin(
        *("--crossref", str(n_sessions * n_dois + 1), "--datacite", "0", "--other", "0"),
        *("--missing", "0", "--seed", "51", "--prefixes", "3"),
        *("--latency-base", "0.3", "--latency-per-item", "0.002"),
    )
    stack.start_worker("worker-1")
    stack.start_worker("worker-2")
    stack.start_api()
    corpus = corpus_of(stack)
    dois = corpus.dois()
    _warm_up(stack)
    api = stack.processes["api"].pid
    slices = [dois[1 + i * n_dois : 1 + (i + 1) * n_dois] for i in range(n_sessions)]
    baseline_fds = open_fds(api)
    fds, rss = [baseline_fds], [rss_mb(api)]
    for _ in range(2):
        session_ids = [start_session(stack, part, enrich=False) for part in slices]
        started = time.monotonic()
        clients, during = asyncio.run(_fan_out(stack, session_ids, per_session))
        took_s = time.monotonic() - started
        assert [c.session_id for c in clients if c.statuses[-1]["status"] != "completed"] == []
        for sid, part in zip(session_ids, slices, strict=True):
            assert_matches_truth(stack, sid, corpus, only=set(part))
        fds += [
            during,
            wait_for(
                "the API to close what the clients held",
                lambda: (n := open_fds(api)) <= baseline_fds + FD_SLACK and n,
                3 * REDIS_IDLE_CLOSE_S,
                stack,
            ),
        ]
        rss.append(rss_mb(api))
    report(
        sessions=n_sessions,
        dois_each=n_dois,
        sse_clients=len(clients),
        round_took_s=round(took_s, 1),
        api_fds_before_during_after_during_after=fds,
        api_rss_mb_before_after_after=[round(mb, 1) for mb in rss],
    )
    assert rss[2] <= rss[1] + RSS_GROWTH_PER_ROUND_MB

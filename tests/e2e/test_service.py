"""End to end: Redis, the stand-in registries, workers and the API as processes; a client drives."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RedisServer
from tests.stack import Stack
from tests.standin import Corpus

pytestmark = [pytest.mark.e2e, pytest.mark.redis, pytest.mark.timeout(180)]

LOOKUP_KINDS = ("crossref-list", "crossref-single", "datacite-list", "datacite-single", "doi-cn")


@pytest.fixture
def stack(tmp_path: Path, redis_server: RedisServer) -> Iterator[Stack]:
    stack = Stack(directory=tmp_path, redis_url=redis_server.url)
    try:
        yield stack
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop()


def _corpus(stack: Stack) -> Corpus:
    """The stand-in's truth: what every resource must end up as."""
    return Corpus.from_json(json.dumps(stack.corpus))


def _follow_to_the_end(stack: Stack, session_id: str) -> list[dict[str, str]]:
    events = list(stack.events(session_id))
    assert events, "the stream ended without an event"
    assert all(e.get("id") for e in events), "every event carries an id"
    return events


def _assert_matches_truth(resources: list[dict[str, Any]], corpus: Corpus) -> None:
    by_doi = {r["doi"]: r for r in resources if r["doi"]}
    for doi, truth in corpus.works.items():
        resource = by_doi[doi]
        assert resource["status"] == "enriched", resource
        expected = truth.resource_fields()
        assert {k: resource[k] for k in expected} == expected
    for doi in corpus.missing:
        assert by_doi[doi]["status"] == "not_found"
        assert by_doi[doi]["error"]


def _lookups(stack: Stack) -> dict[str, int]:
    """How many times the registries were asked for each DOI (routing look-ups aside)."""
    endpoints = stack.standin_stats()["endpoints"]
    counts: dict[str, int] = {}
    for kind in LOOKUP_KINDS:
        for doi, n in endpoints[kind]["lookups"].items():
            counts[doi] = counts.get(doi, 0) + n
    return counts


def _no_429s(stack: Stack) -> None:
    pools = stack.standin_stats()["pools"]
    assert {name: p["429s"] for name, p in pools.items() if p["429s"]} == {}


def _half_done_session(stack: Stack, n: int, seed: int) -> tuple[Corpus, str]:
    stack.start_standin(
        "--crossref",
        str(n),
        "--datacite",
        "0",
        "--other",
        "0",
        "--missing",
        "0",
        "--seed",
        str(seed),
        "--prefixes",
        "2",
        "--latency-base",
        "0.6",
        "--latency-per-item",
        "0.01",
    )
    stack.start_worker("worker-1")
    stack.start_api()
    corpus = _corpus(stack)
    _, created = stack.request(
        "POST", f"{stack.api}/api/sessions?enrich=true", {"identifiers": corpus.dois()}
    )
    url = f"{stack.api}/api/sessions/{created['id']}"
    deadline = time.monotonic() + 60
    while stack.request("GET", f"{url}/status")[1]["enriched"] < 50:
        assert time.monotonic() < deadline, stack.logs()
        time.sleep(0.05)
    return corpus, url


def _wait_for(stack: Stack, url: str, state: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status, body = stack.request("GET", f"{url}/status")
        if status == 200 and body["status"] == state:
            return body
        assert time.monotonic() < deadline, (body, stack.logs())
        time.sleep(0.1)


def test_a_session_of_500_dois_from_post_to_export(stack: Stack) -> None:
    stack.start_standin(
        "--crossref",
        "420",
        "--datacite",
        "60",
        "--other",
        "20",
        "--missing",
        "25",
        "--seed",
        "11",
        "--latency-base",
        "0.02",
        "--latency-per-item",
        "0.0005",
    )
    stack.start_worker()
    stack.start_api()
    corpus = _corpus(stack)
    dois = corpus.dois(shuffle_seed=5)
    identifiers = [
        *dois,
        f"https://doi.org/{dois[0].upper()}",
        f"doi:{dois[1]}",
        "not-a-doi",
        "10.1234",
        # A landing page the guard refuses (loopback): skipped with the reason, never requested.
        "http://localhost/records/42",
    ]

    status, created = stack.request(
        "POST", f"{stack.api}/api/sessions", {"identifiers": identifiers}
    )
    assert status == 201, created
    assert (created["dois"], created["duplicates"], created["invalid"], created["skipped"]) == (
        len(dois),
        2,
        2,
        0,
    )
    session_id = created["id"]
    status, queued = stack.request("POST", f"{stack.api}/api/sessions/{session_id}/enrich")
    assert status == 202
    assert queued["status"] == "queued"

    events = _follow_to_the_end(stack, session_id)
    statuses = [json.loads(e["data"]) for e in events if e.get("event") == "status"]
    assert statuses[-1]["status"] == "completed"
    assert statuses[-1]["percent"] == 100.0
    assert [s["done"] for s in statuses] == sorted(s["done"] for s in statuses)
    assert sum(1 for e in events if e.get("event") == "resources") >= 3  # one per batch

    _, session = stack.request("GET", f"{stack.api}/api/sessions/{session_id}")
    _assert_matches_truth(session["resources"], corpus)
    counts = session["processing_status"]
    assert (counts["enriched"], counts["not_found"], counts["invalid"], counts["skipped"]) == (
        len(corpus.works),
        len(corpus.missing),
        2,
        1,
    )
    _no_429s(stack)
    status, jsonld = stack.request(
        "GET", f"{stack.api}/api/sessions/{session_id}/export?format=jsonld"
    )
    assert status == 200
    assert len(jsonld["ore:describes"]["ore:aggregates"]) == len(identifiers) - 2


def test_a_sigkilled_worker_loses_nothing_and_repeats_only_unsaved_batches(stack: Stack) -> None:
    stack.extra_env.update({"CCO_LEASE_TTL_S": "2"})
    corpus, url = _half_done_session(stack, 600, seed=12)
    session_id = url.rsplit("/", 1)[1]
    stack.kill("worker-1", signal.SIGKILL)
    _, at_kill = stack.request("GET", url)
    saved = {r["doi"] for r in at_kill["resources"] if r["status"] != "pending"}
    asked_but_unsaved = set(_lookups(stack)) - saved  # the batches in flight when it died
    assert 0 < len(saved) < len(corpus.works), "kill while the session is half done"
    assert at_kill["processing_status"]["status"] == "running"

    stack.start_worker("worker-2")
    events = _follow_to_the_end(stack, session_id)
    assert json.loads(events[-1]["data"])["status"] == "completed"
    _, session = stack.request("GET", url)
    _assert_matches_truth(session["resources"], corpus)

    lookups = _lookups(stack)
    assert all(lookups[doi] == 1 for doi in saved), "a checkpointed DOI was looked up again"
    repeated = {doi for doi, n in lookups.items() if n > 1}
    assert repeated <= asked_but_unsaved
    # ...and those were at most the 3 list requests in flight when the worker died (a request
    # line of 3.8 KB holds fewer than 150 of these DOIs).
    assert len(asked_but_unsaved) <= 3 * 150
    _no_429s(stack)


def test_cancel_stops_a_running_session_within_a_second(stack: Stack) -> None:
    _, url = _half_done_session(stack, 600, seed=13)
    started = time.monotonic()
    status, _answer = stack.request("POST", f"{url}/cancel")
    assert status in (200, 202)
    while stack.request("GET", f"{url}/status")[1]["status"] != "cancelled":
        # The worker polls for cancel every 0.5 s; 5 s leaves room for a loaded CI machine.
        assert time.monotonic() - started < 5, "cancel took longer than expected"
        time.sleep(0.05)
    status, again = stack.request("POST", f"{url}/cancel")
    assert status == 200
    assert again["status"] == "cancelled"
    _, session = stack.request("GET", url)
    assert any(r["status"] == "enriched" for r in session["resources"])  # what was saved stays


def test_sigterm_leaves_the_session_queued_for_the_next_worker(stack: Stack) -> None:
    """A deploy stops a worker gracefully: the session is queued again, never failed."""
    corpus, url = _half_done_session(stack, 500, seed=14)
    stack.kill("worker-1", signal.SIGTERM)
    status = _wait_for(stack, url, "queued", timeout_s=10)
    assert status["stage"] == "interrupted"
    assert 0 < status["done"] < status["total"]
    _, at_stop = stack.request("GET", url)
    saved = {r["doi"] for r in at_stop["resources"] if r["status"] != "pending"}

    stack.start_worker("worker-2")
    _wait_for(stack, url, "completed")
    _, session = stack.request("GET", url)
    _assert_matches_truth(session["resources"], corpus)
    lookups = _lookups(stack)
    assert all(lookups[doi] == 1 for doi in saved)


def test_a_redis_restart_mid_session_loses_nothing(stack: Stack, redis_server: RedisServer) -> None:
    """Redis goes away for a few seconds (AOF on): the worker waits, then finishes the session."""
    corpus, url = _half_done_session(stack, 500, seed=15)
    redis_server.stop()
    time.sleep(2)
    redis_server.start()
    _wait_for(stack, url, "completed", timeout_s=90)
    _, session = stack.request("GET", url)
    _assert_matches_truth(session["resources"], corpus)
    assert session["processing_status"]["enriched"] == len(corpus.works)
    _no_429s(stack)

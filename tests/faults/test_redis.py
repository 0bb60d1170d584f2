"""Redis goes away: a restart (AOF), 20 s unreachable, a Sentinel failover. Nothing is lost."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RedisServer, free_port, require_redis_server
from tests.faults.checks import (
    SLOW_CROSSREF,
    assert_matches_truth,
    corpus_of,
    lookups,
    saved_dois,
    start_session,
    wait_done,
    wait_for,
    wait_state,
)
from tests.faults.conftest import FAILED, Report
from tests.faults.sentinel import SentinelCluster
from tests.stack import Stack

pytestmark = [pytest.mark.faults, pytest.mark.redis]
LONG = pytest.mark.faults_long

OUTAGE_S = 20.0
ANSWER_WITHIN_S = 5.0  # docs/reliability.md: while Redis is away, the API answers 503 this fast


def _crossref_session(stack: Stack, n_dois: int, seed: int) -> tuple[str, Any]:
    stack.start_standin(
        *("--crossref", str(n_dois), "--datacite", "0", "--other", "0", "--missing", "0"),
        *("--seed", str(seed), *SLOW_CROSSREF),
    )
    stack.start_worker("worker-1")
    stack.start_api()
    corpus = corpus_of(stack)
    return start_session(stack, corpus.dois()), corpus


def _follow(stack: Stack, session_id: str, seen: list[dict[str, Any]]) -> threading.Thread:
    """An SSE client in a thread, keeping every status it is sent."""

    def run() -> None:
        for event in stack.events(session_id, timeout_s=150):
            if event.get("event") == "status":
                seen.append(json.loads(event["data"]))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@LONG  # CI runs its twin, tests/e2e/test_service.py::test_a_redis_restart_mid_session_loses_nothing
@pytest.mark.timeout(150)
def test_a_redis_restart_at_40_percent_loses_nothing(
    stack: Stack, redis_server: RedisServer, report: Report
) -> None:
    """Redis restarts (AOF, fsync always): the worker waits, then finishes from its checkpoint."""
    n_dois = 1000
    session_id, corpus = _crossref_session(stack, n_dois, seed=31)
    reached = wait_done(stack, session_id, 0.4)
    redis_server.stop()
    saved_before = time.monotonic()
    time.sleep(2)
    redis_server.start()
    back_after_s = time.monotonic() - saved_before
    saved = saved_dois(stack, session_id)
    wait_state(stack, session_id, "completed", timeout_s=90)
    assert_matches_truth(stack, session_id, corpus)
    fetched = lookups(stack)
    assert [doi for doi in saved if fetched[doi] != 1] == [], "a checkpointed DOI was asked again"
    report(
        dois=n_dois,
        restarted_at_done=round(reached, 2),
        redis_down_s=round(back_after_s, 1),
        fetched_twice=sum(1 for n in fetched.values() if n > 1),
    )


def _probe_while_down(stack: Stack, session_id: str) -> list[tuple[str, int, Any, float]]:
    """Ask the API every second while Redis is away: (what, status, body, seconds to answer)."""
    probes = []
    started = time.monotonic()
    while time.monotonic() - started < OUTAGE_S:
        for what, method, path, body in (
            ("status", "GET", f"/api/sessions/{session_id}/status", None),
            ("create", "POST", "/api/sessions", {"identifiers": ["10.5555/1"]}),
            ("healthz", "GET", "/healthz", None),
        ):
            asked = time.monotonic()
            code, answer = stack.request(method, path, body)
            probes.append((what, code, answer, time.monotonic() - asked))
        assert all(p.poll() is None for p in stack.processes.values()), stack.logs()
        time.sleep(1)
    return probes


@pytest.mark.timeout(150)
def test_redis_unreachable_for_20_s_answers_503_and_recovers_by_itself(
    stack: Stack, redis_server: RedisServer, report: Report
) -> None:
    """API: 503 with the error shape within seconds; workers wait; neither exits; all resumes."""
    session_id, corpus = _crossref_session(stack, 600, seed=32)
    wait_done(stack, session_id, 0.3)
    seen: list[dict[str, Any]] = []
    follower = _follow(stack, session_id, seen)
    wait_for("the SSE client's first event", lambda: seen, 30, stack)

    redis_server.stop()
    probes = _probe_while_down(stack, session_id)
    redis_server.start()
    back = time.monotonic()
    wait_for(
        "the API to answer again",
        lambda: stack.request("GET", f"/api/sessions/{session_id}/status")[0] == 200,
        30,
        stack,
    )
    recovered_s = time.monotonic() - back
    wait_state(stack, session_id, "completed", timeout_s=90)
    follower.join(30)

    assert_matches_truth(stack, session_id, corpus)
    assert all(p.poll() is None for p in stack.processes.values()), "a process exited"
    assert seen[-1]["status"] == "completed", "the SSE client saw the end"
    refused = [(what, code, body) for what, code, body, _ in probes if what != "healthz"]
    assert {code for _, code, _ in refused} == {503}
    assert all(body["error"]["code"] == "redis_unavailable" for *_, body in refused)
    assert all(b["redis"] == "unreachable" for what, _, b, _ in probes if what == "healthz")
    slowest_s = max(seconds for *_, seconds in probes)
    report(
        outage_s=OUTAGE_S,
        probes=len(probes),
        slowest_answer_while_down_s=round(slowest_s, 2),
        api_recovered_after_s=round(recovered_s, 2),
    )
    assert slowest_s <= ANSWER_WITHIN_S


@pytest.fixture
def sentinel_cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SentinelCluster]:
    require_redis_server()
    cluster = SentinelCluster(tmp_path / "redis")
    try:
        cluster.start()
        yield cluster
    finally:
        if request.node.stash.get(FAILED, False):
            for log in sorted(cluster.directory.glob("*.log")):
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
        cluster.stop()


@pytest.mark.timeout(150)
def test_a_sentinel_failover_mid_session_loses_nothing(
    tmp_path: Path, sentinel_cluster: SentinelCluster, report: Report
) -> None:
    """Kill the primary: the sentinels promote the replica; the API and workers follow it."""
    # Nothing listens at CCO_REDIS_URL's address: only the sentinels can lead anyone to Redis.
    stack = Stack(directory=tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    stack.extra_env["CCO_REDIS_SENTINELS"] = sentinel_cluster.sentinels_setting
    try:
        session_id, corpus = _crossref_session(stack, 600, seed=33)
        stack.start_worker("worker-2")
        reached = wait_done(stack, session_id, 0.3)
        killed = time.monotonic()
        sentinel_cluster.kill_primary()
        sentinel_cluster.wait_failover()
        failover_s = time.monotonic() - killed
        wait_for(
            "the API on the new primary",
            lambda: stack.request("GET", f"/api/sessions/{session_id}/status")[0] == 200,
            30,
            stack,
        )
        api_back_s = time.monotonic() - killed
        wait_state(stack, session_id, "completed", timeout_s=90)
        assert_matches_truth(stack, session_id, corpus)
        assert all(p.poll() is None for p in stack.processes.values()), "a process exited"
        fetched = lookups(stack)
        report(
            killed_at_done=round(reached, 2),
            failover_s=round(failover_s, 1),
            api_answers_after_s=round(api_back_s, 1),
            fetched_twice=sum(1 for n in fetched.values() if n > 1),
        )
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop()

"""Operating it, as processes: readiness follows the workers, a session moves the counters on the
worker's own port and the fleet gauges on the API, and a SIGTERMed API tells its SSE clients to
reconnect before it exits."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RedisServer
from tests.metrics.scrape import samples, value
from tests.stack import Stack
from tests.standin import Corpus

pytestmark = [pytest.mark.e2e, pytest.mark.redis, pytest.mark.timeout(120)]


@pytest.fixture
def stack(tmp_path: Path, redis_server: RedisServer) -> Iterator[Stack]:
    stack = Stack(
        directory=tmp_path,
        redis_url=redis_server.url,
        extra_env={"CCO_WORKER_METRICS_PORT": "0", "CCO_WORKER_METRICS_HOST": "127.0.0.1"},
    )
    try:
        yield stack
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop()


def _ready(stack: Stack, timeout_s: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while True:
        status, body = stack.request("GET", "/readyz")
        if status == 200:
            return dict(body)
        assert time.monotonic() < deadline, (body, stack.logs())
        time.sleep(0.1)


def _total(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples over the labels not given."""
    return sum(
        count
        for (sample, sample_labels), count in samples(text).items()
        if sample == name and set(labels.items()) <= sample_labels
    )


def test_readiness_metrics_and_a_graceful_api_shutdown(stack: Stack) -> None:
    stack.start_standin("--crossref", "40", "--datacite", "10", "--missing", "5", "--seed", "4")
    stack.start_api()
    status, body = stack.request("GET", "/readyz")
    assert status == 503
    assert body["error"]["message"] == "no worker heartbeat in the last 15 s"

    stack.start_worker()
    assert _ready(stack)["checks"]["workers"]["count"] == 1  # type: ignore[index]
    worker = stack.request("GET", "/api/queue")[1]["workers"][0]
    worker_metrics = f"http://127.0.0.1:{worker['metrics_port']}/metrics"
    before = stack.request("GET", worker_metrics)[1]
    assert _total(before, "cco_resolved_total") == 0

    dois = Corpus.from_json(json.dumps(stack.corpus)).dois()
    _, created = stack.request("POST", "/api/sessions?enrich=true", {"identifiers": dois})
    events = list(stack.events(created["id"]))
    assert json.loads(events[-1]["data"])["status"] == "completed"

    # The worker observes the run's duration just after it writes the final status.
    deadline = time.monotonic() + 10
    while True:
        on_worker = stack.request("GET", worker_metrics)[1]
        if value(on_worker, "cco_session_duration_seconds_count", status="completed"):
            break
        assert time.monotonic() < deadline, on_worker
        time.sleep(0.05)
    assert _total(on_worker, "cco_resolved_total") == len(dois)
    assert _total(on_worker, "cco_resolved_total", outcome="not_found") == 5
    assert _total(on_worker, "cco_upstream_responses_total", status="200") > 0
    assert value(on_worker, "cco_session_duration_seconds_count", status="completed") == 1
    assert _total(on_worker, "cco_batch_size_count") > 0
    on_api = stack.request("GET", "/metrics")[1]
    assert value(on_api, "cco_sessions", state="completed") == 1
    assert value(on_api, "cco_workers") == 1
    assert value(on_api, "cco_queue_depth") == 0
    assert value(on_api, "cco_pool_rate_limit", pool="crossref-list") == 3

    # An idle session's stream stays open until the API is told to stop.
    _, idle = stack.request("POST", "/api/sessions", {"identifiers": dois[:2]})
    stream = stack.events(idle["id"], timeout_s=30)
    assert next(stream)["event"] == "status"
    api = stack.processes["api"]
    api.send_signal(signal.SIGTERM)
    started = time.monotonic()
    rest = list(stream)
    assert [e["event"] for e in rest] == ["reconnect"]
    assert rest[0]["retry"] == "1000"
    try:
        api.wait(10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the API still runs 10 s after SIGTERM\n{stack.logs()}")
    assert time.monotonic() - started < 10

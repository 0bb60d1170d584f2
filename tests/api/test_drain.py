"""A shutting-down API ends each open event stream with a `reconnect` event, then closes it."""

from __future__ import annotations

import json
import time

import pytest
from sse_starlette.sse import AppStatus
from starlette.testclient import TestClient

from cco_enrich.api.drain import RECONNECT_RETRY_MS
from tests.api.steps import create_session
from tests.metrics.scrape import value


def _events(lines: list[str]) -> list[dict[str, str]]:
    events, event = [], {}
    for line in lines:
        if not line:
            if event:
                events.append(event)
            event = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(":")
            event[key] = value.strip()
    if event:
        events.append(event)
    return events


def test_shutdown_sends_reconnect_with_retry_then_ends_the_stream(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = create_session(client)  # idle: its stream would stay open for ever
    with client.stream("GET", f"/api/sessions/{session_id}/events") as stream:
        lines = stream.iter_lines()
        first = next(lines)
        assert first.startswith("id:")
        # What uvicorn's SIGTERM handler does, through sse-starlette's hook.
        monkeypatch.setattr(AppStatus, "should_exit", True)
        started = time.monotonic()
        rest = list(lines)  # returns only when the server ends the stream
        took_s = time.monotonic() - started
    events = _events([first, *rest])
    assert [e.get("event") for e in events] == ["status", "reconnect"]
    reconnect = events[-1]
    assert reconnect["retry"] == str(RECONNECT_RETRY_MS)
    assert reconnect["id"] == first.removeprefix("id:").strip()  # Last-Event-ID stays put
    assert "reconnect" in json.loads(reconnect["data"])["reason"]
    assert took_s < 2.0  # well within the grace period: the stream said goodbye itself


def test_the_stream_closing_at_shutdown_leaves_no_open_stream_counted(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = create_session(client)
    before = value(client.get("/metrics").text, "cco_sse_clients")
    with client.stream("GET", f"/api/sessions/{session_id}/events") as stream:
        lines = stream.iter_lines()
        next(lines)
        monkeypatch.setattr(AppStatus, "should_exit", True)
        list(lines)
    monkeypatch.setattr(AppStatus, "should_exit", False)
    assert value(client.get("/metrics").text, "cco_sse_clients") == before

"""What the fault tests wait for and check: progress, the stand-in's truth, lookups, history.

Every wait polls with a deadline (the machine may be loaded); the only timings asserted are the
documented targets, and those are read from the session's own event stream (Redis stream ids are
server milliseconds), not from how fast this process happened to poll.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tests.stack import Stack
from tests.standin import Corpus

T = TypeVar("T")

LOOKUP_KINDS = ("crossref-list", "crossref-single", "datacite-list", "datacite-single", "doi-cn")
SLOW_CROSSREF = ("--latency-base", "0.6", "--latency-per-item", "0.01", "--prefixes", "2")


def wait_for(what: str, probe: Callable[[], T | None], timeout_s: float, stack: Stack) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout_s} s waiting for {what}\n{stack.logs()}"
            )
        time.sleep(0.05)


def status(stack: Stack, session_id: str) -> dict[str, Any]:
    code, body = stack.request("GET", f"/api/sessions/{session_id}/status")
    assert code == 200, (code, body)
    return body  # type: ignore[no-any-return]


def wait_done(stack: Stack, session_id: str, fraction: float, timeout_s: float = 90) -> float:
    """Wait until at least `fraction` of the session's resources are done; the fraction reached."""

    def probe() -> float | None:
        now = status(stack, session_id)
        reached = now["done"] / now["total"]
        assert now["status"] in ("queued", "running"), now
        return reached if reached >= fraction else None

    return wait_for(f"{fraction:.0%} done", probe, timeout_s, stack)


def wait_state(stack: Stack, session_id: str, state: str, timeout_s: float = 90) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        code, body = stack.request("GET", f"/api/sessions/{session_id}/status")
        return body if code == 200 and body["status"] == state else None

    return wait_for(f"session {session_id} {state}", probe, timeout_s, stack)


def start_session(stack: Stack, identifiers: list[str], *, enrich: bool = True) -> str:
    query = "?enrich=true" if enrich else ""
    code, created = stack.request("POST", f"/api/sessions{query}", {"identifiers": identifiers})
    assert code == 201, created
    return str(created["id"])


def corpus_of(stack: Stack) -> Corpus:
    return Corpus.from_json(json.dumps(stack.corpus))


def resources(stack: Stack, session_id: str) -> list[dict[str, Any]]:
    code, session = stack.request("GET", f"/api/sessions/{session_id}")
    assert code == 200, session
    return session["resources"]  # type: ignore[no-any-return]


def saved_dois(stack: Stack, session_id: str) -> set[str]:
    """The DOIs whose outcome is checkpointed (no longer pending)."""
    return {r["doi"] for r in resources(stack, session_id) if r["status"] != "pending"}


def assert_matches_truth(
    stack: Stack, session_id: str, corpus: Corpus, *, only: set[str] | None = None
) -> None:
    """Every resource ended as the stand-in's truth says: nothing lost, nothing wrong.

    `only`: the session holds just these of the corpus's DOIs.
    """
    by_doi = {r["doi"]: r for r in resources(stack, session_id) if r["doi"]}
    if only is not None:
        assert set(by_doi) == only
    wrong = []
    for doi, truth in corpus.works.items():
        if only is not None and doi not in only:
            continue
        resource = by_doi[doi]
        expected = truth.resource_fields()
        if resource["status"] != "enriched" or {k: resource[k] for k in expected} != expected:
            wrong.append((doi, resource["status"], resource.get("error")))
    wrong += [
        (doi, by_doi[doi]["status"], by_doi[doi].get("error"))
        for doi in corpus.missing
        if (only is None or doi in only) and by_doi[doi]["status"] != "not_found"
    ]
    assert wrong == [], f"{len(wrong)} resources are not what the registries hold: {wrong[:5]}"


def lookups(stack: Stack) -> Counter[str]:
    """How often the registries were asked for each DOI (routing look-ups aside)."""
    endpoints = stack.standin_stats()["endpoints"]
    counts: Counter[str] = Counter()
    for kind in LOOKUP_KINDS:
        counts.update(endpoints[kind]["lookups"])
    return counts


def too_many_requests(stack: Stack) -> dict[str, int]:
    """429s the stand-in answered, per pool (only those with any)."""
    pools = stack.standin_stats()["pools"]
    return {name: p["429s"] for name, p in pools.items() if p["429s"]}


@dataclass(frozen=True, slots=True)
class Moment:
    """One status change in a session's event stream, at the Redis server's clock."""

    at_ms: int
    status: dict[str, Any]


def history(stack: Stack, session_id: str) -> list[Moment]:
    """Every status the session's event stream holds, replayed from the start over SSE."""
    moments = []
    for event in stack.events(session_id, last_event_id="0-0", timeout_s=30):
        if event.get("event") == "status":
            moments.append(Moment(int(event["id"].split("-")[0]), json.loads(event["data"])))
    return moments


def first_after(moments: list[Moment], at_ms: float, state: str) -> Moment:
    return next(m for m in moments if m.at_ms >= at_ms and m.status["status"] == state)


def open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def now_ms() -> float:
    return time.time() * 1000

"""Upstream chaos: 5xx, hangs, garbage, resets and 429s; nothing ends wrong, and retry heals all."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults.checks import (
    assert_matches_truth,
    corpus_of,
    resources,
    start_session,
    wait_state,
)
from tests.faults.conftest import Report
from tests.stack import Stack
from tests.standin import Corpus

pytestmark = [pytest.mark.faults, pytest.mark.redis]

MAX_RETRIES = 3

# Queued in the stand-in before the session starts; each rule fails the next `count` requests of
# its endpoint kind. With two attempts per request, a count of 2 makes that request give up.
CHAOS = [
    ("doi-ra", "503", 1),
    ("crossref-list", "500", 2),
    ("crossref-list", "timeout", 1),
    ("datacite", "garbage", 2),
    ("crossref-single", "reset", 2),
    ("doi-cn", "timeout", 2),
    ("*", "429", 2),
]


def _wrong(found: list[dict[str, Any]], corpus: Corpus) -> list[tuple[str, str]]:
    """Resources that are neither what the registries hold nor honestly `failed`."""
    by_doi = {r["doi"]: r for r in found if r["doi"]}
    wrong = []
    for doi, truth in corpus.works.items():
        resource, expected = by_doi[doi], truth.resource_fields()
        if resource["status"] == "failed" and resource["error"]:
            continue
        if resource["status"] != "enriched" or {k: resource[k] for k in expected} != expected:
            wrong.append((doi, resource["status"]))
    for doi in corpus.missing:
        if by_doi[doi]["status"] not in ("not_found", "failed"):
            wrong.append((doi, by_doi[doi]["status"]))
    return wrong


@pytest.mark.timeout(120)
def test_upstream_chaos_then_retry_ends_with_every_doi_right(stack: Stack, report: Report) -> None:
    stack.extra_env.update(
        {
            "CCO_RETRY_ATTEMPTS": "2",
            "CCO_RETRY_WAIT_INITIAL_S": "0.05",
            "CCO_RETRY_WAIT_MAX_S": "0.2",
            "CCO_REQUEST_TIMEOUT_S": "1",
        }
    )
    stack.start_standin(
        *("--crossref", "150", "--datacite", "40", "--other", "30", "--missing", "10"),
        *("--seed", "41", "--latency-base", "0.02"),
    )
    stack.start_worker()
    stack.start_api()
    for pool, kind, count in CHAOS:
        code, _ = stack.request(
            "POST", f"{stack.standin}/_standin/faults", {"pool": pool, "kind": kind, "count": count}
        )
        assert code == 200
    corpus = corpus_of(stack)
    session_id = start_session(stack, corpus.dois(shuffle_seed=4))

    first = wait_state(stack, session_id, "completed", timeout_s=90)
    assert _wrong(resources(stack, session_id), corpus) == [], "a fault made a DOI end wrong"
    assert first["failed"] > 0, "the chaos should leave some DOIs failed for the retry"
    stats = stack.standin_stats()
    requests = sum(e["requests"] for e in stats["endpoints"].values())

    retries, final = 0, first
    while final["failed"] and retries < MAX_RETRIES:  # a fault may still be queued: ask again
        code, answer = stack.request("POST", f"/api/sessions/{session_id}/retry")
        assert code == 202, answer
        retries += 1
        final = wait_state(stack, session_id, "completed", timeout_s=90)
        assert _wrong(resources(stack, session_id), corpus) == []
    assert_matches_truth(stack, session_id, corpus)
    injected = sum(count for *_, count in CHAOS)
    report(
        dois=len(corpus.dois()),
        faults_injected=injected,
        requests_in_first_run=requests,
        fault_share=round(injected / requests, 2),
        failed_after_first_run=first["failed"],
        retries_needed=retries,
    )

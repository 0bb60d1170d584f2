"""Steps the API tests share: create a session, pretend a worker finished it, read an error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from cco_enrich.models import JobState, Outcome, ProcessingStatus, StatusCounts, Work
from cco_enrich.store import SessionStore

ClientFactory = Callable[..., TestClient]
DATA = Path(__file__).parent.parent / "data"
# Two DOIs (b given twice), junk, and a URL: four resources.
IDENTIFIERS = [
    "10.1000/a",
    "https://doi.org/10.1000/B",
    "doi:10.1000/b",
    "junk",
    "https://example.org/page",
]


def store_of(client: TestClient) -> SessionStore:
    """The app's own store, to set up what a worker would have written."""
    store: SessionStore = client.app.state.api.store  # type: ignore[attr-defined]
    return store


def create_session(client: TestClient, identifiers: list[str] = IDENTIFIERS) -> str:
    answer = client.post(
        "/api/sessions", json={"identifiers": identifiers, "metadata": {"title": "T"}}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def error_code(answer: Any) -> str:  # an httpx2 Response (Starlette's TestClient)
    """The `code` of an error answer, after checking it has the one error shape."""
    body = answer.json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    return str(body["error"]["code"])


def finish_session(client: TestClient, session_id: str, *, failed: bool) -> None:
    """Pretend a worker resolved the session: a enriched, b failed or not found."""
    store = store_of(client)

    async def finish() -> None:
        resources = await store.resources(session_id)
        second = (
            Outcome.failed("10.1000/b", "Crossref answered 503 six times")
            if failed
            else Outcome.not_found("10.1000/b")
        )
        work = Work(doi="10.1000/a", registry="crossref", title="A & co")
        changed = {
            0: resources[0].with_outcome(Outcome.enriched(work)),
            1: resources[1].with_outcome(second),
        }
        resources[0], resources[1] = changed[0], changed[1]
        status = ProcessingStatus.from_counts(
            StatusCounts.of(resources), JobState.COMPLETED, "done"
        )
        await store.checkpoint(session_id, changed, status)

    client.portal.call(finish)  # type: ignore[union-attr]

"""Webhook signatures a receiver can check for replays, and each session's delivery log."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cco_enrich.ingest import build_resource
from cco_enrich.models import WebhookDelivery
from cco_enrich.store import SessionStore
from cco_enrich.store.webhooks import WEBHOOK_DELIVERIES_KEPT
from cco_enrich.webhooks import sign, verify_signature
from tests.api.conftest import ClientFactory

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
BODY = b'{"session_id":"s","processing_status":{"status":"completed"}}'
SECRET = "webhook-secret"
NOW = 1_700_000_000


def _delivery(**fields: Any) -> WebhookDelivery:
    values = {"at": datetime(2025, 1, 2, tzinfo=UTC), "event": "session.completed"}
    values |= {"delivered": True, "attempts": 1, "status_code": 200} | fields
    return WebhookDelivery(**values)


def test_a_fresh_signature_verifies() -> None:
    assert verify_signature(sign(BODY, SECRET, timestamp=NOW), BODY, SECRET, now=NOW + 10)


@pytest.mark.parametrize(
    ("header", "body", "secret", "now"),
    [
        (sign(BODY, SECRET, timestamp=NOW), BODY + b" ", SECRET, NOW),  # body changed
        (sign(BODY, SECRET, timestamp=NOW), BODY, "other", NOW),  # another secret
        (sign(BODY, SECRET, timestamp=NOW), BODY, SECRET, NOW + 301),  # a replay, too late
        (sign(BODY, SECRET, timestamp=NOW).replace(f"t={NOW}", f"t={NOW + 5}"), BODY, SECRET, NOW),
        ("sha256=0000", BODY, SECRET, NOW),  # the old format
        ("t=abc,v1=00", BODY, SECRET, NOW),
        ("", BODY, SECRET, NOW),
    ],
    ids=["body", "secret", "replay", "moved time", "old format", "bad time", "empty"],
)
def test_anything_else_is_refused(header: str, body: bytes, secret: str, now: int) -> None:
    assert not verify_signature(header, body, secret, now=now)


def test_the_readme_snippet_verifies_our_signatures() -> None:
    """The 5-line receiver in the README accepts our header and refuses a replay."""
    snippet = re.search(r"<!-- verify-webhook -->\n```python\n(.*?)```", README, re.DOTALL)
    assert snippet is not None
    namespace: dict[str, Any] = {}
    exec(snippet.group(1), namespace)
    verify = namespace["verify"]
    assert verify(sign(BODY, SECRET), BODY, SECRET)
    assert not verify(sign(BODY, SECRET), BODY + b"x", SECRET)
    assert not verify(sign(BODY, SECRET, timestamp=int(time.time()) - 3600), BODY, SECRET)
    assert not verify("t=soon,v1=00", BODY, SECRET)
    assert not verify("garbage", BODY, SECRET)


async def test_deliveries_are_kept_per_session_newest_last(store: SessionStore) -> None:
    await store.create("session-1", [build_resource("10.1000/a")], metadata={})
    for attempt in range(1, WEBHOOK_DELIVERIES_KEPT + 3):
        await store.record_webhook_delivery("session-1", _delivery(attempts=attempt))
    kept = await store.webhook_deliveries("session-1")
    assert len(kept) == WEBHOOK_DELIVERIES_KEPT
    assert kept[-1].attempts == WEBHOOK_DELIVERIES_KEPT + 2


async def test_a_delivery_never_brings_a_deleted_session_back(store: SessionStore) -> None:
    await store.create("session-1", [build_resource("10.1000/a")], metadata={})
    await store.delete("session-1")
    await store.record_webhook_delivery("session-1", _delivery())
    assert not await store.exists("session-1")


def test_the_session_answer_lists_its_deliveries(make_client: ClientFactory) -> None:
    client = make_client()
    session_id = client.post("/api/sessions", json={"identifiers": ["10.1000/a"]}).json()["id"]
    assert client.get(f"/api/sessions/{session_id}").json()["webhook_deliveries"] == []
    store: SessionStore = client.app.state.api.store  # type: ignore[attr-defined]
    failed = _delivery(delivered=False, attempts=5, status_code=None, error="ClientError: refused")
    client.portal.call(store.record_webhook_delivery, session_id, failed)  # type: ignore[union-attr]
    [shown] = client.get(f"/api/sessions/{session_id}").json()["webhook_deliveries"]
    assert shown == {
        "at": "2025-01-02T00:00:00Z",
        "event": "session.completed",
        "delivered": False,
        "attempts": 5,
        "status_code": None,
        "error": "ClientError: refused",
    }

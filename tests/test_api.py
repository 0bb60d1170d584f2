"""The HTTP API with fakeredis: every endpoint's success and error answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from arq.connections import ArqRedis
from starlette.testclient import TestClient

import cco_enrich.api
from cco_enrich.api import create_app
from cco_enrich.models import JobState, Outcome, ProcessingStatus, Work
from cco_enrich.settings import Settings
from cco_enrich.store import SessionStore, count_statuses

DATA = Path(__file__).parent / "data"
DOIS = [
    "10.1000/a",
    "https://doi.org/10.1000/B",
    "doi:10.1000/b",
    "junk",
    "https://example.org/page",
]


@pytest.fixture
def client(fake_redis: ArqRedis, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    async def fake_pool(*args: object, **kwargs: object) -> ArqRedis:
        return fake_redis

    monkeypatch.setattr(cco_enrich.api, "create_pool", fake_pool)
    settings = Settings(max_identifiers=100, max_upload_bytes=10_000)
    with TestClient(create_app(settings)) as client:
        yield client


def _create(client: TestClient, identifiers: list[str] = DOIS) -> str:
    answer = client.post(
        "/api/sessions", json={"identifiers": identifiers, "metadata": {"title": "T"}}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _error(answer) -> str:  # type: ignore[no-untyped-def]
    body = answer.json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    return str(body["error"]["code"])


def test_healthz(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["redis"] == "ok"


def test_create_counts_each_kind_of_input(client: TestClient) -> None:
    answer = client.post("/api/sessions", json={"identifiers": DOIS})
    body = answer.json()
    assert answer.status_code == 201
    assert {k: body[k] for k in ("total", "dois", "duplicates", "invalid", "skipped")} == {
        "total": 4,
        "dois": 2,
        "duplicates": 1,
        "invalid": 1,
        "skipped": 1,
    }
    assert len(body["id"]) >= 20
    assert body["links"]["events"].endswith("/events")
    assert answer.headers["location"] == f"/api/sessions/{body['id']}"


def test_session_ids_are_random(client: TestClient) -> None:
    assert _create(client) != _create(client)


def test_create_from_the_cco_input_document(client: TestClient) -> None:
    document = json.loads((DATA / "cco" / "gommapps_input.json").read_text())
    body = client.post("/api/sessions", json=document).json()
    assert (body["total"], body["dois"], body["skipped"]) == (38, 6, 32)
    session = client.get(f"/api/sessions/{body['id']}").json()
    assert session["metadata"]["output_filename_slug"] == "GOMMAPPSCCO"


def test_create_from_plain_text(client: TestClient) -> None:
    answer = client.post(
        "/api/sessions", content="10.1000/a\n\n10.1000/b\n", headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 201
    assert answer.json()["dois"] == 2


def test_create_from_an_uploaded_file(client: TestClient) -> None:
    csv_text = "doi,title\n10.1000/a,A\n10.1000/b,B\n"
    answer = client.post("/api/sessions", files={"file": ("list.csv", csv_text, "text/csv")})
    assert answer.status_code == 201
    assert answer.json()["dois"] == 2


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        (
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            422,
            "invalid_input",
        ),
        ({"json": {"identifiers": []}}, 422, "invalid_input"),
        ({"json": {"identifiers": [1, 2]}}, 422, "invalid_input"),
        ({"json": ["10.1000/a"]}, 422, "invalid_input"),
        (
            {"content": b"x", "headers": {"Content-Type": "image/png"}},
            415,
            "unsupported_media_type",
        ),
        ({"json": {"identifiers": [f"10.1000/{i}" for i in range(101)]}}, 413, "too_large"),
        (
            {"content": b"10.1000/a\n" * 2000, "headers": {"Content-Type": "text/plain"}},
            413,
            "too_large",
        ),
        (
            {"json": {"identifiers": ["10.1000/a"], "callback_url": "http://127.0.0.1/hook"}},
            422,
            "invalid_input",
        ),
        (
            {"json": {"identifiers": ["10.1000/a"], "callback_url": "ftp://example.org"}},
            422,
            "invalid_input",
        ),
    ],
)
def test_create_rejects_bad_input_with_a_clear_4xx(
    client: TestClient, kwargs: dict[str, object], status: int, code: str
) -> None:
    answer = client.post("/api/sessions", **kwargs)  # type: ignore[arg-type]
    assert answer.status_code == status, answer.text
    assert _error(answer) == code


def test_unknown_session_is_404_everywhere(client: TestClient) -> None:
    for method, path in [
        ("GET", "/api/sessions/doesnotexist0"),
        ("GET", "/api/sessions/doesnotexist0/status"),
        ("GET", "/api/sessions/doesnotexist0/events"),
        ("GET", "/api/sessions/doesnotexist0/export"),
        ("POST", "/api/sessions/doesnotexist0/enrich"),
        ("POST", "/api/sessions/doesnotexist0/retry"),
        ("POST", "/api/sessions/doesnotexist0/cancel"),
        ("DELETE", "/api/sessions/doesnotexist0"),
        ("GET", "/api/sessions/bad%20id!"),
    ]:
        answer = client.request(method, path)
        assert answer.status_code == 404, (method, path, answer.text)
        assert _error(answer) == "session_not_found"


def test_get_session_returns_resources_in_input_order(client: TestClient) -> None:
    session_id = _create(client)
    body = client.get(f"/api/sessions/{session_id}").json()
    assert [r["identifier"] for r in body["resources"]] == [DOIS[0], DOIS[1], DOIS[3], DOIS[4]]
    assert [r["status"] for r in body["resources"]] == ["pending", "pending", "invalid", "skipped"]
    assert body["processing_status"]["status"] == "idle"
    only = client.get(f"/api/sessions/{session_id}?status=invalid").json()["resources"]
    assert [r["identifier"] for r in only] == ["junk"]
    assert client.get(f"/api/sessions/{session_id}?status=bogus").status_code == 400


def test_enrich_queues_a_job_and_refuses_a_second_while_queued(
    client: TestClient, fake_redis: ArqRedis
) -> None:
    session_id = _create(client)
    answer = client.post(f"/api/sessions/{session_id}/enrich")
    assert answer.status_code == 202
    assert answer.json()["status"] == "queued"
    assert answer.json()["job_id"].startswith("enrich:")
    assert client.get(f"/api/sessions/{session_id}/status").json()["status"] == "queued"
    again = client.post(f"/api/sessions/{session_id}/enrich")
    assert again.status_code == 409
    assert _error(again) == "session_busy"


def test_create_with_enrich_true_queues_at_once(client: TestClient) -> None:
    body = client.post("/api/sessions?enrich=true", json={"identifiers": DOIS}).json()
    assert body["job_id"]
    assert client.get(f"/api/sessions/{body['id']}/status").json()["status"] == "queued"


def _finish(client: TestClient, fake_redis: ArqRedis, session_id: str, *, failed: bool) -> None:
    """Pretend a worker resolved the session: a enriched, b failed or not found."""

    async def finish() -> None:
        store = SessionStore(fake_redis, session_ttl_s=60)
        resources = await store.resources(session_id)
        second = (
            Outcome.failed("10.1000/b", "Crossref answered 503 six times")
            if failed
            else Outcome.not_found("10.1000/b")
        )
        changed = {
            0: resources[0].with_outcome(
                Outcome.enriched(Work(doi="10.1000/a", registry="crossref", title="A & co"))
            ),
            1: resources[1].with_outcome(second),
        }
        resources[0], resources[1] = changed[0], changed[1]
        status = ProcessingStatus.from_counts(
            count_statuses(resources), status=JobState.COMPLETED, stage="done"
        )
        await store.checkpoint(session_id, changed, status)

    client.portal.call(finish)  # type: ignore[union-attr]


def test_retry_resets_only_failed_resources(client: TestClient, fake_redis: ArqRedis) -> None:
    session_id = _create(client)
    _finish(client, fake_redis, session_id, failed=True)
    answer = client.post(f"/api/sessions/{session_id}/retry")
    assert answer.status_code == 202
    assert answer.json()["reset"] == 1
    statuses = [r["status"] for r in client.get(f"/api/sessions/{session_id}").json()["resources"]]
    assert statuses[:2] == ["enriched", "pending"]


def test_force_resets_every_doi(client: TestClient, fake_redis: ArqRedis) -> None:
    session_id = _create(client)
    _finish(client, fake_redis, session_id, failed=False)
    answer = client.post(f"/api/sessions/{session_id}/enrich?force=true")
    assert answer.status_code == 202
    assert answer.json()["reset"] == 2
    body = client.get(f"/api/sessions/{session_id}").json()
    assert [r["status"] for r in body["resources"]] == ["pending", "pending", "invalid", "skipped"]
    assert body["resources"][0]["title"] is None


def test_cancel_a_queued_session_is_immediate_and_idempotent(client: TestClient) -> None:
    session_id = _create(client)
    client.post(f"/api/sessions/{session_id}/enrich")
    first = client.post(f"/api/sessions/{session_id}/cancel")
    second = client.post(f"/api/sessions/{session_id}/cancel")
    assert first.json()["status"] == second.json()["status"] == "cancelled"
    assert first.status_code == second.status_code == 200


def test_delete_removes_the_session(client: TestClient) -> None:
    session_id = _create(client)
    assert client.delete(f"/api/sessions/{session_id}").status_code == 204
    assert client.get(f"/api/sessions/{session_id}").status_code == 404


@pytest.mark.parametrize(
    ("fmt", "media_type", "extension"),
    [
        ("jsonld", "application/ld+json", "jsonld"),
        ("csl-json", "application/vnd.citationstyles.csl+json", "json"),
        ("bibtex", "application/x-bibtex", "bib"),
        ("ris", "application/x-research-info-systems", "ris"),
        ("csv", "text/csv", "csv"),
    ],
)
def test_export_formats_have_type_and_file_name(
    client: TestClient, fake_redis: ArqRedis, fmt: str, media_type: str, extension: str
) -> None:
    session_id = _create(client)
    _finish(client, fake_redis, session_id, failed=False)
    answer = client.get(f"/api/sessions/{session_id}/export?format={fmt}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(media_type)
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    assert answer.headers["content-disposition"].rstrip('"').endswith(f".{extension}")
    assert "A & co" in answer.text or "A \\& co" in answer.text


def test_export_unknown_format_is_400(client: TestClient) -> None:
    answer = client.get(f"/api/sessions/{_create(client)}/export?format=docx")
    assert answer.status_code == 400
    assert _error(answer) == "unknown_format"
    assert "jsonld" in answer.json()["error"]["message"]


def test_events_of_a_finished_session_send_the_status_and_close(
    client: TestClient, fake_redis: ArqRedis
) -> None:
    session_id = _create(client)
    _finish(client, fake_redis, session_id, failed=False)
    with client.stream("GET", f"/api/sessions/{session_id}/events") as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        text = "".join(answer.iter_text())
    assert "event: status" in text
    assert '"status":"completed"' in text
    assert "id: " in text


def test_events_resume_after_last_event_id(client: TestClient, fake_redis: ArqRedis) -> None:
    session_id = _create(client)
    with client.stream("GET", f"/api/sessions/{session_id}/events") as answer:
        first_id = next(line for line in answer.iter_lines() if line.startswith("id:"))[3:].strip()
        # the session is idle, so the stream stays open: drop it like a flaky network would
    _finish(client, fake_redis, session_id, failed=False)
    with client.stream(
        "GET", f"/api/sessions/{session_id}/events", headers={"Last-Event-ID": first_id}
    ) as answer:
        text = "".join(answer.iter_text())
    assert "event: resources" in text
    assert '"status":"completed"' in text
    assert f"id: {first_id}\r\n" not in text


def test_queue_overview(client: TestClient) -> None:
    client.post("/api/sessions?enrich=true", json={"identifiers": DOIS})
    body = client.get("/api/queue").json()
    assert body["sessions"]["queued"] == 1
    assert body["workers"] == []


def test_openapi_describes_every_route(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    documented = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    routes = {
        (method, route.path)
        for route in client.app.routes  # type: ignore[attr-defined]
        if hasattr(route, "methods") and route.methods
        for method in route.methods - {"HEAD"}
    }
    assert routes <= documented, routes - documented


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe\x00garbage\x80", "text/plain"),
        (b"null", "application/json"),
        (b'"10.1000/a"', "application/json"),
        (b"[" * 5000 + b"]" * 5000, "application/json"),
        (b'{"identifiers": "10.1000/a"}', "application/json"),
        (b'{"identifiers": [null]}', "application/json"),
        (b'{"resource_pids": [{"doi": "10.1/x"}]}', "application/json"),
        (b"", "text/plain"),
        (b"@article{broken,\n title = {no end", "application/x-bibtex"),
        (b"\x00\x01\x02", "text/csv"),
    ],
)
def test_garbage_input_is_a_4xx_never_a_500(
    client: TestClient, body: bytes, content_type: str
) -> None:
    answer = client.post("/api/sessions", content=body, headers={"Content-Type": content_type})
    assert 400 <= answer.status_code < 500 or answer.status_code == 201, answer.text
    if answer.status_code != 201:
        _error(answer)


def test_an_upload_of_an_unknown_kind_is_a_4xx(client: TestClient) -> None:
    answer = client.post(
        "/api/sessions", files={"file": ("cco.docx", b"PK\x03\x04", "application/zip")}
    )
    assert answer.status_code == 422
    assert _error(answer) == "invalid_input"


def test_reading_a_session_keeps_it_alive(client: TestClient, fake_redis: ArqRedis) -> None:
    session_id = _create(client)
    key = f"cco:session:{session_id}"

    async def shorten() -> None:
        await fake_redis.expire(key, 5)

    client.portal.call(shorten)  # type: ignore[union-attr]
    client.get(f"/api/sessions/{session_id}/status")
    ttl = client.portal.call(fake_redis.ttl, key)  # type: ignore[union-attr]
    assert ttl > 5

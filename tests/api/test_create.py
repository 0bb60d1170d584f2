"""POST /api/sessions: every kind of input, and a clear 4xx for anything we cannot read."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from tests.api.steps import DATA, IDENTIFIERS, create_session, error_code


def test_create_counts_each_kind_of_input(client: TestClient) -> None:
    answer = client.post("/api/sessions", json={"identifiers": IDENTIFIERS})
    body = answer.json()
    assert answer.status_code == 201
    assert {k: body[k] for k in ("total", "dois", "duplicates", "invalid", "skipped")} == {
        "total": 4,
        "dois": 2,
        "duplicates": 1,
        "invalid": 1,
        "skipped": 0,  # the URL is a landing page to read: pending
    }
    assert len(body["id"]) >= 20
    assert body["links"]["events"].endswith("/events")
    assert answer.headers["location"] == f"/api/sessions/{body['id']}"


def test_session_ids_are_random(client: TestClient) -> None:
    assert create_session(client) != create_session(client)


def test_create_from_the_cco_input_document(client: TestClient) -> None:
    document = json.loads((DATA / "cco" / "gommapps_input.json").read_text())
    body = client.post("/api/sessions", json=document).json()
    assert (body["total"], body["dois"], body["skipped"]) == (38, 6, 0)
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
    assert error_code(answer) == code


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
        error_code(answer)


def test_an_upload_of_an_unknown_kind_is_a_4xx(client: TestClient) -> None:
    answer = client.post(
        "/api/sessions", files={"file": ("cco.docx", b"PK\x03\x04", "application/zip")}
    )
    assert answer.status_code == 422
    assert error_code(answer) == "invalid_input"

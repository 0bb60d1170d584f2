"""Bad input, table-driven: every row is a 4xx in the error shape, never a 5xx, and afterwards the
service answers /healthz and a session made before the row is unchanged.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import ClientFactory, error_code

SID = "{sid}"  # replaced by the earlier session's id
DOI = "10.1000/kept"
MB = 1_000_000
JSON = {"Content-Type": "application/json"}
TEXT = {"Content-Type": "text/plain"}
CSV = {"Content-Type": "text/csv"}
BIBTEX = {"Content-Type": "application/x-bibtex"}


@dataclass(frozen=True)
class Row:
    name: str
    status: int
    method: str = "POST"
    path: str = "/api/sessions"
    kwargs: dict[str, Any] = field(default_factory=dict)
    code: str | None = None


def _json(value: Any) -> dict[str, Any]:
    return {"content": json.dumps(value).encode(), "headers": JSON}


def _text(text: str | bytes, headers: dict[str, str] = TEXT) -> dict[str, Any]:
    return {"content": text.encode() if isinstance(text, str) else text, "headers": headers}


def _chunks(total: int, size: int = 1 << 20) -> Iterator[bytes]:
    """A body sent in chunks without Content-Length (chunked), so only counting can stop it."""
    line = b"10.1000/" + b"x" * 90 + b"\n"
    chunk = line * (size // len(line))
    for _ in range(total // len(chunk) + 1):
        yield chunk


def _nested(depth: int) -> bytes:
    return b'{"identifiers": ' + b"[" * depth + b"]" * depth + b"}"


def _upload(name: str, content: bytes, kind: str = "text/plain") -> dict[str, Any]:
    return {"files": {"file": (name, content, kind)}}


BODIES = [
    Row("empty JSON body", 422, kwargs={"content": b"", "headers": JSON}),
    Row("empty body, no Content-Type", 415, kwargs={"content": b""}, code="unsupported_media_type"),
    Row("empty text body", 422, kwargs=_text("")),
    Row("only blank lines", 422, kwargs=_text("\n \n\t\n")),
    Row("only comment lines", 422, kwargs=_text("# a list\n# of nothing\n")),
    Row("image/png", 415, kwargs=_text(b"\x89PNG\r\n", {"Content-Type": "image/png"})),
    Row("application/xml", 415, kwargs=_text("<a/>", {"Content-Type": "application/xml"})),
    Row("form-urlencoded", 415, kwargs={"data": {"identifiers": DOI}}),
    Row("invalid JSON", 422, kwargs=_text("{not json", JSON), code="invalid_input"),
    Row("truncated JSON", 422, kwargs=_text('{"identifiers": ["10.1000/a"', JSON)),
    Row("JSON null", 422, kwargs=_json(None)),
    Row("JSON string", 422, kwargs=_json(DOI)),
    Row("JSON number", 422, kwargs=_json(42)),
    Row("JSON list", 422, kwargs=_json([DOI])),
    Row("identifiers a string", 422, kwargs=_json({"identifiers": DOI})),
    Row("identifiers numbers", 422, kwargs=_json({"identifiers": [1, 2]})),
    Row("identifiers null item", 422, kwargs=_json({"identifiers": [None]})),
    Row("identifiers nested list", 422, kwargs=_json({"identifiers": [[DOI]]})),
    Row("identifiers objects", 422, kwargs=_json({"identifiers": [{"doi": DOI}]})),
    Row("identifiers empty", 422, kwargs=_json({"identifiers": []})),
    Row("identifiers blank", 422, kwargs=_json({"identifiers": ["  ", "\t"]})),
    Row("metadata a list", 422, kwargs=_json({"identifiers": [DOI], "metadata": []})),
    Row("metadata a string", 422, kwargs=_json({"identifiers": [DOI], "metadata": "x"})),
    Row("unknown key", 422, kwargs=_json({"identifiers": [DOI], "identifers": []})),
    Row("callback_url a number", 422, kwargs=_json({"identifiers": [DOI], "callback_url": 5})),
    Row("callback_url ftp", 422, kwargs=_json({"identifiers": [DOI], "callback_url": "ftp://x"})),
    Row(
        "callback_url loopback",
        422,
        kwargs=_json({"identifiers": [DOI], "callback_url": "http://127.0.0.1:9/hook"}),
    ),
    Row("resource_pids a string", 422, kwargs=_json({"resource_pids": DOI})),
    Row("CCO input without pids", 422, kwargs=_json({"cco_metadata": {}, "resource_pids": []})),
    Row("NaN identifier", 422, kwargs=_text('{"identifiers": [NaN]}', JSON)),
    Row("5,000-digit number", 422, kwargs=_text('{"identifiers": [' + "9" * 5000 + "]}", JSON)),
    Row("lone surrogate", 422, kwargs=_text('{"identifiers": ["10.1000/\\ud800"]}', JSON)),
    Row(
        "lone surrogate in metadata",
        422,
        kwargs=_text('{"identifiers": ["10.1000/a"], "metadata": {"t": "\\udfff"}}', JSON),
    ),
    Row(
        "metadata 300 deep",
        422,
        kwargs=_text(
            '{"identifiers": ["10.1000/a"], "metadata": ' + '{"a":' * 300 + "1" + "}" * 301, JSON
        ),
    ),
    Row("10,000-deep nesting", 422, kwargs=_text(_nested(10_000), JSON)),
    Row("100,000-deep nesting", 422, kwargs=_text(_nested(100_000), JSON)),
    Row(
        "100,000 identifiers",
        413,
        kwargs=_json({"identifiers": [f"10.1000/{i}" for i in range(100_000)]}),
        code="too_large",
    ),
    Row("50 MB body", 413, kwargs=_text(b"10.1000/a\n" * (5 * MB)), code="too_large"),
    Row("50 MB chunked body", 413, kwargs={"content": _chunks(50 * MB), "headers": TEXT}),
    Row("binary as text", 422, kwargs=_text(bytes(range(256)) * 4)),
    Row("binary as JSON", 422, kwargs=_text(os.urandom(0) + b"\xff\xfe\x00\x01" * 64, JSON)),
    Row(
        "UTF-16 JSON", 422, kwargs=_text(json.dumps({"identifiers": [DOI]}).encode("utf-16"), JSON)
    ),
    Row("NUL bytes", 422, kwargs=_text("\x00\x00\x00\n\x00")),
    Row("control characters", 422, kwargs=_text("\x01\x02\x1b[31m\x7f\n\x08\x0b")),
    Row("NUL inside a DOI", 422, kwargs=_json({"identifiers": ["10.1000/abc\x00def"]})),
    Row("escape inside a DOI", 422, kwargs=_text("10.1000/abc\x1b[2Jdef\n")),
    Row("10,000-character DOI line", 422, kwargs=_text("10.1000/" + "a" * 10_000)),
    Row("10,000-character line", 422, kwargs=_text("x" * 10_000)),
    Row("fullwidth digits", 422, kwargs=_text("１０.１０００/abc")),
    Row("fullwidth prefix digits", 422, kwargs=_json({"identifiers": ["10.１０００/abc"]})),
    Row("Arabic-Indic digits", 422, kwargs=_json({"identifiers": ["10.١٠٠٠/abc"]})),
    Row("Devanagari digits", 422, kwargs=_text("10.१२३४/abc")),
    Row("hyphen for the slash", 422, kwargs=_text("10.1000\u2010abc")),
    Row("en dash for the dot", 422, kwargs=_text("10\u20131000/abc")),
    Row("minus sign for the dot", 422, kwargs=_text("10\u22121000/abc")),
    Row("garbage BibTeX", 422, kwargs=_text("this is {not bibtex}} @@@ {{", BIBTEX)),
    Row("unbalanced BibTeX", 422, kwargs=_text("@article{key,\n title = {x,\n", BIBTEX)),
    Row("BibTeX without entries", 422, kwargs=_text('@string{a = "b"}\n@comment{x}\n', BIBTEX)),
    Row("BibTeX braces only", 422, kwargs=_text("{" * 5000 + "}" * 4000, BIBTEX)),
    Row("CSV header only", 422, kwargs=_text("doi,title\n", CSV)),
    Row("CSV empty cells", 422, kwargs=_text(",,,\n,,,\n", CSV)),
    Row("CSV of garbage", 422, kwargs=_text("a,b\nc,d\n", CSV)),
    Row("CSV 200,000-character field", 422, kwargs=_text('doi\n"' + "x" * 200_000 + '"\n', CSV)),
    Row("CSV with NUL", 422, kwargs=_text("doi\n\x00\x00\n", CSV)),
    Row(
        "JSON-LD with an empty graph",
        422,
        kwargs=_text(
            '{"@context": "http://schema.org", "@graph": []}',
            {"Content-Type": "application/ld+json"},
        ),
    ),
    Row("JSON-LD empty", 422, kwargs=_text("{}", {"Content-Type": "application/ld+json"})),
    Row(
        "multipart without a boundary",
        400,
        kwargs=_text(b"--x\r\n\r\n", {"Content-Type": "multipart/form-data"}),
    ),
    Row("upload of an .exe", 422, kwargs=_upload("list.exe", b"MZ\x90\x00")),
    Row("upload of an empty file", 422, kwargs=_upload("list.txt", b"")),
    Row("upload of binary .csv", 422, kwargs=_upload("list.csv", b"\xff\xfe\xfa", "text/csv")),
    Row("form without a file", 422, kwargs={"files": {"other": ("x.txt", b"10.1000/a")}}),
]

GLOB_IDS = ["*", "%2A", "cco:session:*", "%5Ba-z%5D%3F", "..%2F..%2Fqueue", "%20spaces%20here"]
IDS = [
    *(Row(f"id {raw!r}", 404, "GET", f"/api/sessions/{raw}") for raw in GLOB_IDS),
    Row("id of 1,000 characters", 404, "GET", "/api/sessions/" + "a" * 1000),
    Row("id with NUL", 404, "GET", "/api/sessions/abcdefgh%00ijk"),
    Row("id fullwidth", 404, "GET", "/api/sessions/%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94abcd"),
    Row("delete glob id", 404, "DELETE", "/api/sessions/*"),
    Row("delete 1,000 characters", 404, "DELETE", "/api/sessions/" + "b" * 1000),
    Row("enrich glob id", 404, "POST", "/api/sessions/*/enrich"),
    Row("retry glob id", 404, "POST", "/api/sessions/%5B%5E%5D/retry"),
    Row("cancel dotted id", 404, "POST", "/api/sessions/..%2F/cancel"),
    Row("status glob id", 404, "GET", "/api/sessions/%3F%3F%3F%3F%3F%3F%3F%3F/status"),
    Row("export glob id", 404, "GET", "/api/sessions/*/export"),
    Row("events glob id", 404, "GET", "/api/sessions/*/events"),
    Row("no such path", 404, "GET", "/api/nothing"),
    Row("no such method", 405, "PUT", "/api/sessions"),
]


def _events(last_id: str) -> dict[str, Any]:
    return {"headers": {"Last-Event-ID": last_id}}


EVENTS = f"/api/sessions/{SID}/events"
QUERIES = [
    Row("Last-Event-ID garbage", 400, "GET", EVENTS, _events("garbage")),
    Row("Last-Event-ID negative", 400, "GET", EVENTS, _events("-1")),
    Row("Last-Event-ID over 64 bits", 400, "GET", EVENTS, _events("99999999999999999999-0")),
    Row("Last-Event-ID three parts", 400, "GET", EVENTS, _events("1-2-3")),
    Row("Last-Event-ID glob", 400, "GET", EVENTS, _events("*")),
    Row("Last-Event-ID CRLF", 400, "GET", EVENTS, _events("1-0\r\nX-Injected: yes")),
    Row(
        "Last-Event-ID fullwidth",
        400,
        "GET",
        EVENTS,
        {"headers": {"Last-Event-ID": b"\xef\xbc\x91"}},
    ),
    Row("last_event_id query garbage", 400, "GET", f"{EVENTS}?last_event_id=abc"),
    Row("export format pdf", 400, "GET", f"/api/sessions/{SID}/export?format=pdf"),
    Row("export format empty", 400, "GET", f"/api/sessions/{SID}/export?format="),
    Row("export format path", 400, "GET", f"/api/sessions/{SID}/export?format=../../etc/passwd"),
    Row(
        "unknown parameter on a session", 400, "GET", f"/api/sessions/{SID}?foo=1", code="bad_query"
    ),
    Row(
        "misspelt enrich flag",
        400,
        "POST",
        "/api/sessions?enrch=true",
        _json({"identifiers": [DOI]}),
    ),
    Row(
        "enrich flag not a boolean",
        400,
        "POST",
        "/api/sessions?enrich=maybe",
        _json({"identifiers": [DOI]}),
    ),
    Row("force flag not a boolean", 400, "POST", f"/api/sessions/{SID}/enrich?force=2"),
    Row("unknown parameter on status", 400, "GET", f"/api/sessions/{SID}/status?x="),
    Row("unknown parameter on the queue", 400, "GET", "/api/queue?verbose=1"),
    Row("unknown resource status", 400, "GET", f"/api/sessions/{SID}?status=bogus"),
    Row(
        "CRLF in a callback_url",
        400,
        "POST",
        f"/api/sessions/{SID}/enrich?callback_url=https://example.org/%0D%0AX-Injected:%201",
    ),
    Row(
        "CRLF in Content-Type",
        415,
        kwargs={"content": DOI.encode(), "headers": {"Content-Type": "text/plain\r\nX-A: 1"}},
    ),
    Row(
        "CRLF in Authorization",
        400,
        "GET",
        "/api/queue?x=1",
        {"headers": {"Authorization": "Bearer a\r\nb"}},
    ),
]
ROWS = [*BODIES, *IDS, *QUERIES]


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()


@pytest.fixture
def earlier(client: TestClient) -> tuple[str, dict[str, Any]]:
    """A session made before the bad input, and how it looked."""
    answer = client.post("/api/sessions", json={"identifiers": [DOI, "10.1000/other", "junk"]})
    assert answer.status_code == 201
    session_id = answer.json()["id"]
    return session_id, client.get(f"/api/sessions/{session_id}").json()


def test_the_table_has_at_least_sixty_rows() -> None:
    assert len(ROWS) >= 60
    assert len({row.name for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_bad_input_is_a_4xx_and_harms_nothing(
    row: Row, client: TestClient, earlier: tuple[str, dict[str, Any]]
) -> None:
    session_id, before = earlier
    answer = client.request(row.method, row.path.replace(SID, session_id), **row.kwargs)
    assert answer.status_code == row.status, answer.text[:500]
    code = error_code(answer)
    assert row.code is None or code == row.code
    assert client.get("/healthz").json()["redis"] == "ok"
    assert client.get(f"/api/sessions/{session_id}").json() == before


async def _slow_body(client: TestClient, first: bytes, pause_s: float) -> tuple[int, bytes]:
    """POST a body whose second half never comes (a slow-loris client), straight over ASGI."""
    sent: list[dict[str, Any]] = []
    calls = 0

    async def receive() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            return {"type": "http.request", "body": first, "more_body": True}
        await asyncio.sleep(pause_s)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/sessions",
        "raw_path": b"/api/sessions",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"text/plain"), (b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    await client.app(scope, receive, send)  # type: ignore[arg-type]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


def test_a_slow_loris_body_gets_408_and_the_service_goes_on(make_client: ClientFactory) -> None:
    """A client that sends half a body and stalls is cut off after CCO_BODY_TIMEOUT_S."""
    client = make_client(body_timeout_s=0.3)
    status, body = client.portal.call(_slow_body, client, b"10.1000/a\n", 30.0)  # type: ignore[union-attr]
    assert status == 408
    assert json.loads(body)["error"]["code"] == "request_timeout"
    assert client.get("/healthz").status_code == 200
    answer = client.post("/api/sessions", content=b"10.1000/a\n", headers=TEXT)
    assert answer.status_code == 201


def test_a_body_that_arrives_in_time_is_read(make_client: ClientFactory) -> None:
    client = make_client(body_timeout_s=5)
    status, _ = client.portal.call(_slow_body, client, b"10.1000/a\n", 0.05)  # type: ignore[union-attr]
    assert status == 201


async def test_once_the_body_is_in_waiting_never_times_out() -> None:
    """After the body, the app may wait on `receive` (for a disconnect) as long as it likes."""
    from cco_enrich.api.limits import BodyTimeoutMiddleware

    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((await receive())["type"])
        seen.append((await receive())["type"])

    messages = [{"type": "http.request", "body": b"x", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.sleep(0.3)
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        raise AssertionError("nothing to send")

    middleware = BodyTimeoutMiddleware(app, timeout_s=0.1)
    await middleware({"type": "http", "method": "POST"}, receive, send)
    assert seen == ["http.request", "http.disconnect"]

"""GET /api/sessions/{id}/export: each format as a download, and 400 for an unknown one."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.api.steps import create_session, error_code, finish_session


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
    client: TestClient, fmt: str, media_type: str, extension: str
) -> None:
    session_id = create_session(client)
    finish_session(client, session_id, failed=False)
    answer = client.get(f"/api/sessions/{session_id}/export?format={fmt}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(media_type)
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    assert answer.headers["content-disposition"].rstrip('"').endswith(f".{extension}")
    assert "A & co" in answer.text or "A \\& co" in answer.text


def test_export_unknown_format_is_400(client: TestClient) -> None:
    answer = client.get(f"/api/sessions/{create_session(client)}/export?format=docx")
    assert answer.status_code == 400
    assert error_code(answer) == "unknown_format"
    assert "jsonld" in answer.json()["error"]["message"]

"""POST /api/sessions with a finished CCO: edit and re-enrich it, export it again unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from cco_enrich.models import JobState, ProcessingStatus
from tests.api.steps import DATA, ClientFactory, store_of


@pytest.fixture
def example() -> dict[str, Any]:
    with (DATA / "cco" / "gommapps_output.json").open(encoding="utf-8") as file:
        document: dict[str, Any] = json.load(file)
    return document


@pytest.fixture
def reingested(make_client: ClientFactory, example: dict[str, Any]) -> tuple[TestClient, str]:
    """A client and the session made from the real CCO, posted as JSON-LD."""
    client = make_client()
    answer = client.post(
        "/api/sessions",
        content=json.dumps(example),
        headers={"Content-Type": "application/ld+json"},
    )
    assert answer.status_code == 201, answer.text
    assert (answer.json()["total"], answer.json()["dois"]) == (38, 6)
    return client, str(answer.json()["id"])


def test_a_posted_cco_is_a_session_of_enriched_resources(
    reingested: tuple[TestClient, str], example: dict[str, Any]
) -> None:
    client, session_id = reingested
    session = client.get(f"/api/sessions/{session_id}").json()
    assert session["processing_status"]["enriched"] == 38
    assert session["metadata"]["resource_map_id"] == example["@id"]
    assert {parent: len(parts) for parent, parts in session["parts"].items()} == {
        "0": 9,
        "13": 6,
        "22": 15,
    }


def test_exporting_it_again_keeps_the_map_s_name_and_resources(
    reingested: tuple[TestClient, str], example: dict[str, Any]
) -> None:
    client, session_id = reingested
    answer = client.get(f"/api/sessions/{session_id}/export?format=jsonld")
    assert 'filename="GOMMAPPSCCO.jsonld"' in answer.headers["content-disposition"]
    document = answer.json()
    assert (document["@id"], document["name"]) == (example["@id"], example["name"])
    titles = [entry["dc:title"] for entry in document["ore:describes"]["ore:aggregates"]]
    assert titles == [entry["dc:title"] for entry in example["ore:describes"]["ore:aggregates"]]


def test_enrich_looks_up_only_the_hollow_resources_and_force_all_dois(
    make_client: ClientFactory, example: dict[str, Any]
) -> None:
    example["ore:describes"]["ore:aggregates"][14].pop("dc:title")  # a hollow DOI
    client = make_client()
    session_id = client.post("/api/sessions", json=example).json()["id"]
    assert client.post(f"/api/sessions/{session_id}/enrich").json()["reset"] == 0
    pending = client.get(f"/api/sessions/{session_id}?status=pending").json()["resources"]
    assert [r["doi"] for r in pending] == ["10.82144/e98987b1"]
    _pretend_the_run_completed(client, session_id)
    forced = client.post(f"/api/sessions/{session_id}/enrich?force=true").json()
    assert forced["reset"] >= 5  # the enriched DOIs are looked up again
    pending = client.get(f"/api/sessions/{session_id}?status=pending").json()["resources"]
    assert {r["doi"] for r in pending if r["doi"]} == {
        r["identifier"]["@id"]
        for r in example["ore:describes"]["ore:aggregates"]
        if r["identifier"]["propertyID"] != "URL"
    }


def _pretend_the_run_completed(client: TestClient, session_id: str) -> None:
    status = ProcessingStatus.model_validate(
        client.get(f"/api/sessions/{session_id}/status").json()
    )
    completed = status.moved_to(JobState.COMPLETED, "done")
    client.portal.call(store_of(client).set_status, session_id, completed)  # type: ignore[union-attr]


def test_citation_formats_leave_hollow_resources_out_unless_include_all(
    make_client: ClientFactory,
) -> None:
    client = make_client()
    session_id = client.post(
        "/api/sessions", json={"identifiers": ["10.1000/a", "https://example.org/b"]}
    ).json()["id"]
    cited = client.get(f"/api/sessions/{session_id}/export?format=csl-json").json()
    everything = client.get(f"/api/sessions/{session_id}/export?format=csl-json&include=all")
    assert (len(cited), len(everything.json())) == (0, 2)

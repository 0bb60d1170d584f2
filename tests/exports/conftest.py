"""Fixtures of the export tests: a session in every status, the real CCO, its published output."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cco_enrich.ingest import IdentifierListIngestor
from cco_enrich.models import Author, Outcome, ProcessingStatus, Resource, Session, Work
from tests.exports.sample import (
    CREATED,
    DATA,
    MODIFIED,
    SICI,
    WORKS,
    collection_resources,
    enriched,
)


@pytest.fixture
def session() -> Session:
    """Every status: six enriched works, not_found (a SICI DOI), failed, pending, a URL, junk."""
    resources = [enriched(work) for work in WORKS] + [
        Resource(identifier=SICI.upper(), doi=SICI).with_outcome(Outcome.not_found(SICI)),
        Resource(identifier="10.5555/gone", doi="10.5555/gone").with_outcome(
            Outcome.failed("10.5555/gone", "gave up after 6 attempts: HTTP 503")
        ),
        Resource(identifier="https://doi.org/10.5555/later", doi="10.5555/later"),
        Resource(identifier="https://seamap.env.duke.edu/?", status="skipped", error="not a DOI"),
        Resource(identifier="not a doi", status="invalid", error="'not a doi' is not a DOI"),
    ]
    return Session(
        id="0123456789abcdef",
        metadata={"title": "Test CCO", "output_filename_slug": "Test CCO/ü"},
        resources=resources,
        processing_status=ProcessingStatus(updated_at=MODIFIED),
        created_at=CREATED,
    )


@pytest.fixture
def gommapps() -> Session:
    """The real CCO input, ingested, with its first DOI enriched."""
    with (DATA / "cco" / "gommapps_input.json").open(encoding="utf-8") as file:
        document = json.load(file)
    ingested = IdentifierListIngestor(max_identifiers=100, max_bytes=100_000).ingest_json(document)
    resources = list(ingested.resources)
    resources[14] = resources[14].with_outcome(
        Outcome.enriched(
            Work(
                doi="10.82144/e98987b1",
                registry="datacite",
                title="SEFSC GoMMAPPS 2017 Summer Aerial Survey",
                authors=(Author(name="OBIS-SEAMAP"),),
                year=2021,
                type="dataset",
            )
        )
    )
    return Session(
        id="f" * 32,
        metadata=ingested.metadata,
        resources=resources,
        processing_status=ProcessingStatus(updated_at=MODIFIED),
        created_at=CREATED,
    )


@pytest.fixture
def example() -> dict[str, Any]:
    with (DATA / "cco" / "gommapps_output.json").open(encoding="utf-8") as file:
        document: dict[str, Any] = json.load(file)
    return document


@pytest.fixture
def collection() -> Session:
    """A collection, its parts (one by DOI), an outside part and a pending Handle."""
    return Session(
        id="c" * 16,
        metadata={"title": "Parts", "landing_page": "https://www.boem.gov/GOMMAPPS/"},
        resources=collection_resources(),
        processing_status=ProcessingStatus(updated_at=MODIFIED),
        created_at=CREATED,
    )

"""CSL-JSON: one item per resource, keyed like BibTeX, and citeproc-py formats it right."""

from __future__ import annotations

import json
from typing import Any

from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON

from cco_enrich.exports.csl import render_csl_json
from cco_enrich.exports.vocab import citation_keys
from cco_enrich.models import Outcome, Resource, Session
from cco_enrich.registries.parse import work_from_datacite
from tests.exports.sample import SICI, WORKS


def bibliography(items: list[dict[str, Any]]) -> list[str]:
    """The items as citeproc-py prints them in the Harvard style it ships."""
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    formatted = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        formatted.register(Citation([CitationItem(item["id"])]))
    return [str(entry) for entry in formatted.bibliography()]


def test_csl_json_has_one_item_per_resource_keyed_like_bibtex(session: Session) -> None:
    items = json.loads(render_csl_json(session))
    assert [item["id"] for item in items] == citation_keys(session.resources)
    assert len({item["id"] for item in items}) == len(session.resources)


def test_csl_json_maps_fields_and_types(session: Session) -> None:
    article, preprint, chapter, dataset, special = json.loads(render_csl_json(session))[:5]
    assert article == {
        "id": "sadasivan2012methylphenidate",
        "type": "article-journal",
        "title": WORKS[0].title,
        "author": [
            {"family": "Sadasivan", "given": "Shankar"},
            {"family": "Pond", "given": "Brooks B."},
        ],
        "issued": {"date-parts": [[2012]]},
        "container-title": "PLoS ONE",
        "publisher": "Public Library of Science (PLoS)",
        "DOI": "10.1371/journal.pone.0033693",
        "URL": "https://doi.org/10.1371/journal.pone.0033693",
    }
    assert [preprint["type"], chapter["type"], dataset["type"]] == ["article", "chapter", "dataset"]
    assert dataset["author"][1] == {"literal": "Dryad Digital Repository"}
    assert special["author"][0] == {"family": "Nature"}


def test_citeproc_formats_the_enriched_works(session: Session) -> None:
    entries = bibliography(json.loads(render_csl_json(session))[:4])
    assert entries[0].startswith("Sadasivan, S. and Pond, B.B. (2012) “Methylphenidate Exposure")
    assert entries[2].startswith("Diercks, R.L. (2015) “Clinical Symptoms")


def test_a_datacite_creator_given_as_family_comma_given_is_cited_as_a_person() -> None:
    work = work_from_datacite(
        {
            "titles": [{"title": "Data from: A new malaria agent in African hominids."}],
            "creators": [{"name": "Arnathau, Céline"}, {"name": "Dryad Digital Repository"}],
            "publicationYear": 2011,
            "types": {"resourceTypeGeneral": "Dataset"},
        },
        "10.5061/dryad.8515",
    )
    resource = Resource(identifier="10.5061/dryad.8515", doi="10.5061/dryad.8515")
    session = Session(id="s" * 8, resources=[resource.with_outcome(Outcome.enriched(work))])
    (item,) = json.loads(render_csl_json(session))
    assert item["author"][0] == {"family": "Arnathau", "given": "Céline"}
    (entry,) = bibliography([item])
    assert entry.startswith("Arnathau, C. and Dryad Digital Repository (2011)")


def test_csl_json_carries_pubmed_and_isbn_ids() -> None:
    article = Resource(identifier="PMID: 31036960", pmid="31036960", pmcid="PMC5122160", title="A")
    book = Resource(identifier="ISBN 978-0-306-40615-7", isbn="9780306406157", title="B")
    first, second = json.loads(render_csl_json(Session(id="s" * 8, resources=[article, book])))
    assert (first["PMID"], first["PMCID"]) == ("31036960", "PMC5122160")
    assert first["URL"] == "https://pubmed.ncbi.nlm.nih.gov/31036960/"
    assert second["ISBN"] == "9780306406157"


def test_csl_json_keeps_a_resource_not_enriched_as_a_document_with_a_note(
    session: Session,
) -> None:
    not_found, _, pending, url, invalid = json.loads(render_csl_json(session))[6:]
    assert not_found["type"] == "document"
    assert not_found["DOI"] == SICI
    assert (
        not_found["note"] == f"cco_enrich: {SICI.upper()} is not_found: no registry knows this DOI"
    )
    assert pending["note"] == "cco_enrich: https://doi.org/10.5555/later is pending"
    assert url["URL"] == "https://seamap.env.duke.edu/?"
    assert invalid == {
        "id": "item11",
        "type": "document",
        "note": "cco_enrich: not a doi is invalid: 'not a doi' is not a DOI",
    }

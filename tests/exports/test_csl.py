"""CSL-JSON: one item per resource, keyed like BibTeX, with CSL types and names."""

from __future__ import annotations

import json

from cco_enrich.exports.csl import render_csl_json
from cco_enrich.exports.vocab import citation_keys
from cco_enrich.models import Session
from tests.exports.sample import SICI, WORKS


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

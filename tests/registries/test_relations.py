"""Relations in DataCite and Crossref records: DataCite's type names, targets as IRIs."""

from __future__ import annotations

from typing import Any

import pytest

from cco_enrich.models import Relation
from cco_enrich.registries.parse import work_from_crossref, work_from_datacite
from cco_enrich.registries.relations import (
    MAX_RELATIONS,
    relation_target,
    relations_from_crossref,
    relations_from_datacite,
)
from tests.fakes import load


def related(kind: str, id_type: str, value: str) -> dict[str, str]:
    return {"relationType": kind, "relatedIdentifierType": id_type, "relatedIdentifier": value}


@pytest.mark.parametrize(
    ("kind", "value", "target"),
    [
        ("DOI", "10.1371/JOURNAL.PPAT.1000446", "https://doi.org/10.1371/journal.ppat.1000446"),
        ("DOI", "https://doi.org/10.5061/dryad.8515", "https://doi.org/10.5061/dryad.8515"),
        ("DOI", "10.48550/arXiv.1902.02534", "https://doi.org/10.48550/arxiv.1902.02534"),
        ("URL", "https://seamap.env.duke.edu/?", "https://seamap.env.duke.edu/?"),
        ("URL", "http://dx.doi.org/10.5061/dryad.8515", "https://doi.org/10.5061/dryad.8515"),
        ("arXiv", "1902.02534", "https://arxiv.org/abs/1902.02534"),
        ("arXiv", "arXiv:hep-th/9901001", "https://arxiv.org/abs/hep-th/9901001"),
        ("Handle", "20.500.1234/5", "https://hdl.handle.net/20.500.1234/5"),
        ("ISBN", "978-0-306-40615-7", "urn:isbn:9780306406157"),
        ("PMID", "31036960", "https://pubmed.ncbi.nlm.nih.gov/31036960/"),
        ("pmcid", "PMC5122160", "https://pmc.ncbi.nlm.nih.gov/articles/PMC5122160/"),
        ("IGSN", "IECUR0097", "https://igsn.org/IECUR0097"),
        ("ARK", "ark:/13030/tf5p30086k", "https://n2t.net/ark:13030/tf5p30086k"),
        ("ISSN", "0028-0836", "urn:issn:0028-0836"),
        ("URN", "urn:nbn:de:101:1-2019", "urn:nbn:de:101:1-2019"),
    ],
)
def test_relation_target_is_the_canonical_iri(kind: str, value: str, target: str) -> None:
    assert relation_target(kind, value) == target


@pytest.mark.parametrize(
    ("kind", "value"),
    [("DOI", "not a doi"), ("bibcode", "2004AJ....127.3185M"), ("DOI", ""), ("URL", 42)],
)
def test_relation_target_drops_what_cannot_be_linked(kind: str, value: Any) -> None:
    assert relation_target(kind, value) is None


def test_datacite_parts_versions_and_supplements_are_kept() -> None:
    attributes = {
        "relatedIdentifiers": [
            related("IsPartOf", "URL", "https://www.ncei.noaa.gov/archive/accession/GOMMAPPS"),
            related("HasPart", "DOI", "10.82144/E98987B1"),
            related("IsVersionOf", "DOI", "10.1038/s41586-020-2649-2"),
            related("IsPreviousVersionOf", "DOI", "10.1162/qss_a_00023"),
            related("IsSupplementTo", "DOI", "10.1371/journal.ppat.1000446"),
        ],
        "relatedItems": [
            {
                "relationType": "IsPublishedIn",
                "relatedItemIdentifier": {
                    "relatedItemIdentifier": "0028-0836",
                    "relatedItemIdentifierType": "ISSN",
                },
            }
        ],
    }
    assert relations_from_datacite(attributes) == (
        Relation(
            type="IsPartOf", identifier="https://www.ncei.noaa.gov/archive/accession/GOMMAPPS"
        ),
        Relation(type="HasPart", identifier="https://doi.org/10.82144/e98987b1"),
        Relation(type="IsVersionOf", identifier="https://doi.org/10.1038/s41586-020-2649-2"),
        Relation(type="IsPreviousVersionOf", identifier="https://doi.org/10.1162/qss_a_00023"),
        Relation(type="IsSupplementTo", identifier="https://doi.org/10.1371/journal.ppat.1000446"),
        Relation(type="IsPublishedIn", identifier="urn:issn:0028-0836"),
    )


def test_datacite_citations_duplicates_and_junk_are_left_out() -> None:
    attributes = {
        "relatedIdentifiers": [
            related("Cites", "DOI", "10.1000/cited"),
            related("References", "DOI", "10.1000/ref"),
            related("HasPart", "DOI", "10.1000/part"),
            related("HasPart", "DOI", "https://doi.org/10.1000/PART"),
            {"relationType": "HasPart"},
            "junk",
            related("", "DOI", "10.1000/untyped"),
        ]
    }
    assert relations_from_datacite(attributes) == (
        Relation(type="HasPart", identifier="https://doi.org/10.1000/part"),
    )


def test_datacite_keeps_at_most_max_relations() -> None:
    parts = [related("HasPart", "DOI", f"10.1000/part{n}") for n in range(MAX_RELATIONS + 50)]
    assert len(relations_from_datacite({"relatedIdentifiers": parts})) == MAX_RELATIONS


def test_recorded_datacite_record_has_only_a_citation_so_no_relation() -> None:
    """Dryad's record names the article that cites it (IsCitedBy): a citation, not a part."""
    attributes = load("datacite_doi_dryad-8515.json")["data"]["attributes"]
    assert work_from_datacite(attributes, "10.5061/dryad.8515").relations == ()


def test_recorded_crossref_component_is_part_of_its_article() -> None:
    message = load("crossref_work_component_pmed-0030277-g001.json")["message"]
    work = work_from_crossref(message, "10.1371/journal.pmed.0030277.g001")
    assert work.relations == (
        Relation(type="IsPartOf", identifier="https://doi.org/10.1371/journal.pmed.0030277"),
    )


def test_recorded_crossref_reviews_become_is_reviewed_by() -> None:
    items = load("crossref_works_filter_3.json")["message"]["items"]
    qss = next(item for item in items if item["DOI"].lower() == "10.1162/qss_a_00348")
    relations = relations_from_crossref(qss)
    assert {r.type for r in relations} == {"IsReviewedBy"}
    assert (
        Relation(type="IsReviewedBy", identifier="https://doi.org/10.1162/qss_a_00348/v1/review2")
        in relations
    )
    assert len(relations) == 5


def test_crossref_preprint_and_unknown_keys() -> None:
    record = {
        "relation": {
            "is-preprint-of": [{"id-type": "doi", "id": "10.1038/X", "asserted-by": "subject"}],
            "is-related-material": [{"id-type": "uri", "id": "https://example.org/code"}],
            "cites": [{"id-type": "doi", "id": "10.1000/cited"}],
            "has-part": "not a list",
        }
    }
    assert relations_from_crossref(record) == (
        Relation(type="IsPreviousVersionOf", identifier="https://doi.org/10.1038/x"),
        Relation(type="IsRelatedMaterial", identifier="https://example.org/code"),
    )
    assert relations_from_crossref({"relation": []}) == ()

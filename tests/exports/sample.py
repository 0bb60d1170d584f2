"""The sessions the export tests render: six real works and one resource in every other status."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cco_enrich.models import Author, Outcome, Relation, Resource, Work

DATA = Path(__file__).parent.parent / "data"
SICI = "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0"
CREATED = datetime(2025, 11, 12, 9, 30, tzinfo=UTC)
MODIFIED = datetime(2025, 11, 19, 17, 0, tzinfo=UTC)

# Values from the recorded registry answers in tests/data/registry/.
WORKS = [
    Work(
        doi="10.1371/journal.pone.0033693",
        registry="crossref",
        title="Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia "
        "in the Basal Ganglia of Mice",
        authors=(
            Author(given="Shankar", family="Sadasivan"),
            Author(given="Brooks B.", family="Pond"),
        ),
        year=2012,
        container_title="PLoS ONE",
        type="journal-article",
        publisher="Public Library of Science (PLoS)",
        url="https://doi.org/10.1371/journal.pone.0033693",
    ),
    Work(
        doi="10.1101/2020.12.01.406702",
        registry="crossref",
        title="Identification of a novel cationic glycolipid in Streptococcus agalactiae that "
        "contributes to brain entry and meningitis",
        authors=(
            Author(given="Luke R.", family="Joyce", orcid="https://orcid.org/0000-0002-9346-671X"),
            Author(
                given="Jéssica da C.",
                family="Mendonça",
                orcid="https://orcid.org/0000-0002-2555-4582",
            ),
        ),
        year=2020,
        type="posted-content",
        publisher="openRxiv",
        url="https://doi.org/10.1101/2020.12.01.406702",
    ),
    Work(
        doi="10.1007/978-3-662-46370-3_13",
        registry="crossref",
        title="Clinical Symptoms and Physical Examinations",
        authors=(Author(given="Ronald L.", family="Diercks"),),
        year=2015,
        container_title="Shoulder Stiffness",
        type="book-chapter",
        publisher="Springer Berlin Heidelberg",
        url="https://doi.org/10.1007/978-3-662-46370-3_13",
    ),
    Work(
        doi="10.5061/dryad.8515",
        registry="datacite",
        title="Data from: A new malaria agent in African hominids.",
        authors=(
            Author(given="Céline", family="Arnathau"),
            Author(name="Dryad Digital Repository"),
        ),
        year=2011,
        type="dataset",
        publisher="Dryad",
        url="https://doi.org/10.5061/dryad.8515",
    ),
    Work(
        doi="10.1038/d41586-020-02761-z",
        registry="crossref",
        title="Costs & benefits: 50% of $x_1$ {braces} #tag ~ ^ back\\slash",
        authors=(Author(family="Nature"), Author(name='=HYPERLINK("http://evil")')),
        year=2020,
        container_title="-2+3",
        type="journal-article",
        publisher="@publisher",
        url="https://doi.org/10.1038/d41586-020-02761-z",
    ),
    Work(
        doi="10.1038/second",
        registry="crossref",
        title="Costs of everything",
        authors=(Author(family="Nature"),),
        year=2020,
        type="journal-article",
    ),
]


def enriched(work: Work) -> Resource:
    return Resource(identifier=work.doi.upper(), doi=work.doi).with_outcome(Outcome.enriched(work))


COLLECTION = "https://www.ncei.noaa.gov/archive/accession/GOMMAPPS"
PART_URL = "https://www.ncei.noaa.gov/archive/accession/242273"
PART_DOI = "10.82144/e98987b1"
OUTSIDE = "https://www.fisheries.noaa.gov/inport/item/70318"


def collection_resources() -> list[Resource]:
    """A collection with two parts in the CCO (one named by HasPart, one saying IsPartOf), a
    part link to a dataset outside it, a version link and a resource given as a Handle."""
    collection = Work(
        doi=None,
        registry="landing-page",
        source="landing-page",
        title="Cetacean, sea turtle, and seabird observations (GOMMAPPS)",
        type="collection",
        url=COLLECTION,
        date_created="2021-10-04",
        temporal_coverage="2003-06-12/2020-02-12",
        relations=(
            Relation(type="HasPart", identifier=PART_URL),
            Relation(type="HasPart", identifier=OUTSIDE),
        ),
    )
    part_by_doi = Work(
        doi=PART_DOI,
        registry="datacite",
        title="SEFSC GoMMAPPS 2017 Summer Aerial Survey",
        type="dataset",
        authors=(Author(family="Garrison", given="Lance"),),
        contributors=(Author(name="Southeast Fisheries Science Center"),),
        relations=(
            Relation(type="IsPartOf", identifier=COLLECTION + "/"),
            Relation(type="IsVersionOf", identifier="https://doi.org/10.82144/older"),
        ),
    )
    part = Work(
        doi=None,
        registry="landing-page",
        title="Twin Otter survey TO18Wi (NCEI Accession 0242273)",
        type="dataset",
    )
    return [
        Resource(identifier=COLLECTION, scheme="url", pid=COLLECTION).with_outcome(
            Outcome.enriched(collection, key=COLLECTION)
        ),
        Resource(identifier=PART_URL, scheme="url", pid=PART_URL).with_outcome(
            Outcome.enriched(part, key=PART_URL)
        ),
        Resource(identifier=f"https://doi.org/{PART_DOI}", doi=PART_DOI, scheme="doi").with_outcome(
            Outcome.enriched(part_by_doi)
        ),
        Resource(identifier="hdl:20.500.12345/abc", scheme="handle", pid="20.500.12345/abc"),
    ]

"""The sessions the export tests render: six real works and one resource in every other status."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cco_enrich.models import Author, Outcome, Resource, Work

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

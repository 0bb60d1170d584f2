"""CSV: one row per resource with every column, and no spreadsheet formula gets through."""

from __future__ import annotations

from cco_enrich.exports.table import COLUMNS, render_csv
from cco_enrich.models import Author, Resource, Session
from tests.exports.readers import read_csv
from tests.exports.sample import WORKS


def test_csv_has_one_row_per_resource_with_every_field(session: Session) -> None:
    text = render_csv(session)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = read_csv(text)
    assert len(rows) == len(session.resources)
    assert rows[1] == {
        "identifier": "10.1101/2020.12.01.406702",
        "doi": "10.1101/2020.12.01.406702",
        "status": "enriched",
        "title": WORKS[1].title,
        "authors": "Joyce, Luke R.; Mendonça, Jéssica da C.",
        "author_orcids": "https://orcid.org/0000-0002-9346-671X; https://orcid.org/0000-0002-2555-4582",
        "year": "2020",
        "container_title": "",
        "type": "article",
        "publisher": "openRxiv",
        "url": "https://doi.org/10.1101/2020.12.01.406702",
        "registry": "crossref",
        "error": "",
        "scheme": "",
        "pid": "",
        "source": "crossref",
        "pmid": "",
        "pmcid": "",
        "arxiv": "",
        "isbn": "",
    }


def test_csv_types_use_one_vocabulary_whichever_registry_answered(session: Session) -> None:
    """Crossref's `journal-article` and DataCite's `dataset` both come out as CSL types."""
    types = [row["type"] for row in read_csv(render_csv(session))[:4]]
    assert types == ["article-journal", "article", "chapter", "dataset"]


def test_csv_orcids_line_up_with_the_authors() -> None:
    authors = (
        Author(given="A", family="First"),
        Author(given="B", family="Second", orcid="https://orcid.org/0000-0002-1825-0097"),
        Author(name="Third Org"),
    )
    resource = Resource(identifier="10.5555/x", doi="10.5555/x", title="T", authors=authors)
    (row,) = read_csv(render_csv(Session(id="s" * 8, resources=[resource])))
    names, orcids = row["authors"].split("; "), row["author_orcids"].split("; ")
    assert len(names) == len(orcids) == 3
    assert orcids == ["", "https://orcid.org/0000-0002-1825-0097", ""]


def test_csv_keeps_status_and_error_of_a_resource_not_enriched(session: Session) -> None:
    rows = read_csv(render_csv(session))
    assert [(r["status"], r["error"]) for r in rows[6:]] == [
        ("not_found", "no registry knows this DOI"),
        ("failed", "gave up after 6 attempts: HTTP 503"),
        ("pending", ""),
        ("skipped", "not a DOI"),
        ("invalid", "'not a doi' is not a DOI"),
    ]


def test_csv_defuses_spreadsheet_formulas(session: Session) -> None:
    row = read_csv(render_csv(session))[4]
    assert row["authors"] == 'Nature; =HYPERLINK("http://evil")'  # not first: harmless
    assert (row["container_title"], row["publisher"]) == ("'-2+3", "'@publisher")
    assert row["title"].startswith("Costs & benefits")

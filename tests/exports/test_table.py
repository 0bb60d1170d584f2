"""CSV: one row per resource with every column, and no spreadsheet formula gets through."""

from __future__ import annotations

from cco_enrich.exports.table import COLUMNS, render_csv
from cco_enrich.models import Session
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
        "type": "posted-content",
        "publisher": "openRxiv",
        "url": "https://doi.org/10.1101/2020.12.01.406702",
        "registry": "crossref",
        "error": "",
    }


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

"""The session as CSV: one row per resource with every field, its status and its error.

`type` is the CSL type (one vocabulary whichever source answered), and `author_orcids` lines up
with `authors`: one entry per author, empty for an author without an ORCID.
"""

from __future__ import annotations

import csv
import io

from cco_enrich.exports.vocab import author_name, type_names
from cco_enrich.models import Resource, Session

COLUMNS = (
    "identifier",
    "doi",
    "status",
    "title",
    "authors",
    "author_orcids",
    "year",
    "container_title",
    "type",
    "publisher",
    "url",
    "registry",
    "error",
    "scheme",
    "pid",
    "source",
    "pmid",
    "pmcid",
    "arxiv",
    "isbn",
)
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render_csv(session: Session) -> str:
    """A header row, then one row per resource; authors joined as 'Family, Given; ...'."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows([_guard(cell) for cell in csv_row(resource)] for resource in session.resources)
    return buffer.getvalue()


def csv_row(resource: Resource) -> list[str]:
    """The cells of one resource, in COLUMNS order; missing values are empty."""
    return [
        resource.identifier,
        resource.doi or "",
        resource.status.value,
        resource.title or "",
        "; ".join(author_name(author) for author in resource.authors),
        _orcids(resource),
        str(resource.year) if resource.year else "",
        resource.container_title or "",
        type_names(resource).csl if resource.type else "",
        resource.publisher or "",
        resource.url or "",
        resource.registry or "",
        resource.error or "",
        resource.scheme or "",
        resource.pid or "",
        resource.source or resource.registry or "",
        resource.pmid or "",
        resource.pmcid or "",
        resource.arxiv or "",
        resource.isbn or "",
    ]


def _orcids(resource: Resource) -> str:
    """The authors' ORCIDs in author order, '' for each author without one; '' when none has."""
    if not any(author.orcid for author in resource.authors):
        return ""
    return "; ".join(author.orcid or "" for author in resource.authors)


def _guard(cell: str) -> str:
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell

"""The session as CSV: one row per resource with every field, its status and its error."""

from __future__ import annotations

import csv
import io

from cco_enrich.exports.vocab import author_name
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
        "; ".join(author.orcid or "" for author in resource.authors if author.orcid),
        str(resource.year) if resource.year else "",
        resource.container_title or "",
        resource.type or "",
        resource.publisher or "",
        resource.url or "",
        resource.registry or "",
        resource.error or "",
    ]


def _guard(cell: str) -> str:
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell

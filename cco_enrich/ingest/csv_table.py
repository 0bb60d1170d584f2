"""CSV and TSV files -> identifiers: which column holds them, and rows that hold none."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from cco_enrich.errors import InputError
from cco_enrich.identifiers import InvalidIdentifier, parse_identifier
from cco_enrich.ingest.resources import TRIM, build_resource
from cco_enrich.models import Resource, ResourceStatus

# Header names (lower-case, letters and digits only) of an identifier column, best first.
_CSV_HEADERS = ("doi", "dois", "identifier", "identifiers", "pid", "pids", "resourcepids", "id",
                "url", "urls")  # fmt: skip
_CSV_DELIMITERS = ",;\t"


def csv_resources(text: str) -> list[Resource] | None:
    """The resources of the identifier column (doi, identifier, pid, id, url; else the first).

    None when the file is really one identifier a line (read it as text instead): without a
    header row, a file whose every line is one whole DOI or URL is never split at a delimiter,
    so that an unquoted SICI DOI ("...;2-0") is never cut at its ';'. A row with other cells
    but no identifier becomes an invalid resource rather than vanishing.
    """
    text = text.lstrip("\ufeff")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:65536], delimiters=_CSV_DELIMITERS
        )
    except csv.Error:
        dialect = csv.excel  # one column, or too little text to tell
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        rows = [(reader.line_num, row) for row in reader if any(c.strip(TRIM) for c in row)]
    except csv.Error as exc:  # a field over csv.field_size_limit(), a NUL in a quote, ...
        msg = f"the CSV file cannot be read at line {reader.line_num}: {exc}."
        raise InputError(msg) from None
    column = _csv_identifier_column(rows[0][1]) if rows else None
    if column is None and _is_one_identifier_a_line(text, rows):
        return None
    if column is None:
        column, name = 0, "1"
    else:
        name, rows = repr(rows[0][1][column].strip(TRIM)), rows[1:]
    return list(_column_resources(rows, column, name, dialect))


def _column_resources(
    rows: list[tuple[int, list[str]]],
    column: int,
    name: str,
    dialect: type[csv.Dialect] | csv.Dialect,
) -> Iterator[Resource]:
    for line, row in rows:
        cell = row[column].strip(TRIM) if column < len(row) else ""
        if cell:
            yield build_resource(cell)
        else:
            yield _csv_row_without_identifier(row, line, name, dialect)


def _csv_identifier_column(header: list[str]) -> int | None:
    """The index of the identifier column when `header` names one, else None (no header row)."""
    names = [re.sub(r"[^a-z0-9]", "", cell.strip(TRIM).lower()) for cell in header]
    for wanted in _CSV_HEADERS:
        if wanted in names:
            return names.index(wanted)
    return None


def _is_one_identifier_a_line(text: str, rows: list[tuple[int, list[str]]]) -> bool:
    """Whether the delimiter split some row although every line is one whole DOI or URL."""
    if all(len(row) < 2 for _, row in rows):
        return False
    lines = [line for line in text.splitlines() if line.strip(TRIM)]
    return all(not isinstance(parse_identifier(line), InvalidIdentifier) for line in lines)


def _csv_row_without_identifier(
    row: list[str], line: int, column: str, dialect: type[csv.Dialect] | csv.Dialect
) -> Resource:
    cells = str(dialect.delimiter).join(" ".join(cell.split()) for cell in row)
    return Resource(
        identifier=cells,
        status=ResourceStatus.INVALID,
        error=f"CSV row ending on line {line} has no identifier in column {column}.",
    )

"""IdentifierListIngestor: a body or upload (JSON, text, CSV, BibTeX) -> resources, in order."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import orjson
from bibtexparser.entrypoint import parse_string
from bibtexparser.model import Block, Entry, ParsingFailedBlock

from cco_enrich.errors import InputError, InputTooLargeError
from cco_enrich.identifiers import InvalidIdentifier, ParsedIdentifier, Scheme, parse_identifier
from cco_enrich.models import Resource, ResourceStatus

URL_NOT_A_DOI = "not a DOI; kept as given"
MAX_IDENTIFIER_CHARS = 2048  # far above any real DOI or URL; more is pasted text, not an id
BIBTEX_NO_DOI = "BibTeX entry has no DOI"

# Header names (lower-case, letters and digits only) of an identifier column, best first.
_CSV_HEADERS = ("doi", "dois", "identifier", "identifiers", "pid", "pids", "resourcepids", "id",
                "url", "urls")  # fmt: skip
_CSV_DELIMITERS = ",;\t"
_TRIM = " \t\r\n\f\v\u00a0\u200b\u200c\u200d\u2060\ufeff"

_LATEX_ACCENTS = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "r": "\u030a",
    "k": "\u0328",
}  # fmt: skip
_LATEX_LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
    "aa": "å", "AA": "Å", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ",
}  # fmt: skip
_LATEX_TOKEN = re.compile(
    r"""
      \\([&%$\#_{}])                                              # escaped symbol: kept
    | \\([."'`^~=]|[cvuHrk](?![A-Za-z]))\s*\{?\s*\\?([A-Za-z])\}?  # accent on a letter
    | \\(ss|ae|AE|oe|OE|aa|AA|[oOlLij])(?![A-Za-z])\s*            # letter made by a command
    | \\[A-Za-z]+\*?\s*                                           # other command: text stays
    | \\\\ | [{}$~]                                               # line break, groups, math, tie
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """The resources read from one input, in input order, with their counts."""

    resources: list[Resource]
    metadata: dict[str, Any]
    total: int
    dois: int
    duplicates: int
    invalid: int
    skipped: int
    callback_url: str | None = None


def build_resource(identifier: str) -> Resource:
    """The resource for one identifier as given: a pending PID, a skipped URL, or invalid.

    Every scheme but a plain URL is pending; an arXiv id also has its DOI, so it takes the
    DOI path. PMIDs, PMCIDs, ISBNs, Handles, IGSNs and ARKs wait for their resolvers.
    """
    identifier = identifier.strip(_TRIM)
    if len(identifier) > MAX_IDENTIFIER_CHARS:
        return Resource(
            identifier=identifier,
            status=ResourceStatus.INVALID,
            error=f"{len(identifier):,} characters long; no DOI or URL is over "
            f"{MAX_IDENTIFIER_CHARS:,}.",
        )
    parsed = parse_identifier(identifier)
    if isinstance(parsed, InvalidIdentifier):
        return Resource(identifier=identifier, status=ResourceStatus.INVALID, error=parsed.message)
    resource = Resource(
        identifier=identifier, scheme=parsed.scheme.value, pid=parsed.pid, **parsed.ids()
    )
    if parsed.scheme is Scheme.URL:
        return resource.model_copy(
            update={"status": ResourceStatus.SKIPPED, "error": URL_NOT_A_DOI}
        )
    return resource


class _Collector:
    """Resources in input order, merging repeats: by DOI, else by scheme and normalised PID."""

    def __init__(self, max_identifiers: int) -> None:
        self.max_identifiers = max_identifiers
        self.resources: list[Resource] = []
        self.duplicates = 0
        self._seen: set[str] = set()

    def add(self, resource: Resource) -> None:
        if resource.doi:
            key = f"doi:{resource.doi}"
        elif resource.pid:
            key = f"{resource.scheme}:{resource.pid}"
        else:
            key = f"id:{resource.identifier}"
        if key in self._seen:
            self.duplicates += 1
            return
        if len(self.resources) >= self.max_identifiers:
            msg = (
                f"more than {self.max_identifiers} identifiers; the limit is set by "
                "CCO_MAX_IDENTIFIERS. Split the list into several sessions or raise the limit."
            )
            raise InputTooLargeError(msg)
        self._seen.add(key)
        self.resources.append(resource)

    def result(
        self, what: str, metadata: dict[str, Any], callback_url: str | None = None
    ) -> IngestResult:
        if not self.resources:
            msg = f"no identifiers found; {what}"
            raise InputError(msg)
        if all(r.status is ResourceStatus.INVALID for r in self.resources):
            # Nothing to enrich and nothing to keep: say why now rather than store a dud session.
            first = self.resources[0].error or ""
            msg = (
                f"none of the {len(self.resources)} identifier(s) is a DOI or a URL, so there is "
                f"nothing to enrich; the first: {first[:300]}"
            )
            raise InputError(msg)
        statuses = [r.status for r in self.resources]
        return IngestResult(
            resources=self.resources,
            metadata=metadata,
            total=len(self.resources),
            dois=sum(1 for r in self.resources if r.doi),
            duplicates=self.duplicates,
            invalid=statuses.count(ResourceStatus.INVALID),
            skipped=statuses.count(ResourceStatus.SKIPPED),
            callback_url=callback_url,
        )


class IdentifierListIngestor:
    """Reads identifier lists in every input format, within the configured size limits."""

    def __init__(self, *, max_identifiers: int, max_bytes: int) -> None:
        self.max_identifiers = max_identifiers
        self.max_bytes = max_bytes

    def ingest_json(self, payload: Any) -> IngestResult:
        """`{"identifiers", "metadata", "callback_url"}` or `{"cco_metadata", "resource_pids"}`."""
        if not isinstance(payload, dict):
            msg = (
                f"expected a JSON object, got {_json_kind(payload)}; send "
                '{"identifiers": ["10.5555/12345678", ...], "metadata": {...}} or a CCO input '
                'document {"cco_metadata": {...}, "resource_pids": [...]}.'
            )
            raise InputError(msg)
        if "resource_pids" in payload:
            list_key, metadata_key = "resource_pids", "cco_metadata"
        else:
            list_key, metadata_key = "identifiers", "metadata"
        unknown = sorted(set(payload) - {list_key, metadata_key, "callback_url"})
        if unknown:
            msg = (
                f"unexpected key(s) {', '.join(map(repr, unknown))} in the JSON body; expected "
                f"{list_key!r}, {metadata_key!r} and 'callback_url'."
            )
            raise InputError(msg)
        _check_storable(payload)
        identifiers = _json_identifiers(payload.get(list_key), list_key)
        metadata = payload.get(metadata_key)
        metadata = {} if metadata is None else metadata
        if not isinstance(metadata, dict):
            msg = f"{metadata_key!r} must be a JSON object, got {_json_kind(metadata)}."
            raise InputError(msg)
        callback_url = payload.get("callback_url")
        if callback_url is not None and not isinstance(callback_url, str):
            msg = f"'callback_url' must be a string, got {_json_kind(callback_url)}."
            raise InputError(msg)
        collector = _Collector(self.max_identifiers)
        for identifier in identifiers:
            collector.add(build_resource(identifier))
        return collector.result(f"{list_key!r} is empty.", metadata, callback_url or None)

    def ingest_text(self, text: str) -> IngestResult:
        """One identifier a line; blank lines and lines starting with '#' are ignored.

        A line is never split on tabs or spaces: "DOI: 10.1000/x" holds a space, and a line with
        extra words is better reported as invalid than guessed at. Use CSV for several columns.
        """
        self._check_size(len(text.encode("utf-8", "surrogatepass")))
        collector = _Collector(self.max_identifiers)
        for line in text.splitlines():
            identifier = line.strip(_TRIM)
            if identifier and not identifier.startswith("#"):
                collector.add(build_resource(identifier))
        return collector.result("give one DOI or URL a line.", {})

    def ingest_csv(self, text: str) -> IngestResult:
        """The identifier column of a CSV file (doi, identifier, pid, id, url; else the first).

        The delimiter (',', ';' or tab) is sniffed. Without a header row, a file whose every line
        is one whole DOI or URL is read one identifier a line, so that an unquoted SICI DOI
        ("...;2-0") is never cut at its ';'. A row with other cells but no identifier becomes an
        invalid resource rather than vanishing.
        """
        self._check_size(len(text.encode("utf-8", "surrogatepass")))
        text = text.lstrip("\ufeff")
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                text[:65536], delimiters=_CSV_DELIMITERS
            )
        except csv.Error:
            dialect = csv.excel  # one column, or too little text to tell
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        try:
            rows = [(reader.line_num, row) for row in reader if any(c.strip(_TRIM) for c in row)]
        except csv.Error as exc:  # a field over csv.field_size_limit(), a NUL in a quote, ...
            msg = f"the CSV file cannot be read at line {reader.line_num}: {exc}."
            raise InputError(msg) from None
        column = _csv_identifier_column(rows[0][1]) if rows else None
        if column is None and _is_one_identifier_a_line(text, rows):
            return self.ingest_text(text)
        if column is None:
            column, name = 0, "1"
        else:
            name, rows = repr(rows[0][1][column].strip(_TRIM)), rows[1:]
        collector = _Collector(self.max_identifiers)
        for line, row in rows:
            cell = row[column].strip(_TRIM) if column < len(row) else ""
            if cell:
                collector.add(build_resource(cell))
            else:
                collector.add(_csv_row_without_identifier(row, line, name, dialect))
        return collector.result("the CSV file has no rows under its header.", {})

    def ingest_bibtex(self, text: str) -> IngestResult:
        """One resource per BibTeX entry: its `doi` field, else a doi.org `url`, else skipped."""
        self._check_size(len(text.encode("utf-8", "surrogatepass")))
        library = parse_string(text)
        collector = _Collector(self.max_identifiers)
        for block in library.blocks:
            resource = _bibtex_resource(block)
            if resource is not None:
                collector.add(resource)
        return collector.result("the BibTeX file has no entries.", {})

    def ingest_upload(self, filename: str, content: bytes) -> IngestResult:
        """An uploaded file, read by its extension: .txt, .csv, .tsv, .bib or .json."""
        suffix = PurePath(filename).suffix.lower()
        if suffix not in _UPLOAD_KINDS:
            msg = (
                f"cannot read {filename!r}: unsupported file type {suffix or '(none)'!r}; "
                f"upload one of {', '.join(sorted(_UPLOAD_KINDS))}."
            )
            raise InputError(msg)
        return self.ingest_body(content, _UPLOAD_KINDS[suffix], source=repr(filename))

    def ingest_body(
        self, content: bytes, media_type: str, *, source: str = "the body"
    ) -> IngestResult:
        """A request body of a given media type (JSON, text/plain, text/csv, BibTeX), UTF-8."""
        self._check_size(len(content))
        kind = media_type.split(";", 1)[0].strip().lower()
        if kind not in _MEDIA_TYPES:
            msg = (
                f"cannot read a {kind or 'missing'!r} body; send one of "
                f"{', '.join(sorted(_MEDIA_TYPES))}."
            )
            raise InputError(msg)
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            msg = (
                f"{source} is not UTF-8 text (bad byte at offset {exc.start}); "
                "save it as UTF-8 and send it again."
            )
            raise InputError(msg) from None
        reader = _MEDIA_TYPES[kind]
        if reader == "json":
            return self.ingest_json(_load_json(text, source))
        if reader == "csv":
            return self.ingest_csv(text)
        if reader == "bibtex":
            return self.ingest_bibtex(text)
        return self.ingest_text(text)

    def _check_size(self, size: int) -> None:
        if size > self.max_bytes:
            msg = (
                f"the input is {size} bytes, over the limit of {self.max_bytes} bytes set by "
                "CCO_MAX_UPLOAD_BYTES; split it into several sessions or raise the limit."
            )
            raise InputTooLargeError(msg)


_UPLOAD_KINDS = {
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".bib": "application/x-bibtex",
    ".json": "application/json",
}
_MEDIA_TYPES = {
    "application/json": "json",
    "application/ld+json": "json",
    "text/plain": "text",
    "text/csv": "csv",
    "text/tab-separated-values": "csv",
    "application/x-bibtex": "bibtex",
    "text/x-bibtex": "bibtex",
}
READABLE_MEDIA_TYPES = frozenset(_MEDIA_TYPES)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({json.dumps(value)})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a string ({value[:60]!r})"
    return "a list" if isinstance(value, list) else "an object"


def _json_identifiers(value: Any, key: str) -> list[str]:
    if not isinstance(value, list):
        msg = f"{key!r} must be a list of identifier strings, got {_json_kind(value)}."
        raise InputError(msg)
    for position, item in enumerate(value):
        if not isinstance(item, str) or not item.strip(_TRIM):
            kind = "a blank string" if isinstance(item, str) else _json_kind(item)
            msg = (
                f"{key}[{position}] is {kind}; every identifier must be a non-blank string "
                "such as '10.5555/12345678' or 'https://example.org/data'."
            )
            raise InputError(msg)
    return value


def _load_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        raise InputError(msg) from None
    except ValueError as exc:  # a number of more than 4,300 digits
        msg = f"{source} is not JSON we can read: {exc}."
        raise InputError(msg) from None
    except RecursionError:
        msg = f'{source} nests JSON too deeply; send {{"identifiers": [...]}}.'
        raise InputError(msg) from None


def _check_storable(payload: Any) -> None:
    """Refuse JSON that parses but cannot be stored: lone surrogates (\\ud800), 255+ levels deep."""
    try:
        orjson.dumps(payload)
    except orjson.JSONEncodeError as exc:
        msg = f"the JSON body cannot be stored: {exc}."
        raise InputError(msg) from None


def _csv_identifier_column(header: list[str]) -> int | None:
    """The index of the identifier column when `header` names one, else None (no header row)."""
    names = [re.sub(r"[^a-z0-9]", "", cell.strip(_TRIM).lower()) for cell in header]
    for wanted in _CSV_HEADERS:
        if wanted in names:
            return names.index(wanted)
    return None


def _is_one_identifier_a_line(text: str, rows: list[tuple[int, list[str]]]) -> bool:
    """Whether the delimiter split some row although every line is one whole DOI or URL."""
    if all(len(row) < 2 for _, row in rows):
        return False
    lines = [line for line in text.splitlines() if line.strip(_TRIM)]
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


def _bibtex_resource(block: Block) -> Resource | None:
    """The resource for one BibTeX block; None for @string, @preamble and comments."""
    if isinstance(block, ParsingFailedBlock):
        if isinstance(block.ignore_error_block, Entry):
            # A duplicate key or field: the entry itself was read, so its DOI still counts.
            return _bibtex_resource(block.ignore_error_block)
        line = block.start_line + 1 if block.start_line is not None else "?"
        raw_lines = (block.raw or "").strip(_TRIM).splitlines() or ["?"]
        reason = str(block.error) or type(block.error).__name__
        return Resource(
            identifier=raw_lines[0][:120],
            status=ResourceStatus.INVALID,
            error=f"BibTeX entry at line {line} could not be parsed ({reason}); check its braces.",
        )
    if not isinstance(block, Entry):
        return None
    fields = {field.key.lower(): str(field.value) for field in block.fields}
    title = _decode_latex(fields["title"]) if fields.get("title") else None
    url = fields.get("url", "").strip(_TRIM)
    raw_doi = fields.get("doi", "").strip(_TRIM)
    if raw_doi:
        resource = build_resource(raw_doi)
        if resource.status is ResourceStatus.INVALID:
            return resource.model_copy(update={"title": title})
        return resource
    for candidate in filter(None, (url, *_bibtex_pids(fields))):
        parsed = parse_identifier(candidate)
        if isinstance(parsed, ParsedIdentifier) and parsed.scheme is not Scheme.URL:
            return build_resource(candidate)
    # A URL means something outside this file; a citation key does not, so it comes second.
    return Resource(
        identifier=url or block.key,
        status=ResourceStatus.SKIPPED,
        title=title or None,
        error=BIBTEX_NO_DOI,
    )


def _bibtex_pids(fields: dict[str, str]) -> list[str]:
    """Identifiers other than a DOI an entry may hold: arXiv `eprint`, `pmid`, `pmcid`, `isbn`."""
    pids = []
    eprint = fields.get("eprint", "").strip(_TRIM)
    if eprint and fields.get("archiveprefix", "arXiv").strip(_TRIM).lower() == "arxiv":
        pids.append(f"arXiv:{eprint}")
    for name, label in (("pmid", "PMID:"), ("pmcid", "PMCID:"), ("isbn", "ISBN ")):
        if fields.get(name, "").strip(_TRIM):
            pids.append(label + fields[name].strip(_TRIM))
    return pids


def _decode_latex(value: str) -> str:
    """BibTeX field text as plain Unicode: accents composed, commands and braces dropped."""

    def replace(match: re.Match[str]) -> str:
        symbol, accent, letter, named = match.group(1, 2, 3, 4)
        if symbol:
            return symbol
        if accent:
            # \'{\i} is an accented dotless i, which Unicode spells as an accented plain i.
            return letter + _LATEX_ACCENTS[accent]
        if named:
            return _LATEX_LETTERS[named]
        return " " if match.group() in ("~", "\\\\") else ""

    text = _LATEX_TOKEN.sub(replace, value).replace("---", "\u2014").replace("--", "\u2013")
    return " ".join(unicodedata.normalize("NFC", text).split())

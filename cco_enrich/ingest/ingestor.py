"""IdentifierListIngestor: a body or upload of any media type we read -> an IngestResult."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from cco_enrich.errors import InputError, InputTooLargeError
from cco_enrich.ingest.bibtex import bibtex_resources
from cco_enrich.ingest.csv_table import csv_resources
from cco_enrich.ingest.json_body import load_json, read_json_document
from cco_enrich.ingest.resources import TRIM, IngestResult, ResourceCollector, build_resource

_UPLOAD_KINDS = {
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".bib": "application/x-bibtex",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
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


class IdentifierListIngestor:
    """Reads identifier lists in every input format, within the configured size limits."""

    def __init__(self, *, max_identifiers: int, max_bytes: int) -> None:
        self.max_identifiers = max_identifiers
        self.max_bytes = max_bytes

    def ingest_json(self, payload: Any) -> IngestResult:
        """An identifier list, a CCO input document, or a finished CCO (`ore:ResourceMap`)."""
        return read_json_document(payload, self.max_identifiers)

    def ingest_text(self, text: str) -> IngestResult:
        """One identifier a line; blank lines and lines starting with '#' are ignored.

        A line is never split on tabs or spaces: "DOI: 10.1000/x" holds a space, and a line with
        extra words is better reported as invalid than guessed at. Use CSV for several columns.
        """
        self._check_size(len(text.encode("utf-8", "surrogatepass")))
        collector = ResourceCollector(self.max_identifiers)
        for line in text.splitlines():
            identifier = line.strip(TRIM)
            if identifier and not identifier.startswith("#"):
                collector.add(build_resource(identifier))
        return collector.result("give one identifier a line.", {})

    def ingest_csv(self, text: str) -> IngestResult:
        """The identifier column of a CSV file (doi, identifier, pid, id, url; else the first)."""
        self._check_size(len(text.encode("utf-8", "surrogatepass")))
        resources = csv_resources(text)
        if resources is None:
            return self.ingest_text(text)
        collector = ResourceCollector(self.max_identifiers)
        for resource in resources:
            collector.add(resource)
        return collector.result("the CSV file has no rows under its header.", {})

    def ingest_bibtex(self, text: str) -> IngestResult:
        """One resource per BibTeX entry: its `doi` field, else another id, else skipped."""
        self._check_size(len(text.encode("utf-8", "surrogatepass")))
        collector = ResourceCollector(self.max_identifiers)
        for resource in bibtex_resources(text):
            collector.add(resource)
        return collector.result("the BibTeX file has no entries.", {})

    def ingest_upload(self, filename: str, content: bytes) -> IngestResult:
        """An uploaded file, read by its extension: .txt, .csv, .tsv, .bib, .json or .jsonld."""
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
            return self.ingest_json(load_json(text, source))
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

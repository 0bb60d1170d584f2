"""Input parsing: a body or upload (JSON, text, CSV, BibTeX, a finished CCO) -> resources, in order.

resources.py      build_resource(), the collector that merges repeats, IngestResult
ingestor.py       IdentifierListIngestor: media types, uploads, size limits
json_body.py      identifier lists and CCO input documents; resource_map.py and map_entries.py
                  read a finished CCO (`ore:ResourceMap`) back to edit and re-enrich it
csv_table.py      the identifier column of a CSV/TSV file
bibtex.py         BibTeX entries, LaTeX decoded
"""

from __future__ import annotations

from cco_enrich.ingest.bibtex import BIBTEX_NO_DOI
from cco_enrich.ingest.ingestor import READABLE_MEDIA_TYPES, IdentifierListIngestor
from cco_enrich.ingest.resources import (
    MAX_IDENTIFIER_CHARS,
    URL_NOT_A_DOI,
    IngestResult,
    build_resource,
)

__all__ = [
    "BIBTEX_NO_DOI",
    "MAX_IDENTIFIER_CHARS",
    "READABLE_MEDIA_TYPES",
    "URL_NOT_A_DOI",
    "IdentifierListIngestor",
    "IngestResult",
    "build_resource",
]

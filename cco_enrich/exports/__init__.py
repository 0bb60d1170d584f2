"""Export formats: EXPORT_FORMATS maps each name to its media type, file extension and renderer.

The citation formats (CSL-JSON, BibTeX, RIS) leave out resources with nothing to cite (no title
and no author) unless asked for all; JSON-LD and CSV always hold every resource.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cco_enrich.errors import UnknownFormatError
from cco_enrich.exports.bibtex import render_bibtex
from cco_enrich.exports.csl import render_csl_json
from cco_enrich.exports.jsonld import render_jsonld
from cco_enrich.exports.ris import render_ris
from cco_enrich.exports.table import render_csv
from cco_enrich.exports.vocab import export_filename, has_metadata
from cco_enrich.models import Session


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """One way to write a session out: `render(session)` gives text of `media_type`."""

    name: str
    media_type: str
    extension: str
    render: Callable[[Session], str]
    cites_only_described: bool = False
    """Whether resources without metadata are left out (unless the caller asks for all)."""


EXPORT_FORMATS: dict[str, ExportFormat] = {
    export.name: export
    for export in (
        ExportFormat("jsonld", "application/ld+json", "jsonld", render_jsonld),
        ExportFormat(
            "csl-json", "application/vnd.citationstyles.csl+json", "json", render_csl_json, True
        ),
        ExportFormat("bibtex", "application/x-bibtex", "bib", render_bibtex, True),
        ExportFormat("ris", "application/x-research-info-systems", "ris", render_ris, True),
        ExportFormat("csv", "text/csv; charset=utf-8", "csv", render_csv),
    )
}


def render_export(
    session: Session, format_name: str, *, include_all: bool = False
) -> tuple[str, str, str]:
    """The session as `format_name`: (text, media type, file name).

    `include_all` keeps resources without metadata in the citation formats too.

    Raises:
        UnknownFormatError: `format_name` is not a key of EXPORT_FORMATS (case is ignored).
    """
    export = EXPORT_FORMATS.get(format_name.strip().lower())
    if export is None:
        raise UnknownFormatError(format_name, EXPORT_FORMATS)
    shown = session
    if export.cites_only_described and not include_all:
        described = [resource for resource in session.resources if has_metadata(resource)]
        shown = session.model_copy(update={"resources": described})
    return export.render(shown), export.media_type, export_filename(session, export.extension)


__all__ = [
    "EXPORT_FORMATS",
    "ExportFormat",
    "export_filename",
    "render_export",
]

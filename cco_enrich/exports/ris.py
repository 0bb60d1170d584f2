"""The session as RIS: one TY ... ER record per resource; not-enriched ones as GEN."""

from __future__ import annotations

from cco_enrich.exports.vocab import (
    author_name,
    citation_keys,
    resource_url,
    status_note,
    type_names,
)
from cco_enrich.models import Resource, ResourceStatus, Session

# The RIS specification ends every line with CR LF.
NEWLINE = "\r\n"


def render_ris(session: Session) -> str:
    """Every resource as a RIS record, records separated by a blank line."""
    keys = citation_keys(session.resources)
    return NEWLINE.join(ris_record(r, key) for r, key in zip(session.resources, keys, strict=True))


def ris_record(resource: Resource, key: str) -> str:
    """One RIS record, from `TY` to `ER`; journals go in `JO`, other containers in `T2`."""
    kind = type_names(resource).ris if resource.status is ResourceStatus.ENRICHED else "GEN"
    tags: list[tuple[str, str | None]] = [("TY", kind), ("ID", key), ("TI", resource.title)]
    tags += [("AU", author_name(author)) for author in resource.authors]
    tags += [
        ("PY", str(resource.year) if resource.year else None),
        ("JO" if kind == "JOUR" else "T2", resource.container_title),
        ("PB", resource.publisher),
        ("DO", resource.doi),
        ("SN", resource.isbn),
        ("AN", resource.pmid),
        ("UR", resource_url(resource)),
        ("N1", status_note(resource)),
    ]
    lines = [f"{tag}  - {' '.join(value.split())}" for tag, value in tags if value]
    return NEWLINE.join([*lines, "ER  - "]) + NEWLINE

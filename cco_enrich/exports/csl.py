"""The session as CSL-JSON: one citeproc item per resource, not-enriched ones as notes."""

from __future__ import annotations

import json
from typing import Any

from cco_enrich.exports.vocab import citation_keys, resource_url, status_note, type_names
from cco_enrich.models import Author, Resource, Session


def render_csl_json(session: Session) -> str:
    """A CSL-JSON array, one item per resource, with the same keys as the BibTeX export."""
    keys = citation_keys(session.resources)
    items = [csl_item(resource, key) for resource, key in zip(session.resources, keys, strict=True)]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def csl_item(resource: Resource, key: str) -> dict[str, Any]:
    """One CSL-JSON item; a resource without metadata is a `document` carrying its identifier."""
    item: dict[str, Any] = {"id": key, "type": type_names(resource).csl}
    if resource.title:
        item["title"] = resource.title
    if resource.authors:
        item["author"] = [_name(author) for author in resource.authors]
    if resource.year:
        item["issued"] = {"date-parts": [[resource.year]]}
    if resource.container_title:
        item["container-title"] = resource.container_title
    if resource.publisher:
        item["publisher"] = resource.publisher
    if resource.doi:
        item["DOI"] = resource.doi
    for name, value in (
        ("PMID", resource.pmid),
        ("PMCID", resource.pmcid),
        ("ISBN", resource.isbn),
    ):
        if value:
            item[name] = value
    url = resource_url(resource)
    if url:
        item["URL"] = url
    note = status_note(resource)
    if note:
        item["note"] = note
    return item


def _name(author: Author) -> dict[str, str]:
    if not author.family:
        return {"literal": author.name or author.given or ""}
    name = {"family": author.family}
    if author.given:
        name["given"] = author.given
    return name

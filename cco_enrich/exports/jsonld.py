"""The session as an OAI-ORE Resource Map in JSON-LD, shaped like a cco-generator CCO.

Every aggregated resource is a node named by the IRI of its PID (`https://doi.org/…`, the URL,
`https://hdl.handle.net/…`), so `hasPart`/`isPartOf` and the proxies point at it. Part links join
only resources of this CCO; any other relation is a plain Dublin Core link (jsonld_nodes.py).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from cco_enrich.exports.jsonld_nodes import (
    ORCID_PROPERTY,
    ROR_PROPERTY,
    aggregated_resource,
    drop_empty,
)
from cco_enrich.exports.links import cco_links, parsed_identifier, pid_iri
from cco_enrich.exports.vocab import export_filename, iri
from cco_enrich.models import Resource, Session

CONTEXT: dict[str, str] = {
    "ore": "http://www.openarchives.org/ore/terms/",
    "@vocab": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
SESSION_URN = "urn:cco-enrich:session:"


def render_jsonld(session: Session) -> str:
    """The Resource Map as indented JSON-LD text."""
    return json.dumps(resource_map(session), indent=2, ensure_ascii=False) + "\n"


def resource_map(session: Session) -> dict[str, Any]:
    """The Resource Map as a JSON-LD object: the map, its aggregation, one node per resource."""
    metadata = session.metadata
    map_id = resource_map_id(session)
    title, project = _text(metadata, "title"), _text(metadata, "project_name")
    authors = _agents(metadata.get("creator"))
    names = "; ".join(author["name"] for author in authors)
    modified = max(session.created_at, session.processing_status.updated_at)
    aggregation = drop_empty(
        {
            "@id": f"{map_id}#Aggregation",
            "@type": "ore:Aggregation",
            "name": title or project or f"Complex Citation Object {session.id}",
            "author": authors[0] if len(authors) == 1 else authors,
            "description": _text(metadata, "description"),
            "foaf:page": _text(metadata, "landing_page"),
        }
    )
    resources = session.resources
    ids = node_ids(resources, map_id)
    links = cco_links(resources)
    aggregation["ore:aggregates"] = [
        aggregated_resource(resource, position, ids, links)
        for position, resource in enumerate(resources)
    ]
    aggregation["ore:proxies"] = [
        _proxy(resource, ids[position], map_id, aggregation)
        for position, resource in enumerate(resources)
        if pid_iri(resource) is not None
    ]
    return drop_empty(
        {
            "@context": CONTEXT,
            "@type": "ore:ResourceMap",
            "@id": map_id,
            "dc:creator": {"foaf:name": _text(metadata, "created_by") or names or "cco_enrich"},
            "dc:created": _text(metadata, "date_created") or session.created_at.date().isoformat(),
            "dc:modified": modified.date().isoformat(),
            "version": _text(metadata, "version"),
            "additionalType": "ComplexCitationObject",
            "name": project or title or f"Complex Citation Object {session.id}",
            "ore:describes": aggregation,
        }
    )


def resource_map_id(session: Session) -> str:
    """The map's IRI: metadata `resource_map_id`, else `{landing_page}/{file name}`, else a URN.

    The file name is the export's (`{slug}.jsonld`), as if published next to the landing page;
    a slug without a landing page names no place on the web, so it gives no IRI on its own.
    """
    metadata = session.metadata
    explicit, page = _text(metadata, "resource_map_id"), _text(metadata, "landing_page")
    slug = _text(metadata, "output_filename_slug")
    if explicit:
        return iri(explicit)
    if page and slug:
        return iri(f"{page.rstrip('/')}/{export_filename(session, 'jsonld')}")
    if page:
        return iri(page)
    return SESSION_URN + iri(session.id)


def node_ids(resources: list[Resource], map_id: str) -> list[str]:
    """One distinct `@id` per resource: its DOI's or PID's IRI, else one inside the map.

    Two resources may share a DOI (a landing page naming the DOI also given): the later one keeps
    the IRI of the identifier it was given as; one with no IRI at all (an invalid identifier) is
    `{map}#resource-{n}`, counted from 1.
    """
    taken: set[str] = set()
    ids: list[str] = []
    for position, resource in enumerate(resources, start=1):
        parsed = parsed_identifier(resource)
        candidates = (pid_iri(resource), parsed.iri if parsed is not None else None)
        node_id = next(
            (iri(c) for c in candidates if c is not None and iri(c) not in taken),
            f"{map_id}#resource-{position}",
        )
        taken.add(node_id)
        ids.append(node_id)
    return ids


def _proxy(
    resource: Resource, node_id: str, map_id: str, aggregation: dict[str, Any]
) -> dict[str, Any]:
    """An `ore:Proxy`: the resource as it takes part in this aggregation."""
    # uuid5, not uuid4: exporting the same session twice gives the same proxies.
    proxy_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{map_id} {resource.identifier}")
    return {
        "@id": proxy_id.urn,
        "@type": "ore:Proxy",
        "ore:proxyFor": {"@id": node_id},
        "ore:proxyIn": {"@id": aggregation["@id"]},
        "name": f"Proxy for {resource.title or resource.identifier} in {aggregation['name']}",
    }


def _agents(value: Any) -> list[dict[str, Any]]:
    """The CCO creator(s) from metadata: a name, `{"name", "ror_id"|"orcid"}`, or a list."""
    if isinstance(value, list):
        return [agent for item in value for agent in _agents(item)]
    if isinstance(value, str) and value.strip():
        return [{"name": value.strip(), "@type": "Organization"}]
    if not isinstance(value, dict) or not _text(value, "name"):
        return []
    ror, orcid = _text(value, "ror_id"), _text(value, "orcid")
    agent: dict[str, Any] = {"name": _text(value, "name")}
    if ror or orcid:
        agent["identifier"] = {
            "@type": "PropertyValue",
            "propertyID": ROR_PROPERTY if ror else ORCID_PROPERTY,
            "value": ror or orcid,
        }
    agent["@type"] = "Person" if orcid and not ror else "Organization"
    return [agent]


def _text(mapping: dict[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    return value.strip() or None if isinstance(value, str) else None

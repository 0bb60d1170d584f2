"""The session as an OAI-ORE Resource Map in JSON-LD, shaped like a cco-generator CCO."""

from __future__ import annotations

import json
import uuid
from typing import Any

from cco_enrich.doi import doi_url
from cco_enrich.exports.vocab import (
    export_filename,
    iri,
    is_url,
    resource_url,
    type_names,
)
from cco_enrich.models import Author, Resource, ResourceStatus, Session

CONTEXT: dict[str, str] = {
    "ore": "http://www.openarchives.org/ore/terms/",
    "@vocab": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
DOI_PROPERTY = "https://registry.identifiers.org/registry/doi"
ROR_PROPERTY = "https://registry.identifiers.org/registry/ror"
ORCID_PROPERTY = "https://registry.identifiers.org/registry/orcid"
STATUS_PROPERTY = "cco_enrich:status"

_CONTAINER_TYPES = {"ScholarlyArticle": "Periodical", "Chapter": "Book"}
_REGISTRY_NAMES = {"crossref": "Crossref", "datacite": "DataCite", "medra": "mEDRA", "jalc": "JaLC"}


def render_jsonld(session: Session) -> str:
    """The Resource Map as indented JSON-LD text."""
    return json.dumps(resource_map(session), indent=2, ensure_ascii=False) + "\n"


def resource_map(session: Session) -> dict[str, Any]:
    """The Resource Map as a JSON-LD object: the map, its aggregation, one entry per resource."""
    metadata = session.metadata
    map_id = resource_map_id(session)
    title, project = _text(metadata, "title"), _text(metadata, "project_name")
    authors = _agents(metadata.get("creator"))
    names = "; ".join(author["name"] for author in authors)
    modified = max(session.created_at, session.processing_status.updated_at)
    aggregation = _drop_empty(
        {
            "@id": f"{map_id}#Aggregation",
            "@type": "ore:Aggregation",
            "name": title or project or f"Complex Citation Object {session.id}",
            "author": authors[0] if len(authors) == 1 else authors,
            "description": _text(metadata, "description"),
            "foaf:page": _text(metadata, "landing_page"),
        }
    )
    aggregation["ore:aggregates"] = [aggregated_resource(r) for r in session.resources]
    aggregation["ore:proxies"] = [
        proxy
        for resource in session.resources
        if (proxy := _proxy(resource, map_id, aggregation["name"])) is not None
    ]
    return _drop_empty(
        {
            "@context": CONTEXT,
            "@type": "ore:ResourceMap",
            "@id": map_id,
            "dc:creator": {"foaf:name": names or "cco_enrich"},
            "dc:created": session.created_at.date().isoformat(),
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
    return f"urn:cco-enrich:session:{iri(session.id)}"


def aggregated_resource(resource: Resource) -> dict[str, Any]:
    """One `ore:aggregates` entry: identifier, types, title, creators and where it came from."""
    kind = type_names(resource).schema_org
    authors = [_author(author) for author in resource.authors]
    return _drop_empty(
        {
            "identifier": _identifier(resource),
            "@type": ["ore:AggregatedResource", kind],
            "dc:title": resource.title,
            "dc:creator": (
                {"foaf:name": "; ".join(a["name"] for a in authors)} if authors else None
            ),
            "author": authors,
            "datePublished": str(resource.year) if resource.year else None,
            "publisher": _organisation(resource.publisher),
            "isPartOf": (
                {
                    "@type": _CONTAINER_TYPES.get(kind, "CreativeWork"),
                    "name": resource.container_title,
                }
                if resource.container_title
                else None
            ),
            "url": resource_url(resource),
            "sdPublisher": _organisation(
                _REGISTRY_NAMES.get(resource.registry or "", resource.registry)
            ),
            "additionalProperty": _status(resource),
        }
    )


def _proxy(resource: Resource, map_id: str, aggregation_name: str) -> dict[str, str] | None:
    """An `ore:Proxy` for a resource with an IRI, shaped like the example's (proxyFor a string)."""
    if not resource.doi and not is_url(resource):
        return None
    target = doi_url(resource.doi) if resource.doi else iri(resource.identifier)
    # uuid5, not uuid4: exporting the same session twice gives the same proxies.
    proxy_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{map_id} {resource.identifier}")
    return {
        "@id": proxy_id.urn,
        "@type": "ore:Proxy",
        "ore:proxyFor": target,
        "name": f"Proxy for {resource.title or resource.identifier} in {aggregation_name}",
    }


def _identifier(resource: Resource) -> dict[str, str]:
    if resource.doi:
        # The example CCO puts the bare DOI in "@id", which JSON-LD resolves against the
        # document's own address; the doi.org URL names the same thing and stays absolute.
        return {
            "@type": "PropertyValue",
            "propertyID": DOI_PROPERTY,
            "@id": doi_url(resource.doi),
            "value": resource.doi,
        }
    if is_url(resource):
        return {"@type": "PropertyValue", "propertyID": "URL", "@id": iri(resource.identifier)}
    # Neither a DOI nor a URL is an IRI, so it can only be a plain value.
    return {"@type": "PropertyValue", "value": resource.identifier}


def _author(author: Author) -> dict[str, Any]:
    if author.family or author.given:
        person: dict[str, Any] = {
            "@type": "Person",
            "name": author.display_name,
            "givenName": author.given,
            "familyName": author.family,
        }
        if author.orcid:
            person["identifier"] = {
                "@type": "PropertyValue",
                "propertyID": ORCID_PROPERTY,
                "value": author.orcid,
            }
        return _drop_empty(person)
    return {"@type": "Organization", "name": author.name or ""}


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


def _organisation(name: str | None) -> dict[str, str] | None:
    return {"@type": "Organization", "name": name} if name else None


def _status(resource: Resource) -> dict[str, str] | None:
    if resource.status is ResourceStatus.ENRICHED:
        return None
    return _drop_empty(
        {
            "@type": "PropertyValue",
            "propertyID": STATUS_PROPERTY,
            "name": "cco_enrich status",
            "value": resource.status.value,
            "description": resource.error,
        }
    )


def _text(mapping: dict[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    return value.strip() or None if isinstance(value, str) else None


def _drop_empty(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value not in (None, "", [])}

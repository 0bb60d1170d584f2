"""One aggregated resource of the Resource Map as a JSON-LD node: ids, agents, dates, links.

The terms are schema.org (the map's `@vocab`) unless prefixed; the shape follows the published
cco-generator CCO (`dc:title`, `dc:creator` with `foaf:name`, `identifier` as a PropertyValue),
with each node named by its IRI (`@id`) so that part links and proxies can point at it.
"""

from __future__ import annotations

from typing import Any

from cco_enrich.doi import doi_url
from cco_enrich.exports.links import CcoLinks, is_url, parsed_identifier
from cco_enrich.exports.vocab import iri, resource_url, type_names
from cco_enrich.identifiers import Scheme
from cco_enrich.models import Author, Resource, ResourceStatus

REGISTRY = "https://registry.identifiers.org/registry/"
DOI_PROPERTY = REGISTRY + "doi"
ROR_PROPERTY = REGISTRY + "ror"
ORCID_PROPERTY = REGISTRY + "orcid"
URL_PROPERTY = "URL"
STATUS_PROPERTY = "cco_enrich:status"
MAP_SOURCE = "resource-map"
"""The `source` of metadata read back from a finished CCO (ingest/map_entries.py)."""
# identifiers.org prefix of each scheme and of each extra id a resource may carry.
ID_PROPERTIES = {
    "doi": DOI_PROPERTY,
    "handle": REGISTRY + "hdl",
    "igsn": REGISTRY + "igsn",
    "ark": REGISTRY + "ark",
    "arxiv": REGISTRY + "arxiv",
    "pmid": REGISTRY + "pubmed",
    "pmcid": REGISTRY + "pmc",
    "isbn": REGISTRY + "isbn",
}
RELATED = "dcterms:relation"
# DataCite relation types with a Dublin Core term of their own; any other is `dcterms:relation`.
# Part links are `hasPart`/`isPartOf` only between resources of the CCO (see links.py).
RELATION_TERMS = {
    "IsVersionOf": "dcterms:isVersionOf",
    "HasVersion": "dcterms:hasVersion",
    "IsNewVersionOf": "dcterms:replaces",
    "IsPreviousVersionOf": "dcterms:isReplacedBy",
    "Obsoletes": "dcterms:replaces",
    "IsObsoletedBy": "dcterms:isReplacedBy",
    "Requires": "dcterms:requires",
    "IsRequiredBy": "dcterms:isRequiredBy",
    "IsVariantFormOf": "dcterms:isFormatOf",
    "IsOriginalFormOf": "dcterms:hasFormat",
    "IsDerivedFrom": "dcterms:source",
    "References": "dcterms:references",
    "IsReferencedBy": "dcterms:isReferencedBy",
}

_CONTAINER_TYPES = {"ScholarlyArticle": "Periodical", "Chapter": "Book"}
_REGISTRY_NAMES = {
    "crossref": "Crossref",
    "datacite": "DataCite",
    "medra": "mEDRA",
    "jalc": "JaLC",
    "landing-page": "the landing page",
    "pubmed": "PubMed",
    "openlibrary": "Open Library",
}


def aggregated_resource(
    resource: Resource, position: int, node_ids: list[str], links: CcoLinks
) -> dict[str, Any]:
    """One `ore:aggregates` entry, named `node_ids[position]`, its part links as IRIs."""
    kind = type_names(resource).schema_org
    authors = [agent(author) for author in resource.authors]
    contributors = [agent(author) for author in resource.contributors]
    node = {
        "@id": node_ids[position],
        "identifier": _one_or_many(identifiers(resource)),
        "@type": ["ore:AggregatedResource", kind],
        "dc:title": resource.title,
        "dc:creator": {"foaf:name": _names(authors)} if authors else None,
        "author": authors,
        "dc:contributor": [a["name"] for a in contributors],
        "contributor": contributors,
        "description": resource.description,
        "keywords": list(resource.keywords),
        "datePublished": resource.date_published or (str(resource.year) if resource.year else None),
        "dateCreated": resource.date_created,
        "dateModified": resource.date_modified,
        "temporalCoverage": resource.temporal_coverage,
        "publisher": _organisation(resource.publisher),
        "isPartOf": _one_or_many(
            [*_container(resource, kind), *_refs(links.parents.get(position, ()), node_ids)]
        ),
        "hasPart": _refs(links.children.get(position, ()), node_ids),
        **_related(links, position, node_ids),
        "url": resource_url(resource),
        "sdPublisher": _organisation(_source_name(resource.source or resource.registry)),
        "additionalProperty": _status(resource),
    }
    return drop_empty(node)


def identifiers(resource: Resource) -> list[dict[str, str]]:
    """The PropertyValues naming a resource: its PID first, then every other id it carries.

    The value is the identifier in its scheme; `url` its IRI. No `@id`: the identifier is not
    the resource, and sharing the resource's IRI would merge the two nodes in RDF.
    """
    main = _main_identifier(resource)
    others = [
        {"@type": "PropertyValue", "propertyID": ID_PROPERTIES[name], "value": value}
        for name in ("pmid", "pmcid", "arxiv", "isbn")
        if (value := getattr(resource, name)) and value != main.get("value")
    ]
    return [main, *others]


def _main_identifier(resource: Resource) -> dict[str, str]:
    if resource.doi:
        return {
            "@type": "PropertyValue",
            "propertyID": DOI_PROPERTY,
            "value": resource.doi,
            "url": doi_url(resource.doi),
        }
    if is_url(resource):
        return {
            "@type": "PropertyValue",
            "propertyID": URL_PROPERTY,
            "url": iri(resource.identifier),
        }
    parsed = parsed_identifier(resource)
    if parsed is None or parsed.scheme is Scheme.URL:
        # Not an identifier we read, so not an IRI either: only a plain value.
        return {"@type": "PropertyValue", "value": resource.identifier}
    return {
        "@type": "PropertyValue",
        "propertyID": ID_PROPERTIES.get(parsed.scheme.value, parsed.scheme.value),
        "value": parsed.pid,
        "url": parsed.iri,
    }


def agent(author: Author) -> dict[str, Any]:
    """A Person (with its ORCID) or an Organization."""
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
        return drop_empty(person)
    return {"@type": "Organization", "name": author.name or ""}


def _names(agents: list[dict[str, Any]]) -> str:
    return "; ".join(a["name"] for a in agents)


def _container(resource: Resource, kind: str) -> list[dict[str, str]]:
    if not resource.container_title:
        return []
    return [{"@type": _CONTAINER_TYPES.get(kind, "CreativeWork"), "name": resource.container_title}]


def _refs(positions: Any, node_ids: list[str]) -> list[dict[str, str]]:
    return [{"@id": node_ids[p]} for p in positions]


def _related(links: CcoLinks, position: int, node_ids: list[str]) -> dict[str, Any]:
    """Every relation that is not a part link, by its Dublin Core term; targets as IRIs."""
    terms: dict[str, list[dict[str, str]]] = {}
    for link in links.related.get(position, ()):
        term = RELATION_TERMS.get(link.type, RELATED)
        target = node_ids[link.position] if link.position is not None else iri(link.identifier)
        terms.setdefault(term, []).append({"@id": target})
    return {term: _one_or_many(targets) for term, targets in terms.items()}


def _source_name(source: str | None) -> str | None:
    # A re-ingested map that did not say where its metadata came from names no publisher.
    if not source or source == MAP_SOURCE:
        return None
    return _REGISTRY_NAMES.get(source, source)


def _organisation(name: str | None) -> dict[str, str] | None:
    return {"@type": "Organization", "name": name} if name else None


def _status(resource: Resource) -> dict[str, str] | None:
    if resource.status is ResourceStatus.ENRICHED:
        return None
    return drop_empty(
        {
            "@type": "PropertyValue",
            "propertyID": STATUS_PROPERTY,
            "name": "cco_enrich status",
            "value": resource.status.value,
            "description": resource.error,
        }
    )


def _one_or_many(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def drop_empty(mapping: dict[str, Any]) -> dict[str, Any]:
    """`mapping` without None, empty strings and empty lists."""
    return {key: value for key, value in mapping.items() if value not in (None, "", [])}

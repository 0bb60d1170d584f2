"""schema.org nodes (from JSON-LD, microdata or RDFa) -> PageFields: pick the page's main node.

The main node is the one the page is about: a Dataset, Collection or DataCatalog first, then any
other CreativeWork, then a web page; Organization, Person, WebSite and navigation nodes never.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from cco_enrich.landing.fields import (
    PageFields,
    author_from_text,
    doi_in,
    keywords_from,
    normalise_date,
    normalise_interval,
    relation_target,
    work_type,
)
from cco_enrich.landing.markup import Node
from cco_enrich.models import Author, Relation
from cco_enrich.registries.parse import clean_text, normalise_orcid

_DATA_TYPES = ("Dataset", "DataCatalog", "Collection", "DataSet")
_CREATIVE_WORKS = frozenset(
    {
        "CreativeWork", "ScholarlyArticle", "Article", "Book", "Chapter", "Report", "Thesis",
        "SoftwareSourceCode", "SoftwareApplication", "Map", "Periodical", "PublicationIssue",
        "PublicationVolume", "MediaObject", "ImageObject", "VideoObject", "AudioObject",
        "DigitalDocument", "Poster", "Presentation", "Photograph", "Movie", "CollectionPage",
        "TechArticle", "NewsArticle", "BlogPosting", "MedicalScholarlyArticle", "Course",
    }
)  # fmt: skip
_CONTAINER_TYPES = frozenset({"Periodical", "PublicationVolume", "PublicationIssue"})
_PAGES = frozenset({"WebPage", "ItemPage", "AboutPage"})
_NEVER_MAIN = frozenset(
    {
        "Organization", "Person", "WebSite", "BreadcrumbList", "ListItem", "SearchAction",
        "SiteNavigationElement", "WPHeader", "WPFooter", "WPSideBar", "ImageObject", "Place",
        "GeoShape", "GeoCoordinates", "PropertyValue", "DataDownload", "Offer",
    }
)  # fmt: skip
T = TypeVar("T")

_RELATIONS = (("isPartOf", "IsPartOf"), ("hasPart", "HasPart"), ("dataset", "HasPart"))
_MAX_RELATIONS = 1000


def _types(node: Node) -> list[str]:
    raw = node.get("@type", [])
    return [t for t in (raw if isinstance(raw, list) else [raw]) if isinstance(t, str)]


def _rank(node: Node) -> int | None:
    """Lower is a better main node; None for a node a page is never about."""
    types = _types(node)
    if any(t in _DATA_TYPES for t in types):
        return 0
    if any(t in _CREATIVE_WORKS for t in types):
        return 1
    if any(t in _PAGES for t in types):
        return 2
    if not types or all(t in _NEVER_MAIN for t in types):
        return None
    return 3


def _candidates(nodes: Sequence[Node]) -> Iterator[Node]:
    """Top-level nodes, and what a web page node says it is about (`mainEntity`, `about`)."""
    for node in nodes:
        for key in ("mainEntity", "about"):
            for inner in _values(node.get(key)):
                if isinstance(inner, dict):
                    yield inner
        yield node


def main_node(nodes: Sequence[Node], page_urls: Sequence[str]) -> Node | None:
    """The node the page describes: best rank, then the one whose id or url is the page's."""
    ranked = [(rank, n) for n in _candidates(nodes) if (rank := _rank(n)) is not None]
    if not ranked:
        return None
    best = min(rank for rank, _ in ranked)
    tied = [n for rank, n in ranked if rank == best]
    for node in tied:
        ids = {v for key in ("@id", "url") for v in _values(node.get(key)) if isinstance(v, str)}
        if ids & set(page_urls):
            return node
    return tied[0]


def fields_from_node(node: Node, base_url: str) -> PageFields:
    """A schema.org node's metadata as PageFields."""
    types = _types(node)
    main_type = next((t for t in types if t in _DATA_TYPES), types[0] if types else None)
    return PageFields(
        title=_first_text(node, "name", "headline", "alternateName"),
        creators=_agents(node.get("creator")) or _agents(node.get("author")),
        contributors=_agents(node.get("contributor")),
        date_published=_first_date(node, "datePublished", "dateIssued", "publicationDate"),
        date_created=_first_date(node, "dateCreated"),
        date_modified=_first_date(node, "dateModified"),
        temporal_coverage=_first(normalise_interval, node.get("temporalCoverage")),
        type=work_type(main_type),
        publisher=_agent_name(node.get("publisher")) or _agent_name(node.get("provider")),
        container_title=_container_title(node),
        description=_first_text(node, "description", "abstract"),
        keywords=keywords_from(_keyword_texts(node.get("keywords"))),
        relations=_relations(node, base_url),
        doi=_doi(node),
        url=_first(lambda v: v if isinstance(v, str) else None, node.get("url")),
    )


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("@value", value.get("name"))
    if isinstance(value, list):  # RDFa and microdata give every property as a list
        value = value[0] if value else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return clean_text(value) if isinstance(value, str) else None


def _first(convert: Callable[[Any], T | None], value: Any) -> T | None:
    return next((c for v in _values(value) if (c := convert(v)) is not None), None)


def _first_text(node: Node, *keys: str) -> str | None:
    return next((t for key in keys if (t := _first(_text, node.get(key)))), None)


def _first_date(node: Node, *keys: str) -> str | None:
    return next((d for key in keys if (d := _first(normalise_date, node.get(key)))), None)


def _agents(value: Any) -> tuple[Author, ...]:
    found: list[Author] = []
    for entry in _values(value):
        if isinstance(entry, dict) and isinstance(entry.get("@list"), list):
            found.extend(_agents(entry["@list"]))
            continue
        author = _agent(entry)
        if author is not None:
            found.append(author)
    return tuple(found)


def _agent(entry: Any) -> Author | None:
    if isinstance(entry, str):
        return author_from_text(entry, is_person=False)
    if not isinstance(entry, dict):
        return None
    if "Organization" in _types(entry) or any(t.endswith("Organization") for t in _types(entry)):
        name = _first(_text, entry.get("name")) or _first(_text, entry.get("legalName"))
        return Author(name=name) if name else None
    given = _first(_text, entry.get("givenName"))
    family = _first(_text, entry.get("familyName"))
    orcid = next(
        (o for key in ("@id", "identifier", "sameAs", "url") for v in _values(entry.get(key))
         if (o := normalise_orcid(_identifier_text(v))) and "orcid" in str(v).lower()),
        None,
    )  # fmt: skip
    if family:
        return Author(given=given, family=family, orcid=orcid)
    name = _first(_text, entry.get("name"))
    if name is None:
        return None
    is_person = "Person" in _types(entry)
    author = author_from_text(name, is_person=is_person)
    return author.model_copy(update={"orcid": orcid}) if author and orcid else author


def _agent_name(value: Any) -> str | None:
    for entry in _values(value):
        name = _text(entry) if isinstance(entry, dict | str) else None
        if name:
            return name
    return None


def _container_title(node: Node) -> str | None:
    for parent in _values(node.get("isPartOf")):
        if isinstance(parent, dict) and _CONTAINER_TYPES & set(_types(parent)):
            return _first(_text, parent.get("name"))
    return None


def _keyword_texts(value: Any) -> Iterator[str]:
    for entry in _values(value):
        text = _text(entry) if isinstance(entry, dict) else entry
        if isinstance(text, str):
            yield text


def _identifier_text(value: Any) -> str | None:
    """A link target: a string, or an object's `@id`, `url`, `identifier` or `value`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("@id", "url", "value", "identifier"):
            inner = value.get(key)
            found = _identifier_text(inner[0] if isinstance(inner, list) and inner else inner)
            if found:
                return found
    return None


def _relations(node: Node, base_url: str) -> tuple[Relation, ...]:
    found: dict[Relation, None] = {}
    for key, relation_type in _RELATIONS:
        for entry in _values(node.get(key))[:_MAX_RELATIONS]:
            target = relation_target(_identifier_text(entry), base_url)
            if target is not None:
                found.setdefault(Relation(type=relation_type, identifier=target), None)
    return tuple(found)


def _doi(node: Node) -> str | None:
    """The DOI of the node itself: `identifier` (text or PropertyValue), `sameAs`, `@id`, `url`."""
    for entry in _values(node.get("identifier")):
        # A PropertyValue's propertyID varies ("DOI", "doi", an identifiers.org URL): the value
        # itself tells whether it is a DOI.
        doi = doi_in(_identifier_text(entry))
        if doi:
            return doi
    for key in ("sameAs", "@id", "url"):
        for entry in _values(node.get(key)):
            text = _identifier_text(entry)
            if text and "doi.org/" in text.lower() and (doi := doi_in(text)):
                return doi
    return None

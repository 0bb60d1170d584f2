"""One `ore:aggregates` entry of a Resource Map -> a Resource with the metadata the map gives it.

Reads both spellings in use: cco-generator's (`identifier.@id` holding a bare DOI, `dc:creator`
as one `foaf:name`, `datecreated`, `dcterms:temporal` start/end, `hasPart` as strings,
`dcterms:haspart` to things outside the CCO) and our export's (`author` and `contributor` as
Person/Organization, `dateCreated`, `temporalCoverage`, part links as `{"@id"}`, Dublin Core
relation terms, `additionalProperty` with the status).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cco_enrich.ingest.resources import build_resource
from cco_enrich.landing.fields import normalise_date, normalise_interval, work_type
from cco_enrich.models import Author, Relation, Resource, ResourceStatus
from cco_enrich.registries.parse import clean_text, normalise_orcid

MAP_SOURCE = "resource-map"
"""The `source` of metadata read from a re-ingested map that does not name its own."""
RELATED = "IsRelatedTo"
"""Our relation type for `dcterms:relation`: related, in a way the map does not say."""

_DOI_PROPERTY = "registry/doi"
_EXTRA_IDS = {"registry/pubmed": "pmid", "registry/pmc": "pmcid", "registry/arxiv": "arxiv",
              "registry/isbn": "isbn"}  # fmt: skip
# Relation terms -> DataCite relation types; `hasPart`/`isPartOf` are schema.org, the rest
# Dublin Core (lower-cased, as cco-generator writes `dcterms:haspart`).
_RELATION_TYPES = {
    "haspart": "HasPart", "ispartof": "IsPartOf", "dcterms:haspart": "HasPart",
    "dcterms:ispartof": "IsPartOf", "dcterms:isversionof": "IsVersionOf",
    "dcterms:hasversion": "HasVersion", "dcterms:replaces": "IsNewVersionOf",
    "dcterms:isreplacedby": "IsPreviousVersionOf", "dcterms:requires": "Requires",
    "dcterms:isrequiredby": "IsRequiredBy", "dcterms:isformatof": "IsVariantFormOf",
    "dcterms:hasformat": "IsOriginalFormOf", "dcterms:source": "IsDerivedFrom",
    "dcterms:references": "References", "dcterms:isreferencedby": "IsReferencedBy",
    "dcterms:relation": RELATED,
}  # fmt: skip
_SOURCES = {"crossref": "crossref", "datacite": "datacite", "medra": "medra", "jalc": "jalc",
            "the landing page": "landing-page", "pubmed": "pubmed",
            "open library": "openlibrary"}  # fmt: skip


def entry_resource(entry: dict[str, Any], position: int) -> Resource:
    """The resource one entry describes: its identifier read like any input, its metadata kept."""
    identifier, extra_ids = _identifiers(entry)
    if identifier is None:
        return Resource(
            identifier=f"ore:aggregates[{position}]",
            status=ResourceStatus.INVALID,
            title=_title(entry),
            error="the map names no identifier for this resource",
        )
    resource = build_resource(identifier)
    fields = {**extra_ids, **_descriptive_fields(entry)}
    fields = {name: value for name, value in fields.items() if value not in (None, (), "")}
    if resource.status is ResourceStatus.INVALID:
        return resource.model_copy(update={"title": fields.get("title")})
    if fields.get("title"):
        source = _source(entry)
        fields |= {"status": ResourceStatus.ENRICHED, "source": source, "registry": source}
    return resource.model_copy(update=fields)


def _identifiers(entry: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    """The identifier to read the resource by, and the other ids (pmid, ...) the map lists."""
    main: str | None = None
    extra: dict[str, str] = {}
    for value in values(entry.get("identifier")):
        if isinstance(value, str):
            main = main or value.strip() or None
            continue
        if not isinstance(value, dict):
            continue
        kind = str(value.get("propertyID", ""))
        name = next((n for suffix, n in _EXTRA_IDS.items() if kind.endswith(suffix)), None)
        text = text_of(value.get("value"))
        if main is None:
            main = _main_identifier(value, is_doi=kind.endswith(_DOI_PROPERTY))
        elif name and text:
            extra[name] = text
    node_id = text_of(entry.get("@id"))
    if main is None and node_id and "#resource-" not in node_id:
        main = node_id  # our export names resources without an identifier inside the map
    return main, extra


def _main_identifier(value: dict[str, Any], *, is_doi: bool) -> str | None:
    """A DOI by its value (cco-generator puts the bare DOI in `@id`), anything else by its IRI."""
    order = ("value", "@id", "url") if is_doi else ("@id", "url", "value")
    return next((text for key in order if (text := text_of(value.get(key)))), None)


def _descriptive_fields(entry: dict[str, Any]) -> dict[str, Any]:
    published = normalise_date(text_of(entry.get("datePublished")))
    return {
        "title": _title(entry),
        "authors": _agents(entry.get("author")) or _named(entry.get("dc:creator")),
        "contributors": _agents(entry.get("contributor")) or _named(entry.get("dc:contributor")),
        "year": int(published[:4]) if published else None,
        "date_published": published if published and len(published) > 4 else None,
        "date_created": _date(entry, "dateCreated", "datecreated", "dc:created"),
        "date_modified": _date(entry, "dateModified", "datemodified", "dc:modified"),
        "temporal_coverage": _temporal(entry),
        "description": clean_text(text_of(entry.get("description"))),
        "keywords": tuple(k for k in map(text_of, values(entry.get("keywords"))) if k),
        "publisher": _name(entry.get("publisher")),
        "container_title": next(
            (_name(p) for p in values(entry.get("isPartOf")) if _name(p) and not _ref(p)), None
        ),
        "type": _type(entry.get("@type")),
        "url": text_of(entry.get("url")) or text_of(entry.get("foaf:page")),
        "relations": tuple(dict.fromkeys(_relations(entry))),
    }


def _title(entry: dict[str, Any]) -> str | None:
    return clean_text(text_of(entry.get("dc:title")) or text_of(entry.get("name")))


def _agents(value: Any) -> tuple[Author, ...]:
    """schema.org Person/Organization objects (ours), in order."""
    authors = []
    for agent in values(value):
        if not isinstance(agent, dict):
            continue
        identifier = agent.get("identifier")
        orcid = normalise_orcid(identifier.get("value")) if isinstance(identifier, dict) else None
        given, family = text_of(agent.get("givenName")), text_of(agent.get("familyName"))
        name = None if given or family else text_of(agent.get("name"))
        if given or family or name:
            authors.append(Author(given=given, family=family, name=name, orcid=orcid))
    return tuple(authors)


def _named(value: Any) -> tuple[Author, ...]:
    """`dc:creator`/`dc:contributor` text (or `{"foaf:name"}`), each one name kept whole.

    cco-generator joins a person and their affiliations with `;` in one name, so a name is not
    split: it is written out again as it came.
    """
    names = (
        text_of(item.get("foaf:name")) if isinstance(item, dict) else text_of(item)
        for item in values(value)
    )
    return tuple(Author(name=name) for name in names if name)


def _date(entry: dict[str, Any], *keys: str) -> str | None:
    return next((d for key in keys if (d := normalise_date(text_of(entry.get(key))))), None)


def _temporal(entry: dict[str, Any]) -> str | None:
    """`temporalCoverage` (an ISO interval), or cco-generator's `dcterms:temporal` start/end."""
    interval = normalise_interval(text_of(entry.get("temporalCoverage")))
    if interval:
        return interval
    bounds = {
        key: normalise_date(text_of(part.get(f"dcterms:{key}")))
        for part in values(entry.get("dcterms:temporal"))
        if isinstance(part, dict)
        for key in ("start", "end")
        if part.get(f"dcterms:{key}")
    }
    if not bounds:
        return None
    return f"{bounds.get('start') or '..'}/{bounds.get('end') or '..'}"


def _relations(entry: dict[str, Any]) -> Iterator[Relation]:
    for key, value in entry.items():
        relation_type = _RELATION_TYPES.get(key.lower())
        if relation_type is None:
            continue
        for target in values(value):
            identifier = _ref(target) if isinstance(target, dict) else text_of(target)
            if identifier:
                yield Relation(type=relation_type, identifier=identifier)


def _type(value: Any) -> str | None:
    """The schema.org type beside `ore:AggregatedResource`, as a type name (`dataset`)."""
    kinds = [t for t in values(value) if isinstance(t, str) and not t.startswith("ore:")]
    kind = work_type(kinds[0]) if kinds else None
    return None if kind == "creative-work" else kind


def _source(entry: dict[str, Any]) -> str:
    name = _name(entry.get("sdPublisher"))
    return _SOURCES.get(name.lower(), name.lower()) if name else MAP_SOURCE


def _name(value: Any) -> str | None:
    return text_of(value.get("name")) if isinstance(value, dict) else text_of(value)


def _ref(value: Any) -> str | None:
    return text_of(value.get("@id")) if isinstance(value, dict) else None


def text_of(value: Any) -> str | None:
    """A non-blank string, trimmed; None for anything else."""
    return value.strip() or None if isinstance(value, str) else None


def values(value: Any) -> list[Any]:
    """A JSON-LD value as a list: one value, a list of them, or none."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]

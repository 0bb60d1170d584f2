"""A finished CCO (an `ore:ResourceMap` in JSON-LD) -> its metadata and resources, to edit and
re-enrich.

Read in the compacted shape cco-generator and our JSON-LD export write (the reference `@context`:
schema.org as `@vocab`, `ore:`, `dc:`, `dcterms:`, `foaf:`); other framings of the same graph are
not read. Every aggregated resource keeps the metadata the map gives it and is `enriched` when it
has a title; the hollow ones are `pending`, so that `POST /enrich` fills only those.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from cco_enrich.errors import InputError
from cco_enrich.ingest.map_entries import entry_resource, text_of, values
from cco_enrich.ingest.resources import IngestResult, ResourceCollector

RESOURCE_MAP_TYPES = frozenset(
    {"ore:ResourceMap", "ResourceMap", "http://www.openarchives.org/ore/terms/ResourceMap"}
)
_ROR = "registry/ror"
_ORCID = "registry/orcid"
_OUR_SESSION_URN = "urn:cco-enrich:session:"


def is_resource_map(payload: dict[str, Any]) -> bool:
    """Whether a JSON object is an OAI-ORE Resource Map (by its `@type` or `ore:describes`)."""
    types = {t for t in values(payload.get("@type")) if isinstance(t, str)}
    return bool(types & RESOURCE_MAP_TYPES) or "ore:describes" in payload


def read_resource_map(payload: dict[str, Any], max_identifiers: int) -> IngestResult:
    """The map's metadata and one resource per `ore:aggregates` entry, repeats merged.

    Raises:
        InputError: the map has no aggregation, or an entry is not a JSON object.
        InputTooLargeError: more than `max_identifiers` resources.
    """
    aggregation = payload.get("ore:describes")
    if not isinstance(aggregation, dict) or not isinstance(aggregation.get("ore:aggregates"), list):
        msg = (
            "a Resource Map needs 'ore:describes' (the aggregation) with an 'ore:aggregates' "
            "list of resources, as cco_enrich's JSON-LD export writes it."
        )
        raise InputError(msg)
    collector = ResourceCollector(max_identifiers)
    for position, entry in enumerate(aggregation["ore:aggregates"]):
        if not isinstance(entry, dict):
            msg = f"ore:aggregates[{position}] must be a JSON object describing one resource."
            raise InputError(msg)
        collector.add(entry_resource(entry, position))
    return collector.result("'ore:aggregates' is empty.", map_metadata(payload, aggregation))


def map_metadata(document: dict[str, Any], aggregation: dict[str, Any]) -> dict[str, Any]:
    """The CCO metadata (as a CCO input document names it) the map and its aggregation hold."""
    map_id = text_of(document.get("@id"))
    if map_id and map_id.startswith(_OUR_SESSION_URN):
        map_id = None  # another session's name: this one gets its own
    metadata = {
        "title": text_of(aggregation.get("name")),
        "project_name": text_of(document.get("name")),
        "description": text_of(aggregation.get("description")),
        "landing_page": text_of(aggregation.get("foaf:page")),
        "creator": _creators(aggregation.get("author")),
        "version": text_of(document.get("version")),
        "created_by": _creator_names(document.get("dc:creator")),
        "date_created": text_of(document.get("dc:created")),
        "resource_map_id": map_id,
        "output_filename_slug": _slug(map_id),
    }
    return {key: value for key, value in metadata.items() if value}


def _creators(value: Any) -> dict[str, str] | list[dict[str, str]] | None:
    """The aggregation's authors as CCO metadata creators: `{"name", "ror_id"|"orcid"}`."""
    creators = list(_creator_list(value))
    if not creators:
        return None
    return creators[0] if len(creators) == 1 else creators


def _creator_list(value: Any) -> Iterator[dict[str, str]]:
    for agent in values(value):
        name = text_of(agent.get("name")) if isinstance(agent, dict) else text_of(agent)
        if not name:
            continue
        creator = {"name": name}
        identifier = agent.get("identifier") if isinstance(agent, dict) else None
        if isinstance(identifier, dict):
            kind, id_value = str(identifier.get("propertyID", "")), text_of(identifier.get("value"))
            if id_value and kind.endswith(_ROR):
                creator["ror_id"] = id_value
            elif id_value and kind.endswith(_ORCID):
                creator["orcid"] = id_value
        yield creator


def _creator_names(value: Any) -> str | None:
    """Who made the map, as its `dc:creator` names them (`{"foaf:name": "A; B"}` or text)."""
    names = [
        text_of(item.get("foaf:name")) if isinstance(item, dict) else text_of(item)
        for item in values(value)
    ]
    return "; ".join(name for name in names if name) or None


def _slug(map_id: str | None) -> str | None:
    """`GOMMAPPSCCO` from `http://opendata.boem.gov/GOMMAPPSCCO.json`: the export file's name."""
    if not map_id or not map_id.startswith(("http://", "https://")):
        return None
    name = PurePosixPath(urlsplit(map_id).path).stem
    return name or None

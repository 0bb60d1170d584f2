"""Relations in registry records -> Relation(type, identifier), by docs/metadata-mapping.md. Pure.

Types use DataCite's relationType names (`IsPartOf`, `HasPart`, `IsVersionOf`, ...); Crossref's
`relation` keys are translated to them. Targets are IRIs, DOIs as `https://doi.org/...`, the way
the landing-page extractor writes them, so that exports can match them against the CCO's own
resources. Citation links (`Cites`, `IsCitedBy`, `References`, `IsReferencedBy`) are left out:
they describe a reference list, not how the works of a collection hang together, and a record can
hold thousands of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from cco_enrich.doi import doi_url
from cco_enrich.identifiers import InvalidIdentifier, Scheme, parse_identifier
from cco_enrich.models import Relation

MAX_RELATIONS = 200
"""Relations kept per record; more are dropped (a Dataset with 10,000 HasPart links is a list)."""

CITATION_TYPES = frozenset({"Cites", "IsCitedBy", "References", "IsReferencedBy"})

# Crossref relation keys (https://www.crossref.org/documentation/schema-library/markup-guide-
# metadata-segments/relationships/) -> DataCite relationType. Keys missing here are spelt in
# PascalCase (`is-related-material` -> `IsRelatedMaterial`).
CROSSREF_TYPES = {
    "is-part-of": "IsPartOf",
    "has-part": "HasPart",
    "is-component-of": "IsPartOf",
    "has-component": "HasPart",
    "is-version-of": "IsVersionOf",
    "has-version": "HasVersion",
    # A preprint is the earlier version of the article it became.
    "is-preprint-of": "IsPreviousVersionOf",
    "has-preprint": "IsNewVersionOf",
    "is-supplement-to": "IsSupplementTo",
    "is-supplemented-by": "IsSupplementedBy",
    "is-review-of": "Reviews",
    "has-review": "IsReviewedBy",
    "is-identical-to": "IsIdenticalTo",
    "is-same-as": "IsIdenticalTo",
    "is-derived-from": "IsDerivedFrom",
    "has-derivation": "IsSourceOf",
    "is-replaced-by": "IsObsoletedBy",
    "replaces": "Obsoletes",
    "is-translation-of": "IsTranslationOf",
    "has-translation": "HasTranslation",
    "is-referenced-by": "IsReferencedBy",
    "is-cited-by": "IsCitedBy",
}

# How each identifier type a registry names is written so that parse_identifier() reads it.
_LABELS = {
    "doi": "doi:",
    "arxiv": "arXiv:",
    "pmid": "PMID:",
    "pmcid": "PMCID:",
    "isbn": "ISBN ",
    "handle": "hdl:",
    "igsn": "IGSN ",
    "ark": "ark:/",
    "url": "",
    "uri": "",
    "purl": "",
    "w3id": "",
}
_ISSN = re.compile(r"^(\d{4})-?(\d{3}[\dXx])$")
_IRI = re.compile(r"^[a-z][a-z0-9+.-]*:\S+$", re.IGNORECASE)


def relation_target(kind: object, value: object) -> str | None:
    """The IRI of a related identifier of type `kind` (`DOI`, `URL`, `arXiv`, `ISSN`, ...).

    None when it names nothing we can link to (an unknown type that is not already an IRI).
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text, kind = value.strip(), str(kind).strip().lower()
    label = _LABELS.get(kind)
    if label is not None:
        parsed = parse_identifier(text if _has_label(text) else label + text)
        if isinstance(parsed, InvalidIdentifier):
            return None
        # An arXiv DOI named as a DOI stays a doi.org link, as the landing extractor writes it.
        is_doi = parsed.doi is not None and (kind == "doi" or parsed.scheme is Scheme.DOI)
        return doi_url(parsed.doi) if is_doi and parsed.doi else parsed.iri
    issn = _ISSN.match(text)
    if kind in ("issn", "eissn", "lissn") and issn:
        return f"urn:issn:{issn.group(1)}-{issn.group(2).upper()}"
    return text if _IRI.match(text) and " " not in text else None


def relations_from_datacite(attributes: Mapping[str, Any]) -> tuple[Relation, ...]:
    """`relatedIdentifiers` and `relatedItems` of a DataCite record, citations left out."""
    found: list[tuple[object, object, object]] = [
        (
            entry.get("relationType"),
            entry.get("relatedIdentifierType"),
            entry.get("relatedIdentifier"),
        )
        for entry in _dicts(attributes.get("relatedIdentifiers"))
    ]
    for item in _dicts(attributes.get("relatedItems")):
        identifier = item.get("relatedItemIdentifier")
        if isinstance(identifier, Mapping):
            found.append(
                (
                    item.get("relationType"),
                    identifier.get("relatedItemIdentifierType"),
                    identifier.get("relatedItemIdentifier"),
                )
            )
    return _relations((kind, id_type, value) for kind, id_type, value in found)


def relations_from_crossref(record: Mapping[str, Any]) -> tuple[Relation, ...]:
    """The `relation` object of a Crossref work, its keys as DataCite relation types."""
    relation = record.get("relation")
    if not isinstance(relation, Mapping):
        return ()
    return _relations(
        (_crossref_type(key), entry.get("id-type"), entry.get("id"))
        for key, entries in relation.items()
        if isinstance(key, str)
        for entry in _dicts(entries)
    )


def _relations(found: Iterable[tuple[object, object, object]]) -> tuple[Relation, ...]:
    relations: dict[Relation, None] = {}
    for kind, id_type, value in found:
        if not isinstance(kind, str) or not kind.strip() or kind.strip() in CITATION_TYPES:
            continue
        target = relation_target(id_type, value)
        if target is not None:
            relations.setdefault(Relation(type=kind.strip(), identifier=target), None)
        if len(relations) >= MAX_RELATIONS:
            break
    return tuple(relations)


def _crossref_type(key: str) -> str:
    known = CROSSREF_TYPES.get(key.strip().lower())
    return known or "".join(word.capitalize() for word in re.split(r"[-_\s]+", key.strip()))


def _has_label(text: str) -> bool:
    """Whether `text` already says its scheme (`doi:10...`, `https://...`, `ark:/...`)."""
    return _IRI.match(text) is not None and not text[:1].isdigit()


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []

"""Upstream records: the recorded fixtures as templates, and the bodies made from them."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "registry"

# Template key -> (fixture file, where the record sits in it).
_TEMPLATE_FILES: dict[str, tuple[str, str]] = {
    "crossref:pone": ("crossref_work_pone-0033693.json", "message"),
    "crossref:jclinpath": ("crossref_work_jclinpath-2020-206745.json", "message"),
    "crossref:biorxiv": ("crossref_work_biorxiv-2020-12-01-406702.json", "message"),
    "crossref:book-chapter": ("crossref_work_book-chapter_978-3-662-46370-3_13.json", "message"),
    "crossref:component": ("crossref_work_component_pmed-0030277-g001.json", "message"),
    "crossref:family-only": (
        "crossref_work_family-only-authors_d41586-020-02761-z.json",
        "message",
    ),
    "crossref:qss": ("crossref_works_filter_3.json", "message/items/0"),
    "crossref:journal": ("crossref_works_filter_3.json", "message/items/1"),
    "crossref:s11192": ("crossref_works_filter_3.json", "message/items/2"),
    "datacite:dryad": ("datacite_doi_dryad-8515.json", "data"),
    "datacite:arxiv": ("datacite_doi_arxiv-1902-02534.json", "data"),
    "csl:science": ("crossref_csl_science-169-3946-635.json", ""),
}

_CROSSREF_DATES = ("published-print", "published-online", "posted")
_CSL_DROPPED = (
    "published-print", "member", "ISSN", "journal-issue", "volume", "issue", "page",
    "container-title-short",
)  # fmt: skip
_DATACITE_TYPES: dict[str, dict[str, str]] = {
    "Dataset": {"ris": "DATA", "bibtex": "misc", "citeproc": "dataset", "schemaOrg": "Dataset"},
    "Preprint": {
        "ris": "GEN",
        "bibtex": "misc",
        "citeproc": "article",
        "schemaOrg": "CreativeWork",
    },
    "Software": {
        "ris": "COMP",
        "bibtex": "misc",
        "citeproc": "article",
        "schemaOrg": "SoftwareSourceCode",
    },
    "JournalArticle": {
        "ris": "JOUR",
        "bibtex": "article",
        "citeproc": "article-journal",
        "schemaOrg": "ScholarlyArticle",
    },
}
_LANDING_HOSTS = {
    "10.5061": "https://datadryad.org/dataset/doi:",
    "10.48550": "https://arxiv.org/abs/",
    "10.5281": "https://zenodo.org/doi/",
}


@dataclass(frozen=True, slots=True)
class DraftAuthor:
    """One author as our truth holds it, plus how the registry spells the ORCID."""

    given: str | None = None
    family: str | None = None
    name: str | None = None
    orcid: str | None = None  # always the https URL form
    orcid_style: str = "url"  # upstream spelling: "url", "http" or "bare"
    is_organisation: bool = False

    @property
    def is_blank(self) -> bool:
        return not (self.given or self.family or self.name)

    def upstream_orcid(self) -> str | None:
        """The ORCID as the registry writes it."""
        if self.orcid is None or self.orcid_style == "url":
            return self.orcid
        if self.orcid_style == "http":
            return self.orcid.replace("https://", "http://", 1)
        return self.orcid.rsplit("/", 1)[1]


@dataclass(frozen=True, slots=True)
class Draft:
    """One work before it becomes truth and a record: values as the registry holds them."""

    doi: str
    agency: str
    template: str
    work_type: str
    publisher: str
    title: str | None  # may carry markup, entities and newlines
    authors: tuple[DraftAuthor, ...]
    date: tuple[int, ...] | None
    container: str | None
    created: str  # ISO timestamp; DataCite sorts ?ids= results by it
    quirks: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class UpstreamRecord:
    """A registry body for one DOI: a template plus the fields that differ (small to store)."""

    template: str
    fields: dict[str, Any]
    removed: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"template": self.template, "fields": self.fields, "removed": list(self.removed)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UpstreamRecord:
        return cls(data["template"], data["fields"], tuple(data["removed"]))


@functools.cache
def templates() -> dict[str, dict[str, Any]]:
    """The recorded fixtures, loaded once, by template key."""
    loaded: dict[str, dict[str, Any]] = {}
    for key, (name, where) in _TEMPLATE_FILES.items():
        node: Any = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
        for step in filter(None, where.split("/")):
            node = node[int(step)] if step.isdigit() else node[step]
        loaded[key] = node
    return loaded


@functools.cache
def fixture_text(name: str) -> str:
    """A recorded body as text (error bodies, the list envelope)."""
    return (DATA_DIR / name).read_text(encoding="utf-8")


def _merge(
    base: dict[str, Any], fields: dict[str, Any], removed: tuple[str, ...]
) -> dict[str, Any]:
    # Keep the template's key order, as a real body would have it.
    merged = {key: fields.get(key, value) for key, value in base.items() if key not in removed}
    merged.update((key, value) for key, value in fields.items() if key not in merged)
    return merged


def render_crossref(record: UpstreamRecord, *, score: float) -> dict[str, Any]:
    """A Crossref work record (the `message` of /works/{doi}, or one of `items`)."""
    body = _merge(templates()[record.template], record.fields, record.removed)
    body["score"] = score
    return body


def render_datacite(
    record: UpstreamRecord, *, publisher_object: bool = False, only: frozenset[str] | None = None
) -> dict[str, Any]:
    """A DataCite JSON:API resource object; `only` is a sparse fieldset (fields[dois]=...)."""
    template = templates()[record.template]
    attributes = _merge(template["attributes"], record.fields, record.removed)
    if publisher_object:
        attributes["publisher"] = {"name": attributes["publisher"], "lang": "en"}
    if only is not None:
        attributes = {key: value for key, value in attributes.items() if key in only}
    return {
        "id": record.fields["doi"],
        "type": "dois",
        "attributes": attributes,
        "relationships": template["relationships"],
    }


def render_csl(record: UpstreamRecord) -> dict[str, Any]:
    """CSL-JSON as doi.org content negotiation serves it."""
    return _merge(templates()[record.template], record.fields, record.removed)


def build_record(draft: Draft) -> UpstreamRecord:
    """The upstream record of a draft, in the shape of its registry."""
    if draft.template.startswith("crossref:"):
        return _crossref_record(draft)
    if draft.template.startswith("datacite:"):
        return _datacite_record(draft)
    return _csl_record(draft)


def _date_parts(date: tuple[int, ...] | None) -> dict[str, Any]:
    return {"date-parts": [list(date) if date else [None]]}


def _crossref_author(author: DraftAuthor, index: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if author.orcid:
        out["ORCID"] = author.upstream_orcid()
        out["authenticated-orcid"] = False
    for key, value in (("name", author.name), ("given", author.given), ("family", author.family)):
        if value is not None:
            out[key] = value
    out["sequence"] = "first" if index == 0 else "additional"
    out["affiliation"] = []
    return out


def _crossref_record(draft: Draft) -> UpstreamRecord:
    template = templates()[draft.template]
    resolver = "http://dx.doi.org/" if "old-url" in draft.quirks else "https://doi.org/"
    fields: dict[str, Any] = {
        "DOI": draft.doi,
        "URL": resolver + draft.doi,
        "prefix": draft.doi.split("/", 1)[0],
        "publisher": draft.publisher,
        "type": draft.work_type,
        "title": [] if draft.title is None else [draft.title],
        "original-title": [],
        "subtitle": [],
        "short-title": [],
        "container-title": [draft.container] if draft.container else [],
        "short-container-title": [],
    }
    removed = ["accepted"]
    if draft.authors:
        fields["author"] = [_crossref_author(a, i) for i, a in enumerate(draft.authors)]
    else:
        removed.append("author")
    if draft.date is None:
        fields["issued"] = _date_parts(None)
        removed += ["published", *_CROSSREF_DATES]
    elif "issued-null" in draft.quirks:
        # `issued` is "required" yet can be [[null]] while `published` still has the year.
        fields["issued"] = _date_parts(None)
        fields["published"] = _date_parts(draft.date)
        removed += _CROSSREF_DATES
    else:
        fields["issued"] = fields["published"] = _date_parts(draft.date)
        fields.update((key, _date_parts(draft.date)) for key in _CROSSREF_DATES if key in template)
    return UpstreamRecord(draft.template, fields, tuple(removed))


def _datacite_creator(author: DraftAuthor) -> dict[str, Any]:
    identifiers = []
    if author.orcid:
        identifiers.append(
            {
                "schemeUri": "https://orcid.org",
                "nameIdentifier": author.upstream_orcid(),
                "nameIdentifierScheme": "ORCID",
            }
        )
    if author.is_organisation:
        kind: dict[str, Any] = {"name": author.name, "nameType": "Organizational"}
    else:
        display = ", ".join(part for part in (author.family, author.given) if part)
        kind = {"name": author.name or display, "nameType": "Personal"}
        if author.given is not None:
            kind["givenName"] = author.given
        if author.family is not None:
            kind["familyName"] = author.family
    return {**kind, "affiliation": [], "nameIdentifiers": identifiers}


def _datacite_record(draft: Draft) -> UpstreamRecord:
    prefix, suffix = draft.doi.split("/", 1)
    year = draft.date[0] if draft.date else None
    titles: list[dict[str, str]] = [] if draft.title is None else [{"title": draft.title}]
    if "translated-title-first" in draft.quirks:
        titles.insert(0, {"lang": "fr", "title": "Titre traduit", "titleType": "TranslatedTitle"})
    types = {**_DATACITE_TYPES[draft.work_type], "resourceTypeGeneral": draft.work_type}
    fields: dict[str, Any] = {
        "doi": draft.doi,
        "prefix": prefix,
        "suffix": suffix,
        "identifiers": [],
        "creators": [_datacite_creator(a) for a in draft.authors],
        "titles": titles,
        "publisher": draft.publisher,
        "container": {"type": "Series", "title": draft.container} if draft.container else {},
        "publicationYear": str(year) if "year-string" in draft.quirks else year,
        "types": types,
        "dates": [] if year is None else [{"date": str(year), "dateType": "Issued"}],
        "url": _LANDING_HOSTS.get(prefix, "https://repository.example.org/") + draft.doi,
        "created": draft.created,
        "registered": draft.created,
        "published": None if year is None else str(year),
        "updated": draft.created,
    }
    return UpstreamRecord(draft.template, fields)


def _csl_author(author: DraftAuthor, index: int) -> dict[str, Any]:
    names: dict[str, Any]
    if author.name is not None:
        names = {"literal": author.name}
    else:
        pairs = (("given", author.given), ("family", author.family))
        names = {key: value for key, value in pairs if value is not None}
    return {**names, "sequence": "first" if index == 0 else "additional", "affiliation": []}


def _csl_record(draft: Draft) -> UpstreamRecord:
    fields: dict[str, Any] = {
        "publisher": draft.publisher,
        "DOI": draft.doi.upper() if "upper-doi" in draft.quirks else draft.doi,
        "type": draft.work_type,
        "source": draft.agency,
        "title": [draft.title] if "title-list" in draft.quirks else draft.title,
        "prefix": draft.doi.split("/", 1)[0],
        "author": [_csl_author(a, i) for i, a in enumerate(draft.authors)],
        "container-title": draft.container,
        "original-title": [],
        "subtitle": [],
        "short-title": [],
        "issued": _date_parts(draft.date),
        "published": _date_parts(draft.date),
        "URL": "https://doi.org/" + draft.doi,
    }
    removed = list(_CSL_DROPPED)
    for key in ("author", "container-title", "title"):
        if not fields[key]:
            del fields[key]
            removed.append(key)
    return UpstreamRecord(draft.template, fields, tuple(removed))

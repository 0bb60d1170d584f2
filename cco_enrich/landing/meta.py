"""Meta tags -> PageFields: Highwire `citation_*`, Dublin Core (`DC.*`, `dcterms.*`), OpenGraph.

Each reader takes the page's meta tags (names lower-cased, values in document order) and
returns what its vocabulary says; extract.py merges them after the schema.org syntaxes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cco_enrich.landing.fields import (
    PageFields,
    author_from_text,
    doi_in,
    keywords_from,
    normalise_date,
    normalise_interval,
    relation_target,
    work_type,
    year_of,
)
from cco_enrich.models import Author, Relation
from cco_enrich.registries.parse import clean_text

Meta = Mapping[str, Sequence[str]]

_DC_PREFIXES = ("dc.", "dcterms.", "dct.")
_DC_RELATIONS = (("ispartof", "IsPartOf"), ("haspart", "HasPart"))
_HIGHWIRE_TYPES = (
    ("citation_journal_title", "journal-article"),
    ("citation_conference_title", "proceedings-article"),
    ("citation_book_title", "book-chapter"),
    ("citation_dissertation_institution", "dissertation"),
    ("citation_technical_report_institution", "report"),
    ("citation_technical_report_number", "report"),
)
_OG_TYPES = {"website": "webpage", "article": "article", "book": "book"}


def _first(meta: Meta, *names: str) -> str | None:
    return next((t for name in names for v in meta.get(name, ()) if (t := clean_text(v))), None)


def _first_date(meta: Meta, *names: str) -> str | None:
    return next((d for name in names for v in meta.get(name, ()) if (d := normalise_date(v))), None)


def _authors(values: Sequence[str], *, is_person: bool) -> tuple[Author, ...]:
    return tuple(a for v in values if (a := author_from_text(v, is_person=is_person)))


def highwire_fields(meta: Meta) -> PageFields:
    """Google Scholar's Highwire Press tags (`citation_title`, `citation_author`, ...)."""
    authors = list(meta.get("citation_author", ()))
    for joined in meta.get("citation_authors", ()):  # the older form: one tag, ";"-separated
        authors.extend(part for part in joined.split(";") if part.strip())
    published = _first_date(
        meta, "citation_publication_date", "citation_date", "citation_online_date"
    ) or (str(year) if (year := year_of(_first_date(meta, "citation_year"))) is not None else None)
    return PageFields(
        title=_first(meta, "citation_title"),
        creators=_authors(authors, is_person=True),
        date_published=published,
        type=next((kind for name, kind in _HIGHWIRE_TYPES if meta.get(name)), None),
        publisher=_first(
            meta,
            "citation_publisher",
            "citation_technical_report_institution",
            "citation_dissertation_institution",
        ),
        container_title=_first(meta, "citation_journal_title", "citation_conference_title"),
        description=_first(meta, "citation_abstract"),
        keywords=keywords_from(meta.get("citation_keywords", ())),
        doi=next((d for v in meta.get("citation_doi", ()) if (d := doi_in(v))), None),
        url=_first(meta, "citation_abstract_html_url", "citation_public_url"),
    )


def _dublin_core(meta: Meta) -> dict[str, list[str]]:
    """The Dublin Core tags keyed by their term (`title`, `date.created`, `haspart`)."""
    terms: dict[str, list[str]] = {}
    for name, values in meta.items():
        prefix = next((p for p in _DC_PREFIXES if name.startswith(p)), None)
        if prefix is not None:
            terms.setdefault(name[len(prefix) :], []).extend(values)
    return terms


def dublin_core_fields(meta: Meta, base_url: str) -> PageFields:
    """Dublin Core elements and terms, in meta tags or DC-HTML links (`DC.title`, ...)."""
    dc = _dublin_core(meta)
    relations = tuple(
        dict.fromkeys(
            Relation(type=kind, identifier=target)
            for term, kind in _DC_RELATIONS
            for value in dc.get(term, ())
            if (target := relation_target(value, base_url))
        )
    )
    return PageFields(
        title=_first(dc, "title"),
        creators=_authors(dc.get("creator", []), is_person=False),
        contributors=_authors(dc.get("contributor", []), is_person=False),
        date_published=_first_date(dc, "issued", "date.issued", "date"),
        date_created=_first_date(dc, "created", "date.created"),
        date_modified=_first_date(dc, "modified", "date.modified"),
        temporal_coverage=next(
            (
                interval
                for term in ("temporal", "coverage.temporal", "coverage")
                for value in dc.get(term, [])
                if (interval := normalise_interval(value))
            ),
            None,
        ),
        type=work_type(_first(dc, "type")),
        publisher=_first(dc, "publisher"),
        container_title=_first(dc, "source", "citation.journaltitle"),
        description=_first(dc, "description", "abstract"),
        keywords=keywords_from(dc.get("subject", [])),
        relations=relations,
        doi=next((d for v in dc.get("identifier", ()) if (d := doi_in(v))), None),
    )


def opengraph_fields(meta: Meta) -> PageFields:
    """OpenGraph (`og:title`, `og:type`, `article:published_time`, ...)."""
    og_type = (_first(meta, "og:type") or "").lower()
    kind = _OG_TYPES.get(og_type) or (
        "audiovisual"
        if og_type.startswith("video.")
        else "sound"
        if og_type.startswith("music.")
        else None
    )
    authors = [a for a in meta.get("article:author", ()) if "://" not in a]
    return PageFields(
        title=_first(meta, "og:title"),
        creators=_authors(authors, is_person=True),
        date_published=_first_date(meta, "article:published_time", "book:release_date"),
        date_modified=_first_date(meta, "article:modified_time", "og:updated_time"),
        type=kind,
        publisher=_first(meta, "og:site_name"),
        description=_first(meta, "og:description"),
        keywords=keywords_from(meta.get("article:tag", ())),
        doi=next((d for v in meta.get("og:url", ()) if "doi.org/" in v and (d := doi_in(v))), None),
        url=_first(meta, "og:url"),
    )

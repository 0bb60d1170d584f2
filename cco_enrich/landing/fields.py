"""PageFields: what one syntax of a landing page says, and the cleaning every syntax shares.

Names, dates, types and identifiers are written in many ways on the web; these helpers turn each
into the one spelling a Work holds (docs/metadata-mapping.md, "Landing pages").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from cco_enrich.doi import doi_url, normalise_doi
from cco_enrich.errors import InvalidDOIError
from cco_enrich.models import Author, Relation
from cco_enrich.registries.parse import clean_text

_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?$")
_SLASH_DATE = re.compile(r"^(\d{4})/(\d{1,2})(?:/(\d{1,2}))?$")
_TEXT_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%m/%d/%Y", "%Y%m%d")
_PERIOD_PART = re.compile(r"\b(start|end)\s*=\s*([^;]+)", re.IGNORECASE)
_ORGANISATION_WORDS = re.compile(
    r"\b(?:dept|department|university|universit[éa]|college|school|center|centre|institute|"
    r"institution|administration|service|agency|survey|laboratory|lab|office|network|system|"
    r"program|programme|project|council|society|association|foundation|museum|library|"
    r"ministry|bureau|commission|consortium|committee|group|team|inc|ltd|llc|gmbh|corporation|"
    r"company|noaa|nasa|usgs|obis|seamap)\b",
    re.IGNORECASE,
)
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# schema.org, DCMI Type and OpenGraph types -> the type names registries use (see exports/vocab).
_TYPES = {
    "dataset": "dataset",
    "datacatalog": "collection",
    "collection": "collection",
    "collectionpage": "collection",
    "scholarlyarticle": "journal-article",
    "book": "book",
    "chapter": "book-chapter",
    "report": "report",
    "thesis": "dissertation",
    "softwaresourcecode": "software",
    "softwareapplication": "software",
    "software": "software",
    "periodical": "journal",
    "publicationissue": "journal-issue",
    "publicationvolume": "journal-volume",
    "imageobject": "image",
    "photograph": "image",
    "image": "image",
    "stillimage": "image",
    "videoobject": "audiovisual",
    "movie": "audiovisual",
    "movingimage": "audiovisual",
    "audioobject": "sound",
    "sound": "sound",
    "webpage": "webpage",
    "itempage": "webpage",
    "website": "webpage",
}


@dataclass(slots=True)
class PageFields:
    """The metadata one syntax of a page gives; empty fields are None or ()."""

    title: str | None = None
    creators: tuple[Author, ...] = ()
    contributors: tuple[Author, ...] = ()
    date_published: str | None = None
    date_created: str | None = None
    date_modified: str | None = None
    temporal_coverage: str | None = None
    type: str | None = None
    publisher: str | None = None
    container_title: str | None = None
    description: str | None = None
    keywords: tuple[str, ...] = ()
    relations: tuple[Relation, ...] = ()
    doi: str | None = None
    url: str | None = None


def merge_fields(sources: Iterable[PageFields]) -> PageFields:
    """The first non-empty value of each field, in source order; relations from every source."""
    merged = PageFields()
    relations: dict[Relation, None] = {}
    for source in sources:
        relations.update(dict.fromkeys(source.relations))
        for field in fields(PageFields):
            if field.name != "relations" and not getattr(merged, field.name):
                setattr(merged, field.name, getattr(source, field.name))
    return replace(merged, relations=tuple(relations))


def work_type(raw: str | None) -> str | None:
    """A schema.org, DCMI or OpenGraph type as a type name: `Dataset` -> `dataset`."""
    text = clean_text(raw)
    if text is None:
        return None
    name = text.rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]
    if name.lower() in _TYPES:
        return _TYPES[name.lower()]
    return _CAMEL_BOUNDARY.sub("-", name).replace(" ", "-").lower() or None


def normalise_date(raw: object) -> str | None:
    """`YYYY-MM-DD`, `YYYY-MM` or `YYYY` from an ISO date or time, `2017/05/03`, `May 3, 2017`..."""
    text = clean_text(raw) if isinstance(raw, str) else None
    if text is None:
        return None
    match = _ISO_DATE.match(text) or _SLASH_DATE.match(text)
    if match:
        year, month, day = match.groups()
        parts = [year] + [f"{int(p):02d}" for p in (month, day) if p]
        return "-".join(parts) if all(_in_range(p, i) for i, p in enumerate(parts)) else None
    for fmt in _TEXT_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _in_range(part: str, position: int) -> bool:
    return position == 0 or 1 <= int(part) <= (12 if position == 1 else 31)


def year_of(date: str | None) -> int | None:
    return int(date[:4]) if date else None


def normalise_interval(raw: object) -> str | None:
    """An ISO interval `start/end` from `a/b`, a DCMI Period (`start=a; end=b`) or one date."""
    text = clean_text(raw) if isinstance(raw, str) else None
    if text is None:
        return None
    period = dict((k.lower(), v.strip()) for k, v in _PERIOD_PART.findall(text))
    if period:
        start, end = period.get("start"), period.get("end")
    elif "/" in text and not _SLASH_DATE.match(text):
        start, end = (part.strip() for part in text.split("/", 1))
    else:
        single = normalise_date(text)
        return f"{single}/{single}" if single else None
    ends = [".." if side in (None, "", "..") else normalise_date(side) for side in (start, end)]
    if None in ends or ends == ["..", ".."]:
        return None
    return f"{ends[0]}/{ends[1]}"


def doi_in(raw: object) -> str | None:
    """The DOI `raw` names (`10.x/y`, `doi:10.x/y`, a doi.org URL), or None."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        return normalise_doi(raw)
    except InvalidDOIError:
        return None


def relation_target(raw: object, base_url: str) -> str | None:
    """A relation's target as an identifier: DOIs as doi.org URLs, relative URLs made absolute."""
    if not isinstance(raw, str) or not raw.strip() or any(c.isspace() for c in raw.strip()):
        return None
    text = raw.strip()
    doi = doi_in(text)
    if doi is not None:
        return doi_url(doi)
    if urlsplit(text).scheme:
        return text  # as written: "https://seamap.env.duke.edu/?" is not ".../" to a curator
    if text.startswith(("/", "./", "../", "?")):
        return urljoin(base_url, text)
    return text


def author_from_text(raw: object, *, is_person: bool) -> Author | None:
    """A name written as text: `Family, Given`, `Given Family` (when `is_person`) or an org.

    Text naming an organisation (`US Dept. of Commerce, NOAA, ...`) stays whole, as `name`.
    """
    text = clean_text(raw) if isinstance(raw, str) else None
    if text is None:
        return None
    if _ORGANISATION_WORDS.search(text):
        return Author(name=text)
    if text.count(",") == 1:
        family, given = (part.strip() for part in text.split(","))
        if family and given and len(given.split()) <= 3:
            return Author(given=given, family=family)
    words = text.split()
    if is_person and "," not in text and 2 <= len(words) <= 4:
        return Author(given=" ".join(words[:-1]), family=words[-1])
    return Author(name=text)


def keywords_from(values: Iterable[object]) -> tuple[str, ...]:
    """Keywords from strings split on `,` or `;` (or whole when they contain `>`), deduplicated."""
    found: dict[str, None] = {}
    for value in values:
        if not isinstance(value, str):
            continue
        parts = [value] if ">" in value else re.split(r"[;,]", value)
        for part in parts:
            text = clean_text(part)
            if text:
                found.setdefault(text, None)
    return tuple(found)

"""Registry records -> Work, by the rules of docs/metadata-mapping.md. Pure functions, no I/O.

Records are untrusted JSON: every accessor checks types and treats anything unexpected as missing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

from cco_enrich.doi import DOI, doi_url
from cco_enrich.models import Author, Work
from cco_enrich.registries.relations import relations_from_crossref, relations_from_datacite

CROSSREF = "crossref"
DATACITE = "datacite"

# A tag starts with a letter right after "<" or "</", so "a < b > c" in a title survives.
_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
_ORCID_ID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dXx])")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Words that make "X, Y" without a nameType an organisation rather than "Family, Given".
_ORGANISATION_WORDS = re.compile(
    r"\b(?:universit\w*|institut\w*|department|dept|cent(?:er|re)|laborator\w*|lab|agency|"
    r"survey|service|museum|library|society|foundation|council|ministry|bureau|office|inc|ltd|"
    r"gmbh|llc|consortium|project|program(?:me)?|network|repository|archive|data|group)\b",
    re.IGNORECASE,
)


def clean_text(text: str | None) -> str | None:
    """Tags removed, entities unescaped, white space collapsed and trimmed; None when empty."""
    if not isinstance(text, str):
        return None
    cleaned = " ".join(html.unescape(_TAG.sub("", text)).split())
    return cleaned or None


def normalise_orcid(raw: object) -> str | None:
    """The ORCID iD as `https://orcid.org/0000-0002-1825-0097`, from a URL or a bare id."""
    if not isinstance(raw, str):
        return None
    match = _ORCID_ID.search(raw)
    return f"https://orcid.org/{match.group(1).upper()}" if match else None


def work_from_crossref(record: Mapping[str, Any], doi: DOI) -> Work:
    """A Crossref `/works` record (`message`, or one of `items[]`) as a Work."""
    titles = _list(record.get("title"))
    return Work(
        doi=doi,
        registry=CROSSREF,
        title=next((t for t in map(clean_text, titles) if t), None),
        authors=_authors(_dicts(record.get("author")), _crossref_author),
        year=_crossref_year(record),
        container_title=_first_clean(record.get("container-title")),
        type=_str(record.get("type")),
        publisher=clean_text(record.get("publisher")),
        url=doi_url(doi),
        relations=relations_from_crossref(record),
    )


def work_from_datacite(attributes: Mapping[str, Any], doi: DOI) -> Work:
    """A DataCite `/dois` record's `attributes` as a Work."""
    container = attributes.get("container")
    publisher = attributes.get("publisher")
    if isinstance(publisher, Mapping):
        publisher = publisher.get("name")
    return Work(
        doi=doi,
        registry=DATACITE,
        title=_datacite_title(_dicts(attributes.get("titles"))),
        authors=_authors(_dicts(attributes.get("creators")), _datacite_creator),
        year=_datacite_year(attributes.get("publicationYear")),
        container_title=clean_text(container.get("title"))
        if isinstance(container, Mapping)
        else None,
        type=_datacite_type(attributes.get("types")),
        publisher=clean_text(publisher),
        url=doi_url(doi),
        relations=relations_from_datacite(attributes),
    )


def work_from_csl(record: Mapping[str, Any], doi: DOI, registry: str) -> Work:
    """A CSL-JSON record (doi.org content negotiation) as a Work of `registry` (an RA name)."""
    return Work(
        doi=doi,
        registry=registry.lower(),
        title=_first_clean(record.get("title")),
        authors=_authors(_dicts(record.get("author")), _csl_author),
        year=_date_parts_year(record.get("issued")),
        container_title=_first_clean(record.get("container-title")),
        type=_str(record.get("type")),
        publisher=clean_text(record.get("publisher")),
        url=doi_url(doi),
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [item for item in _list(value) if isinstance(item, Mapping)]


def _first_clean(value: object) -> str | None:
    """A string, or the first entry of a list of strings, cleaned."""
    if isinstance(value, list):
        value = value[0] if value else None
    return clean_text(value) if isinstance(value, str) else None


def _authors(
    entries: list[Mapping[str, Any]], to_author: Callable[[Mapping[str, Any]], Author]
) -> tuple[Author, ...]:
    authors = (to_author(entry) for entry in entries)
    return tuple(a for a in authors if a.given or a.family or a.name or a.orcid)


def _crossref_author(entry: Mapping[str, Any]) -> Author:
    return Author(
        given=clean_text(entry.get("given")),
        family=clean_text(entry.get("family")),
        name=clean_text(entry.get("name")),
        orcid=normalise_orcid(entry.get("ORCID")),
    )


def _csl_author(entry: Mapping[str, Any]) -> Author:
    return Author(
        given=clean_text(entry.get("given")),
        family=clean_text(entry.get("family")),
        name=clean_text(entry.get("literal")),
    )


def _datacite_creator(entry: Mapping[str, Any]) -> Author:
    family = clean_text(entry.get("familyName"))
    name_type = entry.get("nameType")
    is_organisation = name_type == "Organizational"
    orcid = next(
        (
            normalise_orcid(ident.get("nameIdentifier"))
            for ident in _dicts(entry.get("nameIdentifiers"))
            if str(ident.get("nameIdentifierScheme", "")).upper() == "ORCID"
        ),
        None,
    )
    name = clean_text(entry.get("name"))
    if family is None and not is_organisation and name:
        person = _personal_name(name, is_personal=name_type == "Personal")
        if person is not None:
            return Author(given=person[1], family=person[0], orcid=orcid)
    return Author(
        given=clean_text(entry.get("givenName")),
        family=family,
        name=name if is_organisation or family is None else None,
        orcid=orcid,
    )


def _personal_name(name: str, *, is_personal: bool) -> tuple[str, str] | None:
    """(family, given) of a person's name written only as `Family, Given`; else None.

    With `nameType: Personal` any `Family, Given` is split. Without a nameType it is split only
    when it does not read as an organisation (`US Dept. of the Interior, Bureau of ...`). A name
    without a comma stays whole: `Ishikawa Mayumi` is family name first, so no split is safe.
    """
    parts = [part.strip() for part in name.split(",")]
    if len(parts) != 2 or not all(parts):
        return None
    reads_as_person = all(map(_is_name_part, parts)) and not _ORGANISATION_WORDS.search(name)
    return (parts[0], parts[1]) if is_personal or reads_as_person else None


def _is_name_part(text: str) -> bool:
    words = text.split()
    is_acronym = text.isupper() and len(text.replace(".", "")) > 1 and len(words) == 1
    return len(words) <= 3 and not is_acronym and not any(c.isdigit() for c in text)


def _date_parts_year(date: object) -> int | None:
    """`date-parts[0][0]` when it is an int (Crossref sends `[[null]]` for unknown dates)."""
    if not isinstance(date, Mapping):
        return None
    parts = date.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        year = parts[0][0]
        if isinstance(year, int) and not isinstance(year, bool):
            return year
    return None


def _crossref_year(record: Mapping[str, Any]) -> int | None:
    for key in ("issued", "published", "published-print", "published-online"):
        year = _date_parts_year(record.get(key))
        if year is not None:
            return year
    return None


def _datacite_title(titles: list[Mapping[str, Any]]) -> str | None:
    if not titles:
        return None
    main = next((t for t in titles if not t.get("titleType")), titles[0])
    return clean_text(main.get("title"))


def _datacite_year(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def _datacite_type(types: object) -> str | None:
    """`types.resourceTypeGeneral` in lower kebab case: `JournalArticle` -> `journal-article`."""
    if not isinstance(types, Mapping):
        return None
    general = _str(types.get("resourceTypeGeneral"))
    if general is None:
        return None
    words = _CAMEL_BOUNDARY.sub("-", general.strip())
    return re.sub(r"[\s_]+", "-", words).lower() or None

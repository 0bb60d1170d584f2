"""What every export format shares: type names, citation keys, status notes, IRIs, file names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from cco_enrich.doi import doi_url
from cco_enrich.exports.links import is_url, parsed_identifier
from cco_enrich.models import Author, Resource, ResourceStatus, Session


@dataclass(frozen=True, slots=True)
class TypeNames:
    """One resource type in each vocabulary we write: schema.org, CSL, BibTeX and RIS."""

    schema_org: str
    csl: str
    bibtex: str
    ris: str


GENERIC = TypeNames("CreativeWork", "document", "misc", "GEN")
_ARTICLE = TypeNames("ScholarlyArticle", "article-journal", "article", "JOUR")
_PREPRINT = TypeNames("ScholarlyArticle", "article", "misc", "UNPB")
_BOOK = TypeNames("Book", "book", "book", "BOOK")
_CHAPTER = TypeNames("Chapter", "chapter", "incollection", "CHAP")
_PAPER = TypeNames("ScholarlyArticle", "paper-conference", "inproceedings", "CPAPER")
_PROCEEDINGS = TypeNames("Book", "book", "proceedings", "CONF")
_DATASET = TypeNames("Dataset", "dataset", "misc", "DATA")
_SOFTWARE = TypeNames("SoftwareSourceCode", "software", "misc", "COMP")
_THESIS = TypeNames("Thesis", "thesis", "phdthesis", "THES")
_REPORT = TypeNames("Report", "report", "techreport", "RPRT")
_PERIODICAL = TypeNames("Periodical", "periodical", "misc", "JFULL")

# Keys are Crossref type ids, DataCite resourceTypeGeneral in kebab case, and CSL types, since a
# resource's type comes from whichever registry answered (docs/metadata-mapping.md).
_TYPES: dict[str, TypeNames] = {
    **dict.fromkeys(("journal-article", "article-journal", "data-paper"), _ARTICLE),
    **dict.fromkeys(("posted-content", "preprint", "article"), _PREPRINT),
    **dict.fromkeys(("book", "monograph", "edited-book", "reference-book", "book-set"), _BOOK),
    **dict.fromkeys(
        ("book-chapter", "book-section", "book-part", "chapter", "reference-entry"), _CHAPTER
    ),
    **dict.fromkeys(("proceedings-article", "conference-paper", "paper-conference"), _PAPER),
    **dict.fromkeys(("proceedings", "conference-proceeding"), _PROCEEDINGS),
    **dict.fromkeys(("dataset", "database"), _DATASET),
    **dict.fromkeys(("software", "computational-notebook", "workflow"), _SOFTWARE),
    **dict.fromkeys(("dissertation", "thesis"), _THESIS),
    **dict.fromkeys(("report", "report-component", "report-series"), _REPORT),
    **dict.fromkeys(("journal", "journal-issue", "journal-volume", "periodical"), _PERIODICAL),
    "collection": TypeNames("Collection", "collection", "misc", "GEN"),
    "standard": TypeNames("CreativeWork", "standard", "misc", "STAND"),
    "peer-review": TypeNames("Review", "review", "misc", "GEN"),
    "image": TypeNames("ImageObject", "graphic", "misc", "FIGURE"),
    "audiovisual": TypeNames("VideoObject", "motion_picture", "misc", "VIDEO"),
    "sound": TypeNames("AudioObject", "song", "misc", "SOUND"),
    "model": TypeNames("CreativeWork", "document", "misc", "GEN"),
    "event": TypeNames("Event", "event", "misc", "GEN"),
    "webpage": TypeNames("WebPage", "webpage", "misc", "ELEC"),
}

_STOP_WORDS = frozenset(("a", "an", "and", "at", "for", "from", "in", "of", "on", "the", "to"))


def type_names(resource: Resource) -> TypeNames:
    """The names of a resource's type in every vocabulary; generic when unknown or not enriched."""
    return _TYPES.get((resource.type or "").lower(), GENERIC)


def has_metadata(resource: Resource) -> bool:
    """Whether a resource has something to cite besides its identifier: a title or an author.

    Citation formats (CSL-JSON, BibTeX, RIS) leave the others out unless asked for all.
    """
    return bool(resource.title or resource.authors)


def resource_url(resource: Resource) -> str | None:
    """Where to read a resource: its registry or landing-page URL, its doi.org URL, the URL it
    was given as, or the resolver link of its PID."""
    if resource.url:
        return resource.url
    if resource.doi:
        return doi_url(resource.doi)
    if is_url(resource):
        return resource.identifier
    parsed = parsed_identifier(resource)
    return parsed.iri if parsed is not None and parsed.iri.startswith("http") else None


def status_note(resource: Resource) -> str | None:
    """Why a resource carries no registry metadata, for formats without a status field."""
    if resource.status is ResourceStatus.ENRICHED:
        return None
    note = f"cco_enrich: {resource.identifier} is {resource.status.value}"
    return f"{note}: {resource.error}" if resource.error else note


def author_name(author: Author) -> str:
    """'Family, Given' for people, the plain name for organisations."""
    if author.family and author.given:
        return f"{author.family}, {author.given}"
    return author.family or author.name or author.given or ""


def ascii_fold(text: str) -> str:
    """`text` without accents, for keys and other places that want plain ASCII."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ø", "o"))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def citation_keys(resources: Sequence[Resource]) -> list[str]:
    """One unique key per resource: family + year + first title word, else `item{position}`.

    Clashes get 'a', 'b', ... appended, as BibTeX tools do.
    """
    keys: list[str] = []
    taken: set[str] = set()
    for position, resource in enumerate(resources, start=1):
        base = _key_base(resource) or f"item{position}"
        key, suffix = base, 0
        while key in taken:
            suffix += 1
            key = base + _suffix(suffix)
        taken.add(key)
        keys.append(key)
    return keys


def _key_base(resource: Resource) -> str:
    first = resource.authors[0] if resource.authors else None
    family = (first.family or first.name or first.given or "") if first else ""
    words = re.findall(r"[a-z0-9]+", ascii_fold(resource.title or "").lower())
    word = next((w for w in words if w not in _STOP_WORDS), "")
    family_word = "".join(re.findall(r"[a-z0-9]+", ascii_fold(family).lower()))[:24]
    base = f"{family_word}{resource.year or ''}{word[:16]}"
    # Some BibTeX tools refuse a key that starts with a digit.
    return f"anon{base}" if base[:1].isdigit() else base


def _suffix(number: int) -> str:
    """'a'..'z', then 'aa', 'ab', ..."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def iri(text: str) -> str:
    """`text` safe to use as a JSON-LD `@id`: characters no IRI may hold are percent-encoded."""
    return quote(text, safe=":/?#[]@!$&'()*+,;=%~._-")


def export_filename(session: Session, extension: str) -> str:
    """`{slug}.{extension}`, the slug from metadata `output_filename_slug` or the session id."""
    slug = session.metadata.get("output_filename_slug")
    cleaned = _sanitise(slug) if isinstance(slug, str) else ""
    return f"{cleaned or 'cco-' + _sanitise(session.id[:8])}.{extension}"


def _sanitise(text: str) -> str:
    # Safe in a Content-Disposition header and on every file system: ASCII, no separators.
    return re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_fold(text)).strip(".-_")[:80]

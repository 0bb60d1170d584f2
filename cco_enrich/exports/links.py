"""Links inside a CCO: each resource's IRI, which resource a relation points at, the part tree.

A relation's target matches a resource of the same CCO when they share any identifier: the DOI,
the scheme and PID (`pmid:123`), another id found for it, the URL it was given as or its landing
page. URLs match after the scheme and host are lower-cased, `http` is read as `https` and a
trailing `/` is dropped; the fragment counts (`https://portal.atn.ioos.us/#metadata/…` names a
different dataset per fragment). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from cco_enrich.doi import doi_url
from cco_enrich.identifiers import InvalidIdentifier, ParsedIdentifier, Scheme, parse_identifier
from cco_enrich.models import Relation, Resource

PART_OF = "IsPartOf"
HAS_PART = "HasPart"
_OTHER_IDS = ("pmid", "pmcid", "arxiv", "isbn")


def parsed_identifier(resource: Resource) -> ParsedIdentifier | None:
    """The identifier a resource was given as, read in its scheme; None for an invalid one."""
    parsed = parse_identifier(resource.identifier)
    return None if isinstance(parsed, InvalidIdentifier) else parsed


def pid_iri(resource: Resource) -> str | None:
    """The canonical IRI of a resource: its DOI's doi.org link, else its PID's IRI, else None."""
    if resource.doi:
        return doi_url(resource.doi)
    parsed = parsed_identifier(resource)
    return parsed.iri if parsed is not None else None


def is_url(resource: Resource) -> bool:
    """Whether a resource without a DOI was given as a plain URL (and so can be linked to)."""
    if resource.doi is not None:
        return False
    if resource.scheme is not None:
        return resource.scheme == Scheme.URL.value
    parsed = parsed_identifier(resource)
    return parsed is not None and parsed.scheme is Scheme.URL


def match_key(text: str) -> str | None:
    """The key two spellings of one identifier share: `doi:10.1/x`, `pmid:1`, a URL; or None."""
    parsed = parse_identifier(text)
    if isinstance(parsed, InvalidIdentifier):
        return None
    if parsed.doi:
        return f"doi:{parsed.doi}"
    if parsed.scheme is Scheme.URL:
        return _url_key(parsed.pid)
    return f"{parsed.scheme.value}:{parsed.pid}"


def identifier_keys(resource: Resource) -> set[str]:
    """Every key a relation may use to name this resource, but for its landing page's URL."""
    keys = {f"doi:{resource.doi}"} if resource.doi else set()
    if resource.scheme and resource.pid:
        given_as_url = resource.scheme == Scheme.URL.value
        keys.add(_url_key(resource.pid) if given_as_url else f"{resource.scheme}:{resource.pid}")
    keys.update(f"{name}:{value}" for name in _OTHER_IDS if (value := getattr(resource, name)))
    key = match_key(resource.identifier)
    if key is not None:
        keys.add(key)
    return keys


@dataclass(frozen=True, slots=True)
class RelatedLink:
    """A relation that is not a part link inside the CCO: its type, and where it points."""

    type: str
    identifier: str
    position: int | None = None
    """The resource of this CCO it points at, if any."""


@dataclass(slots=True)
class CcoLinks:
    """The relations of a CCO's resources, sorted: part links inside it, and every other one."""

    children: dict[int, list[int]] = field(default_factory=dict)
    parents: dict[int, list[int]] = field(default_factory=dict)
    related: dict[int, list[RelatedLink]] = field(default_factory=dict)

    def add_part(self, parent: int, child: int) -> None:
        if parent == child or child in self.children.get(parent, ()):
            return
        self.children.setdefault(parent, []).append(child)
        self.parents.setdefault(child, []).append(parent)


def cco_links(resources: Sequence[Resource]) -> CcoLinks:
    """Part links between resources of the CCO (both ways), and every other relation.

    `A HasPart B` and `B IsPartOf A` give the same link. A part relation whose target is outside
    the CCO is an ordinary related link: it never makes a part.
    """
    positions = _positions(resources)
    links = CcoLinks()
    for position, resource in enumerate(resources):
        for relation in resource.relations:
            target = _find(positions, relation)
            if target == position:
                continue
            if target is not None and relation.type == HAS_PART:
                links.add_part(position, target)
            elif target is not None and relation.type == PART_OF:
                links.add_part(target, position)
            else:
                link = RelatedLink(relation.type, relation.identifier, target)
                links.related.setdefault(position, []).append(link)
    return links


def part_tree(resources: Sequence[Resource]) -> dict[str, list[int]]:
    """Parent position -> the positions of its parts, for the web page (JSON keys are text)."""
    return {str(parent): kids for parent, kids in sorted(cco_links(resources).children.items())}


def _positions(resources: Sequence[Resource]) -> dict[str, int]:
    """Key -> position of the first resource that has it; landing-page URLs only fill gaps.

    A landing page is often shared (every dataset of a portal that tells them apart by fragment
    loads the same page), so the identifiers given come first.
    """
    positions: dict[str, int] = {}
    for position, resource in enumerate(resources):
        for key in identifier_keys(resource):
            positions.setdefault(key, position)
    for position, resource in enumerate(resources):
        page = match_key(resource.url) if resource.url else None
        if page is not None:
            positions.setdefault(page, position)
    return positions


def _find(positions: dict[str, int], relation: Relation) -> int | None:
    key = match_key(relation.identifier)
    return positions.get(key) if key is not None else None


def _url_key(url: str) -> str:
    parts = urlsplit(url.strip())
    scheme = "https" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, parts.netloc.lower(), path, parts.query, parts.fragment))

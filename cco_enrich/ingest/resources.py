"""One resource per identifier given, and the collector that merges repeats and counts them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cco_enrich.errors import InputError, InputTooLargeError
from cco_enrich.identifiers import InvalidIdentifier, parse_identifier
from cco_enrich.models import Resource, ResourceStatus

URL_NOT_A_DOI = "not a DOI; kept as given"
MAX_IDENTIFIER_CHARS = 2048  # far above any real DOI or URL; more is pasted text, not an id
TRIM = " \t\r\n\f\v\u00a0\u200b\u200c\u200d\u2060\ufeff"
"""White space and invisible characters trimmed from both ends of every identifier."""


@dataclass(frozen=True, slots=True)
class IngestResult:
    """The resources read from one input, in input order, with their counts."""

    resources: list[Resource]
    metadata: dict[str, Any]
    total: int
    dois: int
    duplicates: int
    invalid: int
    skipped: int
    callback_url: str | None = None


def build_resource(identifier: str) -> Resource:
    """The resource for one identifier as given: a pending PID (a URL too), or invalid.

    Every scheme is pending; an arXiv id also has its DOI, so it takes the DOI path. PMIDs,
    PMCIDs, ISBNs, Handles, IGSNs, ARKs and URLs (landing pages) go to cco_enrich/resolution/.
    """
    identifier = identifier.strip(TRIM)
    if len(identifier) > MAX_IDENTIFIER_CHARS:
        return Resource(
            identifier=identifier,
            status=ResourceStatus.INVALID,
            error=f"{len(identifier):,} characters long; no DOI or URL is over "
            f"{MAX_IDENTIFIER_CHARS:,}.",
        )
    parsed = parse_identifier(identifier)
    if isinstance(parsed, InvalidIdentifier):
        return Resource(identifier=identifier, status=ResourceStatus.INVALID, error=parsed.message)
    return Resource(
        identifier=identifier, scheme=parsed.scheme.value, pid=parsed.pid, **parsed.ids()
    )


class ResourceCollector:
    """Resources in input order, merging repeats: by DOI, else by scheme and normalised PID."""

    def __init__(self, max_identifiers: int) -> None:
        self.max_identifiers = max_identifiers
        self.resources: list[Resource] = []
        self.duplicates = 0
        self._seen: set[str] = set()

    def add(self, resource: Resource) -> None:
        if resource.doi:
            key = f"doi:{resource.doi}"
        elif resource.pid:
            key = f"{resource.scheme}:{resource.pid}"
        else:
            key = f"id:{resource.identifier}"
        if key in self._seen:
            self.duplicates += 1
            return
        if len(self.resources) >= self.max_identifiers:
            msg = (
                f"more than {self.max_identifiers} identifiers; the limit is set by "
                "CCO_MAX_IDENTIFIERS. Split the list into several sessions or raise the limit."
            )
            raise InputTooLargeError(msg)
        self._seen.add(key)
        self.resources.append(resource)

    def result(
        self, what: str, metadata: dict[str, Any], callback_url: str | None = None
    ) -> IngestResult:
        """What was collected, counted. Raises InputError when there is nothing to enrich."""
        if not self.resources:
            msg = f"no identifiers found; {what}"
            raise InputError(msg)
        if all(r.status is ResourceStatus.INVALID for r in self.resources):
            # Nothing to enrich and nothing to keep: say why now rather than store a dud session.
            first = self.resources[0].error or ""
            msg = (
                f"none of the {len(self.resources)} identifier(s) is a DOI or a URL, so there is "
                f"nothing to enrich; the first: {first[:300]}"
            )
            raise InputError(msg)
        statuses = [r.status for r in self.resources]
        return IngestResult(
            resources=self.resources,
            metadata=metadata,
            total=len(self.resources),
            dois=sum(1 for r in self.resources if r.doi),
            duplicates=self.duplicates,
            invalid=statuses.count(ResourceStatus.INVALID),
            skipped=statuses.count(ResourceStatus.SKIPPED),
            callback_url=callback_url,
        )

"""The resources of a CCO: what a registry returns for one (Work), one lookup's end (Outcome),
and the Resource a session holds for each identifier given. No I/O.

`Resource.with_outcome` moves a resource out of pending, and only `Resource.reset` moves it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

from pydantic import BaseModel, ConfigDict

DOI = NewType("DOI", str)
"""A normalised DOI: no resolver prefix, ASCII lower-case. Only doi.normalise_doi() makes one
(it lives in models, below doi.py, so that models can carry it; import it from cco_enrich.doi)."""


class ResourceStatus(StrEnum):
    PENDING = "pending"
    ENRICHED = "enriched"
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    FAILED = "failed"
    SKIPPED = "skipped"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Author(_Frozen):
    given: str | None = None
    family: str | None = None
    name: str | None = None
    orcid: str | None = None

    @property
    def display_name(self) -> str:
        """'Given Family', or the organisation name."""
        if self.family:
            return f"{self.given} {self.family}" if self.given else self.family
        return self.name or self.given or ""


class Relation(_Frozen):
    """A link from one resource to another: a DataCite relationType and the target's identifier.

    `type` uses DataCite's names (`IsPartOf`, `HasPart`, `IsVersionOf`, ...); `identifier` is a
    URL, with DOIs written as `https://doi.org/...`.
    """

    type: str
    identifier: str


class Work(_Frozen):
    """The metadata one source (a registry, a landing page) holds for one resource, cleaned.

    `doi` is the DOI when one is known; a landing page without one leaves it None.
    """

    doi: DOI | None
    registry: str
    title: str | None = None
    authors: tuple[Author, ...] = ()
    year: int | None = None
    container_title: str | None = None
    type: str | None = None
    publisher: str | None = None
    url: str | None = None
    scheme: str | None = None
    pid: str | None = None
    source: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    arxiv: str | None = None
    isbn: str | None = None
    contributors: tuple[Author, ...] = ()
    description: str | None = None
    keywords: tuple[str, ...] = ()
    date_published: str | None = None
    date_created: str | None = None
    date_modified: str | None = None
    temporal_coverage: str | None = None
    """An ISO 8601 interval, `start/end` (either side may be `..` when open)."""
    relations: tuple[Relation, ...] = ()


# What a Resource takes from a Work as it is, besides the fields with_outcome names one by one.
_DESCRIPTIVE_FIELDS = ("contributors", "description", "keywords", "date_published",
                       "date_created", "date_modified", "temporal_coverage")  # fmt: skip


class Resource(_Frozen):
    """One aggregated resource of the CCO: one per identifier given (duplicates merged)."""

    identifier: str
    doi: DOI | None = None
    status: ResourceStatus = ResourceStatus.PENDING
    title: str | None = None
    authors: tuple[Author, ...] = ()
    year: int | None = None
    container_title: str | None = None
    type: str | None = None
    publisher: str | None = None
    url: str | None = None
    registry: str | None = None
    error: str | None = None
    scheme: str | None = None
    pid: str | None = None
    source: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    arxiv: str | None = None
    isbn: str | None = None
    relations: tuple[Relation, ...] = ()
    duplicate_of: str | None = None
    """The identifier (as given) of an earlier resource that turned out to be the same work."""
    contributors: tuple[Author, ...] = ()
    description: str | None = None
    keywords: tuple[str, ...] = ()
    date_published: str | None = None
    date_created: str | None = None
    date_modified: str | None = None
    temporal_coverage: str | None = None

    def with_outcome(self, outcome: Outcome) -> Resource:
        """This resource after a lookup: its metadata from the work, or the reason it has none."""
        if outcome.work is None:
            return self.model_copy(update={"status": outcome.status, "error": outcome.error})
        work = outcome.work
        return self.model_copy(
            update={
                "status": outcome.status,
                "error": None,
                "title": work.title,
                "authors": work.authors,
                "year": work.year,
                "container_title": work.container_title,
                "type": work.type,
                "publisher": work.publisher,
                "url": work.url,
                "registry": work.registry,
                "source": work.source or work.registry,
                # Relations a re-ingested map gave stay beside the ones the lookup found.
                "relations": tuple(dict.fromkeys((*self.relations, *work.relations))),
                **{name: getattr(work, name) for name in _DESCRIPTIVE_FIELDS},
                # Ids given stay; ids the work found fill the gaps (a PMID's DOI).
                **{
                    name: getattr(self, name) or getattr(work, name)
                    for name in ("doi", "pmid", "pmcid", "arxiv", "isbn")
                },
            }
        )

    def reset(self) -> Resource:
        """This resource as if never looked up (used by a forced re-enrichment): ids stay."""
        return Resource(
            identifier=self.identifier,
            doi=self.doi,
            scheme=self.scheme,
            pid=self.pid,
            pmid=self.pmid,
            pmcid=self.pmcid,
            arxiv=self.arxiv,
            isbn=self.isbn,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """The end of one DOI's lookup: enriched with a work, or not_found/failed with a reason."""

    doi: DOI
    status: ResourceStatus
    work: Work | None = None
    error: str | None = None

    @classmethod
    def enriched(cls, work: Work, key: DOI | None = None) -> Outcome:
        """The work found for `key` (its DOI unless given: a work without one needs a key).

        A non-DOI key is the resource's `scheme:pid` (`pmid:123`), typed DOI only as the key
        the run indexes outcomes by.
        """
        key = key if key is not None else work.doi
        if key is None:
            msg = f"a work without a DOI ({work.title!r}) needs the key it was looked up by"
            raise ValueError(msg)
        return cls(doi=key, status=ResourceStatus.ENRICHED, work=work)

    @classmethod
    def not_found(cls, doi: DOI, reason: str = "no registry knows this DOI") -> Outcome:
        return cls(doi=doi, status=ResourceStatus.NOT_FOUND, error=reason)

    @classmethod
    def failed(cls, doi: DOI, reason: str) -> Outcome:
        return cls(doi=doi, status=ResourceStatus.FAILED, error=reason)

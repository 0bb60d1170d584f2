"""Pydantic models of the CCO: resources, sessions, progress, what a registry returns. No I/O.

Status changes live here and nowhere else: `ProcessingStatus` has the transitions (`moved_to`,
`queued`, `running`, `completed`, `cancelled`, `failed`, `recounted`), `StatusCounts` is the one
place resources are counted, and `reset_resources` decides what a re-run looks up again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NewType

from pydantic import BaseModel, ConfigDict, Field

DOI = NewType("DOI", str)
"""A normalised DOI: no resolver prefix, ASCII lower-case. Only doi.normalise_doi() makes one
(it lives here, below doi.py, so that models can carry it; import it from cco_enrich.doi)."""


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class ResourceStatus(StrEnum):
    PENDING = "pending"
    ENRICHED = "enriched"
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    FAILED = "failed"
    SKIPPED = "skipped"


# What each kind of re-run puts back to pending (invalid and skipped are never looked up).
FORCE_RESET_STATUSES = frozenset(
    {ResourceStatus.ENRICHED, ResourceStatus.NOT_FOUND, ResourceStatus.FAILED}
)
RETRY_RESET_STATUSES = frozenset({ResourceStatus.FAILED})


class JobState(StrEnum):
    IDLE = "idle"
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_JOB_STATES

    @property
    def is_active(self) -> bool:
        return self in (JobState.QUEUED, JobState.RUNNING)


TERMINAL_JOB_STATES = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED})


class StopReason(StrEnum):
    """Why a running enrichment stops before its end (a shutdown has none: the job re-runs)."""

    CANCELLED = "cancelled"
    DELETED = "deleted"
    LEASE_LOST = "lease lost"


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


@dataclass(slots=True)
class StatusCounts:
    """How many resources are in each status: the one place resources are counted.

    Mutable on purpose: a run moves one resource at a time (`move`) instead of recounting them all
    after every batch.
    """

    by_status: dict[ResourceStatus, int] = field(
        default_factory=lambda: dict.fromkeys(ResourceStatus, 0)
    )

    @classmethod
    def of(cls, resources: Iterable[Resource]) -> StatusCounts:
        """Count `resources` by status."""
        counts = cls()
        for resource in resources:
            counts.by_status[resource.status] += 1
        return counts

    def __getitem__(self, status: ResourceStatus) -> int:
        return self.by_status[status]

    def move(self, old: ResourceStatus, new: ResourceStatus) -> None:
        """One resource went from `old` to `new`."""
        self.by_status[old] -= 1
        self.by_status[new] += 1

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def done(self) -> int:
        """Resources no longer pending (whatever their outcome)."""
        return self.total - self.by_status[ResourceStatus.PENDING]

    @property
    def percent(self) -> float:
        """Done as a share of the total, one decimal; an empty session is 100 % done."""
        total = self.total
        return round(100.0 * self.done / total, 1) if total else 100.0

    def progress_message(self) -> str:
        return f"{self.done} of {self.total} resources done"

    def summary(self) -> str:
        """One line per finished run: how many of each outcome."""
        parts = (
            (ResourceStatus.ENRICHED, "enriched"),
            (ResourceStatus.NOT_FOUND, "not found"),
            (ResourceStatus.FAILED, "failed"),
            (ResourceStatus.INVALID, "invalid"),
            (ResourceStatus.SKIPPED, "skipped"),
        )
        return ", ".join(f"{self[status]} {label}" for status, label in parts)


def reset_resources(
    resources: Sequence[Resource], statuses: Set[ResourceStatus]
) -> dict[int, Resource]:
    """The resources we look up (a DOI or a PID) whose status is in `statuses`, back to pending."""
    return {
        i: r.reset() for i, r in enumerate(resources) if (r.doi or r.pid) and r.status in statuses
    }


class ProcessingStatus(BaseModel):
    """Where an enrichment stands; stored under the session and sent on every SSE event.

    Every change goes through a transition below, which stamps `updated_at`:

        idle ──enqueue──▶ queued ──worker──▶ running ──▶ completed | cancelled | failed
        completed | cancelled | failed ──enqueue (enrich, retry, force)──▶ queued
        running ──shutdown──▶ queued ("interrupted")    queued ──cancel, no worker──▶ cancelled
        queued | running ──sweeper: worker lost too often──▶ failed ("gave up")
    """

    model_config = ConfigDict(extra="forbid")

    status: JobState = JobState.IDLE
    percent: float = 0.0
    total: int = 0
    done: int = 0
    enriched: int = 0
    not_found: int = 0
    invalid: int = 0
    skipped: int = 0
    failed: int = 0
    stage: str = "created"
    message: str = ""
    updated_at: datetime = Field(default_factory=utc_now)

    @classmethod
    def from_counts(
        cls,
        counts: StatusCounts,
        state: JobState = JobState.IDLE,
        stage: str = "created",
        message: str = "",
    ) -> ProcessingStatus:
        """A status whose totals, done and percent all follow from `counts`, stamped now."""
        return cls(
            status=state,
            stage=stage,
            message=message,
            total=counts.total,
            done=counts.done,
            percent=counts.percent,
            enriched=counts[ResourceStatus.ENRICHED],
            not_found=counts[ResourceStatus.NOT_FOUND],
            invalid=counts[ResourceStatus.INVALID],
            skipped=counts[ResourceStatus.SKIPPED],
            failed=counts[ResourceStatus.FAILED],
        )

    @classmethod
    def created(cls, resources: Iterable[Resource]) -> ProcessingStatus:
        """The first status of a new session: idle, its resources counted."""
        return cls.from_counts(StatusCounts.of(resources))

    def moved_to(
        self,
        state: JobState,
        stage: str,
        message: str = "",
        *,
        counts: StatusCounts | None = None,
    ) -> ProcessingStatus:
        """This status in `state` at `stage`, stamped now; `counts` replaces the numbers."""
        if counts is not None:
            return ProcessingStatus.from_counts(counts, state, stage, message)
        return self.model_copy(
            update={"status": state, "stage": stage, "message": message, "updated_at": utc_now()}
        )

    def recounted(self, counts: StatusCounts) -> ProcessingStatus:
        """The same state, stage and message with new numbers (after a reset)."""
        return self.moved_to(self.status, self.stage, self.message, counts=counts)

    def queued(
        self, message: str = "waiting for a worker", *, stage: str = "queued"
    ) -> ProcessingStatus:
        return self.moved_to(JobState.QUEUED, stage, message)

    def running(self, counts: StatusCounts, message: str | None = None) -> ProcessingStatus:
        """Resolving; the message defaults to how far it got."""
        return self.moved_to(
            JobState.RUNNING, "resolving", message or counts.progress_message(), counts=counts
        )

    def completed(self, counts: StatusCounts) -> ProcessingStatus:
        return self.moved_to(JobState.COMPLETED, "done", counts.summary(), counts=counts)

    def cancelled(
        self, message: str = "cancelled on request", *, counts: StatusCounts | None = None
    ) -> ProcessingStatus:
        return self.moved_to(JobState.CANCELLED, "cancelled", message, counts=counts)

    def failed_at(self, stage: str, message: str) -> ProcessingStatus:
        """Stopped for good at `stage` (an internal error, a worker lost too often)."""
        return self.moved_to(JobState.FAILED, stage, message)


class WebhookDelivery(_Frozen):
    """One webhook call for a session: when, how it ended, after how many attempts."""

    at: datetime
    event: str
    delivered: bool
    attempts: int
    status_code: int | None = None  # the receiver's last answer, when it answered
    error: str | None = None  # why it was not delivered


class Session(BaseModel):
    """A CCO being enriched: its metadata, its resources in input order, and its progress."""

    model_config = ConfigDict(extra="forbid")

    id: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    resources: list[Resource] = Field(default_factory=list)
    processing_status: ProcessingStatus = Field(default_factory=ProcessingStatus)
    created_at: datetime = Field(default_factory=utc_now)
    webhook_deliveries: list[WebhookDelivery] = Field(default_factory=list)

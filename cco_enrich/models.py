"""Pydantic models of the CCO: resources, sessions, progress, what a registry returns. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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


FINAL_RESOURCE_STATUSES = frozenset(ResourceStatus) - {ResourceStatus.PENDING}


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


class Work(_Frozen):
    """The metadata one registry holds for one DOI, already cleaned."""

    doi: str
    registry: str
    title: str | None = None
    authors: tuple[Author, ...] = ()
    year: int | None = None
    container_title: str | None = None
    type: str | None = None
    publisher: str | None = None
    url: str | None = None


class Resource(_Frozen):
    """One aggregated resource of the CCO: one per identifier given (duplicates merged)."""

    identifier: str
    doi: str | None = None
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
            }
        )

    def reset(self) -> Resource:
        """This resource as if never looked up (used by a forced re-enrichment)."""
        return Resource(identifier=self.identifier, doi=self.doi)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The end of one DOI's lookup: enriched with a work, or not_found/failed with a reason."""

    doi: str
    status: ResourceStatus
    work: Work | None = None
    error: str | None = None

    @classmethod
    def enriched(cls, work: Work) -> Outcome:
        return cls(doi=work.doi, status=ResourceStatus.ENRICHED, work=work)

    @classmethod
    def not_found(cls, doi: str, reason: str = "no registry knows this DOI") -> Outcome:
        return cls(doi=doi, status=ResourceStatus.NOT_FOUND, error=reason)

    @classmethod
    def failed(cls, doi: str, reason: str) -> Outcome:
        return cls(doi=doi, status=ResourceStatus.FAILED, error=reason)


class ProcessingStatus(BaseModel):
    """Where an enrichment stands; stored under the session and sent on every SSE event."""

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
    def from_counts(cls, counts: dict[ResourceStatus, int], **fields: Any) -> ProcessingStatus:
        """A status whose totals, done and percent all follow from per-status counts."""
        total = sum(counts.values())
        done = total - counts.get(ResourceStatus.PENDING, 0)
        return cls(
            total=total,
            done=done,
            percent=round(100.0 * done / total, 1) if total else 100.0,
            enriched=counts.get(ResourceStatus.ENRICHED, 0),
            not_found=counts.get(ResourceStatus.NOT_FOUND, 0),
            invalid=counts.get(ResourceStatus.INVALID, 0),
            skipped=counts.get(ResourceStatus.SKIPPED, 0),
            failed=counts.get(ResourceStatus.FAILED, 0),
            **fields,
        )


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

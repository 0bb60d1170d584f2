"""Where an enrichment stands: job states, counts by resource status, the status transitions,
and what a re-run resets. No I/O.

Status changes live here and nowhere else: `ProcessingStatus` has the transitions (`moved_to`,
`queued`, `running`, `completed`, `cancelled`, `failed_at`, `recounted`), `StatusCounts` is the one
place resources are counted, and `reset_resources` decides what a re-run looks up again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from cco_enrich.models.resources import Resource, ResourceStatus


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


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


# What each kind of re-run puts back to pending (invalid and skipped are never looked up).
FORCE_RESET_STATUSES = frozenset(
    {ResourceStatus.ENRICHED, ResourceStatus.NOT_FOUND, ResourceStatus.FAILED}
)
RETRY_RESET_STATUSES = frozenset({ResourceStatus.FAILED})


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

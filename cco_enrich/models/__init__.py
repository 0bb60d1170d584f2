"""Pydantic models of the CCO: resources, sessions, progress, what a registry returns. No I/O.

`from cco_enrich.models import X` is the way in; the package splits by noun:

* resources.py  DOI, ResourceStatus, Author, Relation, Work, Resource, Outcome
* status.py     JobState, StopReason, StatusCounts, ProcessingStatus (every status transition),
                reset_resources and the statuses each kind of re-run resets; utc_now
* sessions.py   Session, WebhookDelivery
"""

from __future__ import annotations

from cco_enrich.models.resources import (
    DOI,
    Author,
    Outcome,
    Relation,
    Resource,
    ResourceStatus,
    Work,
)
from cco_enrich.models.sessions import Session, WebhookDelivery
from cco_enrich.models.status import (
    FORCE_RESET_STATUSES,
    RETRY_RESET_STATUSES,
    TERMINAL_JOB_STATES,
    JobState,
    ProcessingStatus,
    StatusCounts,
    StopReason,
    reset_resources,
    utc_now,
)

__all__ = [
    "DOI",
    "FORCE_RESET_STATUSES",
    "RETRY_RESET_STATUSES",
    "TERMINAL_JOB_STATES",
    "Author",
    "JobState",
    "Outcome",
    "ProcessingStatus",
    "Relation",
    "Resource",
    "ResourceStatus",
    "Session",
    "StatusCounts",
    "StopReason",
    "WebhookDelivery",
    "Work",
    "reset_resources",
    "utc_now",
]

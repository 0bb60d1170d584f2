"""A session: the CCO being enriched (metadata, resources, progress) and its webhook calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cco_enrich.models.resources import Resource
from cco_enrich.models.status import ProcessingStatus, utc_now


class WebhookDelivery(BaseModel):
    """One webhook call for a session: when, how it ended, after how many attempts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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

"""A session's progress stream (`cco:session:{id}:events`): one entry per checkpoint.

Each entry holds the status JSON and, when the checkpoint changed resources, those resources as
one JSON object keyed by position. The API forwards entries to SSE followers as Redis holds them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from arq.connections import ArqRedis

from cco_enrich.models import ProcessingStatus, Resource
from cco_enrich.store.connection import as_text
from cco_enrich.store.keys import EVENTS_KEY

EVENTS_MAXLEN = 1000
"""Entries kept per session (approximately: older ones are trimmed on each append)."""


@dataclass(frozen=True)  # no slots: cached_property keeps its values in __dict__
class ProgressEvent:
    """One entry of a session's event stream; `id` is the SSE event id.

    The JSON stays as Redis holds it: the API forwards it to every follower as it is, and
    parses only what it reads (the status, to see the end).
    """

    id: str
    status_json: str
    resources_json: str | None = None

    @functools.cached_property
    def status(self) -> ProcessingStatus:
        return ProcessingStatus.model_validate_json(self.status_json)

    @functools.cached_property
    def resources(self) -> dict[int, Resource]:
        """The resources this checkpoint changed, by position."""
        if self.resources_json is None:
            return {}
        parsed = orjson.loads(self.resources_json)
        return {int(i): Resource.model_validate(r) for i, r in parsed.items()}


def event_fields(status_json: str, encoded: Mapping[str, str]) -> dict[str, str]:
    """The stream entry for a checkpoint: the status and the changed resources (JSON each)."""
    fields = {"status": status_json}
    if encoded:
        # A JSON object of position -> resource, joined from JSON already made.
        fields["resources"] = "{" + ",".join(f'"{i}":{json}' for i, json in encoded.items()) + "}"
    return fields


def parse_event(entry: tuple[Any, Mapping[Any, Any]]) -> ProgressEvent:
    """A stream entry as XRANGE/XREAD return it, as a ProgressEvent."""
    event_id, raw = entry
    fields = {as_text(k): as_text(v) for k, v in raw.items()}
    return ProgressEvent(
        id=as_text(event_id),
        status_json=fields["status"],
        resources_json=fields.get("resources"),
    )


class ProgressStream:
    """Reading a session's event stream; part of SessionStore (sessions.py writes the entries)."""

    redis: ArqRedis

    async def latest_event(self, session_id: str) -> ProgressEvent | None:
        entries = await self.redis.xrevrange(EVENTS_KEY.format(session_id=session_id), count=1)
        return parse_event(entries[0]) if entries else None

    async def events_after(
        self, session_id: str, last_id: str, *, block_ms: int | None, count: int = 100
    ) -> list[ProgressEvent]:
        """Events newer than `last_id`, waiting up to `block_ms` for the first (None: no wait)."""
        answer = await self.redis.xread(
            {EVENTS_KEY.format(session_id=session_id): last_id}, count=count, block=block_ms
        )
        return [parse_event(entry) for _, entries in answer or [] for entry in entries]

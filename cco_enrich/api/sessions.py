"""Session endpoints: create, read, enrich, retry, cancel, delete, status, export, queue."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from cco_enrich.api.hub import EventHub
from cco_enrich.api.limits import check_queue_room, check_session_rate
from cco_enrich.api.responses import JSONResponse
from cco_enrich.errors import (
    InputError,
    InputTooLargeError,
    SessionBusyError,
    SessionNotFoundError,
    UnknownStatusError,
    UnsupportedMediaTypeError,
)
from cco_enrich.exports import render_export
from cco_enrich.exports.links import part_tree
from cco_enrich.ingest import READABLE_MEDIA_TYPES, IdentifierListIngestor, IngestResult
from cco_enrich.models import (
    FORCE_RESET_STATUSES,
    RETRY_RESET_STATUSES,
    JobState,
    ResourceStatus,
)
from cco_enrich.store import SessionStore, read_pool_limits
from cco_enrich.webhooks import check_callback_url

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@dataclass(frozen=True, slots=True)
class ApiState:
    """What the handlers need; built in the lifespan and kept on `app.state.api`."""

    store: SessionStore
    hub: EventHub
    ingestor: IdentifierListIngestor
    max_upload_bytes: int
    webhook_allow_private: bool


def _state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


def _session_id(request: Request) -> str:
    session_id: str = request.path_params["session_id"]
    if not SESSION_ID.match(session_id):
        raise SessionNotFoundError(session_id)
    return session_id


def _links(session_id: str) -> dict[str, str]:
    base = f"/api/sessions/{session_id}"
    return {
        "self": base,
        "status": f"{base}/status",
        "events": f"{base}/events",
        "enrich": f"{base}/enrich",
        "export": f"{base}/export?format=jsonld",
    }


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes")


def _refuse_declared_oversize(request: Request, limit: int) -> None:
    """Refuse an upload whose Content-Length is over `limit` before reading any of it."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        msg = (
            f"the upload is {int(declared):,} bytes; the limit is {limit:,} (CCO_MAX_UPLOAD_BYTES)."
        )
        raise InputTooLargeError(msg)


async def _read_body(request: Request, limit: int) -> bytes:
    _refuse_declared_oversize(request, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            msg = f"the upload is over {limit:,} bytes (CCO_MAX_UPLOAD_BYTES)."
            raise InputTooLargeError(msg)
        chunks.append(chunk)
    return b"".join(chunks)


async def _ingest(request: Request, state: ApiState) -> IngestResult:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        return await _ingest_form(request, state)
    if media_type not in READABLE_MEDIA_TYPES:
        raise UnsupportedMediaTypeError(media_type)
    body = await _read_body(request, state.max_upload_bytes)
    # Parsing 10,000 identifiers takes a while: off the event loop, so SSE and polling go on.
    return await run_in_threadpool(state.ingestor.ingest_body, body, media_type)


async def _ingest_form(request: Request, state: ApiState) -> IngestResult:
    _refuse_declared_oversize(request, state.max_upload_bytes)
    async with request.form(max_files=1, max_part_size=state.max_upload_bytes) as form:
        upload = form.get("file")
        text = form.get("identifiers")
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read(state.max_upload_bytes + 1)
            if len(content) > state.max_upload_bytes:
                msg = f"the file is over {state.max_upload_bytes:,} bytes (CCO_MAX_UPLOAD_BYTES)."
                raise InputTooLargeError(msg)
            return await run_in_threadpool(state.ingestor.ingest_upload, upload.filename, content)
        if isinstance(text, str) and text.strip():
            return await run_in_threadpool(state.ingestor.ingest_text, text)
    msg = "the form has neither a 'file' upload nor an 'identifiers' text field."
    raise InputError(msg)


async def create_session(request: Request) -> Response:
    """POST /api/sessions: store a hollow CCO; `?enrich=true` also queues its enrichment."""
    state = _state(request)
    await check_session_rate(request)
    if _flag(request, "enrich"):
        await check_queue_room(request)
    result = await _ingest(request, state)
    callback_url = result.callback_url or request.query_params.get("callback_url")
    if callback_url:
        check_callback_url(callback_url, allow_private=state.webhook_allow_private)
    session_id = secrets.token_urlsafe(16)
    await state.store.create(
        session_id, result.resources, metadata=result.metadata, callback_url=callback_url
    )
    body: dict[str, Any] = {
        "id": session_id,
        "total": result.total,
        "dois": result.dois,
        "duplicates": result.duplicates,
        "invalid": result.invalid,
        "skipped": result.skipped,
        "links": _links(session_id),
    }
    if _flag(request, "enrich"):
        body["job_id"] = await state.store.enqueue(session_id)
    return JSONResponse(body, 201, headers={"Location": f"/api/sessions/{session_id}"})


async def get_session(request: Request) -> Response:
    """GET /api/sessions/{id}: metadata, resources (optionally filtered by ?status=) and status."""
    store = _state(request).store
    session_id = _session_id(request)
    session = await store.load(session_id)
    await store.touch(session_id)
    body = session.model_dump(mode="json")
    body["parts"] = part_tree(session.resources)  # parent position -> its parts' positions
    deliveries = await store.webhook_deliveries(session_id)
    body["webhook_deliveries"] = [d.model_dump(mode="json") for d in deliveries]
    wanted = request.query_params.get("status")
    if wanted:
        statuses = set(wanted.split(","))
        unknown = statuses - {s.value for s in ResourceStatus}
        if unknown:
            raise UnknownStatusError(unknown, [s.value for s in ResourceStatus])
        body["resources"] = [r for r in body["resources"] if r["status"] in statuses]
    return JSONResponse(body)


async def get_status(request: Request) -> Response:
    """GET /api/sessions/{id}/status: the processing_status alone (cheap; for polling)."""
    session_id = _session_id(request)
    # A curator still polling is still using the session: keep it alive, in the same round trip.
    status = await _state(request).store.status(session_id, touch=True)
    return JSONResponse(status.model_dump(mode="json"))


async def _start(
    request: Request, reset: frozenset[ResourceStatus], *, refresh: bool = False
) -> Response:
    store = _state(request).store
    session_id = _session_id(request)
    current = await store.status(session_id)
    if current.status.is_active:
        raise SessionBusyError(session_id, current.status.value)
    await check_queue_room(request)  # before anything changes: a 429 leaves the session as it was
    callback_url = request.query_params.get("callback_url")
    if callback_url:
        check_callback_url(callback_url, allow_private=_state(request).webhook_allow_private)
        await store.set_callback_url(session_id, callback_url)
    reset_count = await store.reset_resources(session_id, reset) if reset else 0
    job_id = await store.enqueue(session_id, refresh=refresh)
    return JSONResponse(
        {"job_id": job_id, "status": JobState.QUEUED.value, "reset": reset_count},
        202,
        headers={"Location": f"/api/sessions/{session_id}/status"},
    )


async def enrich_session(request: Request) -> Response:
    """POST /api/sessions/{id}/enrich: queue the pending resources (`?force=true`: all DOIs)."""
    force = _flag(request, "force")
    return await _start(request, FORCE_RESET_STATUSES if force else frozenset(), refresh=force)


async def retry_session(request: Request) -> Response:
    """POST /api/sessions/{id}/retry: look up again only the `failed` resources."""
    return await _start(request, RETRY_RESET_STATUSES)


async def cancel_session(request: Request) -> Response:
    """POST /api/sessions/{id}/cancel: stop a queued or running enrichment; keeps what is saved."""
    store = _state(request).store
    session_id = _session_id(request)
    current = await store.status(session_id)
    if current.status.is_active:
        await store.request_cancel(session_id)
        if await store.lease_holder(session_id) is None:
            # Not running anywhere: no worker will see the flag soon, so say it ourselves.
            current = current.cancelled("cancelled before a worker took it")
            await store.set_status(session_id, current)
    return JSONResponse(current.model_dump(mode="json"), 202 if current.status.is_active else 200)


async def delete_session(request: Request) -> Response:
    """DELETE /api/sessions/{id}: cancel whatever runs and remove the session."""
    store = _state(request).store
    session_id = _session_id(request)
    # A worker running it notices the session is gone and stops without writing it back.
    if not await store.delete(session_id):
        raise SessionNotFoundError(session_id)
    return Response(status_code=204)


async def export_session(request: Request) -> Response:
    """GET /api/sessions/{id}/export?format=jsonld|csl-json|bibtex|ris|csv: a download.

    CSL-JSON, BibTeX and RIS leave out resources with no metadata unless `?include=all`.
    """
    store = _state(request).store
    session_id = _session_id(request)
    session = await store.load(session_id)
    text, media_type, filename = render_export(
        session,
        request.query_params.get("format", "jsonld"),
        include_all=request.query_params.get("include", "").lower() == "all",
    )
    disposition = "inline" if _flag(request, "inline") else "attachment"
    return Response(
        text,
        media_type=media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


async def queue_overview(request: Request) -> Response:
    """GET /api/queue: sessions per state, the live workers, each upstream pool's limits."""
    store = _state(request).store
    return JSONResponse(
        {
            "sessions": await store.queue_counts(),
            "workers": await store.live_workers(),
            "pools": await read_pool_limits(store.redis),
        }
    )

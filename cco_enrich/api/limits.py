"""Limits a client cannot exceed: sessions per minute per address, queued sessions, body read time.

The counters live in Redis (`store/ratelimit.py`), so every API process enforces the same numbers.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cco_enrich.errors import BodyTimeoutError, LimitExceededError
from cco_enrich.store import count_hit, queued_sessions

if TYPE_CHECKING:
    from cco_enrich.settings import Settings

QUEUE_FULL_RETRY_AFTER_S = 30.0
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True, slots=True)
class ClientLimits:
    """The limits of `Settings`, kept on `app.state.limits`; None means off."""

    sessions_per_min: int | None = None
    max_queued_sessions: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientLimits:
        return cls(
            sessions_per_min=settings.rate_limit_per_min or None,
            max_queued_sessions=settings.max_queued_sessions or None,
        )


def _limits(request: Request) -> ClientLimits:
    limits: ClientLimits = getattr(request.app.state, "limits", ClientLimits())
    return limits


async def check_session_rate(request: Request) -> None:
    """Count one session creation for the client's address.

    Raises:
        LimitExceededError: over CCO_RATE_LIMIT_PER_MIN in the current minute.
    """
    limit = _limits(request).sessions_per_min
    if not limit:
        return
    client = request.client.host if request.client else "unknown"
    hits, retry_after_s = await count_hit(request.app.state.api.store.redis, "sessions", client)
    if hits > limit:
        msg = (
            f"more than {limit} sessions created from {client} this minute "
            f"(CCO_RATE_LIMIT_PER_MIN); try again in {math.ceil(retry_after_s)} s."
        )
        raise LimitExceededError(msg, retry_after_s=retry_after_s)


async def check_queue_room(request: Request) -> None:
    """Make sure one more session may be queued.

    Raises:
        LimitExceededError: CCO_MAX_QUEUED_SESSIONS sessions already wait for a worker.
    """
    limit = _limits(request).max_queued_sessions
    if not limit:
        return
    queued = await queued_sessions(request.app.state.api.store.redis)
    if queued >= limit:
        msg = (
            f"{queued} sessions already wait for a worker; the limit is {limit} "
            "(CCO_MAX_QUEUED_SESSIONS). Try again once some have started."
        )
        raise LimitExceededError(msg, retry_after_s=QUEUE_FULL_RETRY_AFTER_S)


class BodyTimeoutMiddleware:
    """Gives a request body `timeout_s` to arrive in full, then answers 408 (slow-loris guard).

    Only methods with a body are timed: an SSE stream reads its (empty) body once, then waits for
    the disconnect, which must never time out.
    """

    def __init__(self, app: ASGIApp, *, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS or self.timeout_s <= 0:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        is_body_read = False

        async def timed_receive() -> Message:
            nonlocal is_body_read
            if is_body_read:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                msg = (
                    f"the request body did not arrive within {self.timeout_s:g} s "
                    "(CCO_BODY_TIMEOUT_S); send it in one go."
                )
                raise BodyTimeoutError(msg) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                is_body_read = True
            return message

        await self.app(scope, timed_receive, send)

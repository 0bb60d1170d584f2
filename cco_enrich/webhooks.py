"""Webhooks: one signed POST with a session's final status to the `callback_url` it was given."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random

import aiohttp
import orjson
from aiohttp.abc import AbstractResolver

from cco_enrich.errors import OutboundRefusedError, WebhookRefusedError
from cco_enrich.models import ProcessingStatus
from cco_enrich.outbound import OutboundPolicy, check_url, resolve_checked

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-CCO-Signature"
EVENT_HEADER = "X-CCO-Event"
ATTEMPTS = 5
WAIT_INITIAL_S = 1.0


def check_callback_url(url: str, *, allow_private: bool) -> str:
    """The URL, if the outbound guard lets us call it (host names are checked again when sent).

    Raises:
        WebhookRefusedError: not http(s), user information, or a refused host or address.
    """
    try:
        check_url(url, allow_private=allow_private)
    except OutboundRefusedError as exc:
        raise WebhookRefusedError(url, exc.reason, allowable=exc.allowable) from None
    return url


def sign(body: bytes, secret: str) -> str:
    """The signature header value: `sha256=` + hex HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Posts final statuses, retried with backoff; failures are logged, never raised."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        secret: str | None,
        allow_private: bool,
        attempts: int = ATTEMPTS,
        wait_initial_s: float = WAIT_INITIAL_S,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self.http = http
        self.secret = secret
        self.allow_private = allow_private
        self.attempts = attempts
        self.wait_initial_s = wait_initial_s
        self.resolver = resolver

    async def send(self, url: str, session_id: str, status: ProcessingStatus) -> bool:
        """POST `{"session_id", "processing_status"}` to `url`; True when it answered 2xx."""
        policy = OutboundPolicy(self.allow_private)
        try:
            policy.check_url(url)
            if not self.allow_private:
                # Resolved and checked here; a session from create_outbound_session() also
                # pins the connection to the checked addresses, which a plain session cannot.
                await resolve_checked(url, policy, self.resolver)
        except (OutboundRefusedError, OSError) as exc:
            log.warning("webhook %s refused: %s", url, exc)
            return False
        body = orjson.dumps(
            {"session_id": session_id, "processing_status": status.model_dump(mode="json")}
        )
        headers = {"Content-Type": "application/json", EVENT_HEADER: f"session.{status.status}"}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(body, self.secret)
        for attempt in range(1, self.attempts + 1):
            try:
                async with self.http.post(
                    url,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=10),
                    allow_redirects=False,  # a redirect could lead where the guard never looked
                ) as response:
                    if response.status < 300:
                        log.info("webhook %s: delivered (%d)", url, response.status)
                        return True
                    reason = f"answered {response.status}"
                    if 300 <= response.status < 500 and response.status not in (408, 429):
                        log.warning("webhook %s: %s; not retrying", url, reason)
                        return False
            except (aiohttp.ClientError, TimeoutError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            if attempt < self.attempts:
                wait_s = self.wait_initial_s * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
                log.info("webhook %s: %s; retry %d in %.1f s", url, reason, attempt, wait_s)
                await asyncio.sleep(wait_s)
        log.warning("webhook %s: giving up after %d attempts (%s)", url, self.attempts, reason)
        return False

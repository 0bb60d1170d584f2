"""Webhooks: one signed POST with a session's final status to the `callback_url` it was given.

The signature header follows Stripe's: `X-CCO-Signature: t=<unix time>,v1=<hex>`, where v1 is the
HMAC-SHA256 of f"{t}.{body}" keyed by CCO_WEBHOOK_SECRET. Covering the time lets a receiver refuse
a replayed call (`verify_signature` is the receiver's side; the README shows it in a few lines).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random
import time

import aiohttp
import orjson
from aiohttp.abc import AbstractResolver

from cco_enrich.errors import OutboundRefusedError, WebhookRefusedError
from cco_enrich.models import ProcessingStatus, WebhookDelivery, utc_now
from cco_enrich.outbound import OutboundPolicy, check_url, resolve_checked

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-CCO-Signature"
EVENT_HEADER = "X-CCO-Event"
ATTEMPTS = 5
WAIT_INITIAL_S = 1.0
SIGNATURE_TOLERANCE_S = 300


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


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The signature header value `t=<unix>,v1=<hex HMAC-SHA256 of "<t>." + body>`."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_mac(secret, t, body)}"


def verify_signature(
    header: str,
    body: bytes,
    secret: str,
    *,
    tolerance_s: float = SIGNATURE_TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """Whether `header` signs `body` with `secret`, made within `tolerance_s` of `now`."""
    fields = dict(part.partition("=")[::2] for part in header.split(","))
    t, v1 = fields.get("t", ""), fields.get("v1", "")
    if not t.isdigit() or abs((time.time() if now is None else now) - int(t)) > tolerance_s:
        return False
    return hmac.compare_digest(v1.encode(), _mac(secret, int(t), body).encode())


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

    async def send(self, url: str, session_id: str, status: ProcessingStatus) -> WebhookDelivery:
        """POST `{"session_id", "processing_status"}` to `url`; says how it went."""
        event = f"session.{status.status}"
        policy = OutboundPolicy(self.allow_private)
        try:
            policy.check_url(url)
            if not self.allow_private:
                # Resolved and checked here; a session from create_outbound_session() also
                # pins the connection to the checked addresses, which a plain session cannot.
                await resolve_checked(url, policy, self.resolver)
        except (OutboundRefusedError, OSError) as exc:
            log.warning("webhook %s refused: %s", url, exc)
            return _delivery(event, 0, error=f"refused: {exc}")
        body = orjson.dumps(
            {"session_id": session_id, "processing_status": status.model_dump(mode="json")}
        )
        return await self._post(url, body, event)

    async def _post(self, url: str, body: bytes, event: str) -> WebhookDelivery:
        headers = {"Content-Type": "application/json", EVENT_HEADER: event}
        status_code: int | None = None
        for attempt in range(1, self.attempts + 1):
            if self.secret:  # signed per attempt: a retry is no replay
                headers[SIGNATURE_HEADER] = sign(body, self.secret)
            try:
                async with self.http.post(
                    url,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=10),
                    allow_redirects=False,  # a redirect could lead where the guard never looked
                ) as response:
                    status_code = response.status
                    if response.status < 300:
                        log.info("webhook %s: delivered (%d)", url, response.status)
                        return _delivery(event, attempt, status_code=status_code)
                    reason = f"answered {response.status}"
                    if 300 <= response.status < 500 and response.status not in (408, 429):
                        log.warning("webhook %s: %s; not retrying", url, reason)
                        return _delivery(event, attempt, status_code=status_code, error=reason)
            except (aiohttp.ClientError, TimeoutError) as exc:
                status_code, reason = None, f"{type(exc).__name__}: {exc}"
            if attempt < self.attempts:
                wait_s = self.wait_initial_s * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
                log.info("webhook %s: %s; retry %d in %.1f s", url, reason, attempt, wait_s)
                await asyncio.sleep(wait_s)
        log.warning("webhook %s: giving up after %d attempts (%s)", url, self.attempts, reason)
        return _delivery(event, self.attempts, status_code=status_code, error=reason)


def _delivery(
    event: str, attempts: int, *, status_code: int | None = None, error: str | None = None
) -> WebhookDelivery:
    return WebhookDelivery(
        at=utc_now(),
        event=event,
        delivered=error is None,
        attempts=attempts,
        status_code=status_code,
        error=error,
    )

"""Webhooks: one signed POST with a session's final status to the `callback_url` it was given."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import random
import socket
from urllib.parse import urlsplit

import aiohttp
import orjson

from cco_enrich.errors import WebhookRefusedError
from cco_enrich.models import ProcessingStatus

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-CCO-Signature"
EVENT_HEADER = "X-CCO-Event"
ATTEMPTS = 5
WAIT_INITIAL_S = 1.0


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


def check_callback_url(url: str, *, allow_private: bool) -> str:
    """The URL, if it is an http(s) URL whose host is not a literal private address.

    Host names are resolved (and checked again) when the webhook is sent.

    Raises:
        WebhookRefusedError: not http(s), no host, or a private/loopback literal address.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        msg = f"callback_url {url!r} must be an http:// or https:// URL with a host."
        raise WebhookRefusedError(msg)
    if not allow_private:
        try:
            is_public = _is_public(parts.hostname)
        except ValueError:  # a host name, not an address literal
            is_public = parts.hostname.lower() not in ("localhost", "localhost.localdomain")
        if not is_public:
            msg = (
                f"callback_url {url!r} points at a private or loopback address; "
                "set CCO_WEBHOOK_ALLOW_PRIVATE=true to allow that."
            )
            raise WebhookRefusedError(msg)
    return url


async def _resolves_public(host: str, port: int) -> bool:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return all(_is_public(str(info[4][0])) for info in infos)


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
    ) -> None:
        self.http = http
        self.secret = secret
        self.allow_private = allow_private
        self.attempts = attempts
        self.wait_initial_s = wait_initial_s

    async def send(self, url: str, session_id: str, status: ProcessingStatus) -> bool:
        """POST `{"session_id", "processing_status"}` to `url`; True when it answered 2xx."""
        try:
            check_callback_url(url, allow_private=self.allow_private)
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            if not self.allow_private and not await _resolves_public(parts.hostname or "", port):
                log.warning("webhook %s refused: resolves to a private address", url)
                return False
        except (WebhookRefusedError, OSError) as exc:
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
                    url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
                ) as response:
                    if response.status < 300:
                        log.info("webhook %s: delivered (%d)", url, response.status)
                        return True
                    reason = f"answered {response.status}"
                    if 400 <= response.status < 500 and response.status not in (408, 429):
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

"""get_json(): one GET through a pool's limiter, with timeout and retries; HTTP status -> errors.

One request only: how DOIs are grouped into requests is batching.py's business.

Status handling, the same for every registry:
- 200: parsed JSON (an unparseable body is retried, like 5xx);
- 404: None, an answer: never retried and never parsed (Crossref sends plain text);
- 400 and 414: BatchRejectedError, so a batch can be split;
- 429: the whole pool pauses for its Retry-After (without one, the request backs off), then
  we retry;
- 429, 503 and timeouts lower the pool's learned limit; clean answers raise it again (adaptive.py);
- 5xx, timeouts, connection errors: retried with exponential backoff and full jitter;
- 403 (a manual block) and any other status: RegistryError at once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
from yarl import URL

from cco_enrich import metrics
from cco_enrich.errors import BatchRejectedError, RegistryError, RegistryUnavailableError
from cco_enrich.logs import log_context
from cco_enrich.registries.limits import PoolLimiter

log = logging.getLogger(__name__)

JSON = "application/json"
CSL_JSON = "application/vnd.citationstyles.csl+json"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a request is retried; tests use `wait_initial_s=0`."""

    attempts: int = 6
    wait_initial_s: float = 1.0
    wait_max_s: float = 60.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.attempts < 1:
            msg = f"RetryPolicy.attempts must be at least 1, not {self.attempts}"
            raise ValueError(msg)

    def backoff_s(self, retry: int) -> float:
        """The wait before retry number `retry` (1, 2, ...): exponential, with full jitter."""
        ceiling = min(self.wait_max_s, self.wait_initial_s * 2 ** (retry - 1))
        return random.uniform(0, ceiling) if self.jitter else ceiling


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One upstream: where it is, what it is called in messages, and how we talk to it."""

    http: aiohttp.ClientSession
    base_url: str
    name: str
    user_agent: str
    retry: RetryPolicy
    timeout_s: float
    mailto: str | None = None

    def url(self, path: str, query: Sequence[tuple[str, str]] = ()) -> str:
        """The encoded URL of `path` (already encoded) below the base URL, with `query` appended.

        Query values must be encoded already; the mailto parameter is added when configured.
        """
        params = [f"{key}={value}" for key, value in query]
        if self.mailto:
            params.append(f"mailto={quote(self.mailto, safe='@')}")
        url = self.base_url.rstrip("/") + "/" + path.lstrip("/")
        return f"{url}?{'&'.join(params)}" if params else url

    def request_line_length(self, url: str) -> int:
        """Bytes of `GET <path?query> HTTP/1.1` for this URL, as the upstream will see it."""
        return len("GET  HTTP/1.1") + len(URL(url, encoded=True).raw_path_qs)


class _Retryable(Exception):
    """One attempt failed in a way worth another attempt."""

    def __init__(
        self, reason: str, *, retry_after_s: float | None = None, is_429: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s
        self.is_429 = is_429


async def get_json(
    endpoint: Endpoint,
    limiter: PoolLimiter,
    url: str,
    *,
    accept: str = JSON,
) -> Any | None:
    """GET `url` (fully encoded) within the pool's limits; its JSON, or None for a 404.

    Raises:
        BatchRejectedError: 400 or 414; split the batch rather than retrying it.
        RegistryUnavailableError: still failing after the policy's last attempt.
        RegistryError: 403 or another status that retrying cannot fix.
    """
    with log_context(pool=limiter.name):  # every line about this request names its pool
        return await _get_with_retries(endpoint, limiter, url, accept)


async def _get_with_retries(
    endpoint: Endpoint, limiter: PoolLimiter, url: str, accept: str
) -> Any | None:
    policy = endpoint.retry
    attempt = 0
    while True:
        attempt += 1
        try:
            return await _attempt(endpoint, limiter, url, accept)
        except _Retryable as exc:
            if attempt >= policy.attempts:
                log.warning(
                    "%s gave up after %d attempts: %s (%s)",
                    endpoint.name,
                    attempt,
                    exc,
                    _brief(url),
                )
                message = f"{endpoint.name} {exc.reason} (gave up after {attempt} attempts)"
                raise RegistryUnavailableError(message, retry_after_s=exc.retry_after_s) from None
            wait_s = (
                exc.retry_after_s if exc.retry_after_s is not None else policy.backoff_s(attempt)
            )
            metrics.upstream_retry(limiter.name)
            log.warning(
                "%s %s: retry %d/%d in %.1f s (%s)",
                endpoint.name,
                exc.reason,
                attempt,
                policy.attempts - 1,
                wait_s,
                _brief(url),
            )
            if exc.is_429 and exc.retry_after_s is not None:
                await limiter.pause(wait_s)  # the upstream said how long: the whole pool waits
            else:
                # The pool's learned limit has dropped already; only this request backs off.
                await asyncio.sleep(wait_s)


async def _attempt(endpoint: Endpoint, limiter: PoolLimiter, url: str, accept: str) -> Any | None:
    headers = {"User-Agent": endpoint.user_agent, "Accept": accept}
    timeout = aiohttp.ClientTimeout(total=endpoint.timeout_s)
    request_url = URL(url, encoded=True)
    try:
        async with (
            limiter.slot(timeout_s=endpoint.timeout_s) as claim,
            endpoint.http.get(request_url, headers=headers, timeout=timeout) as response,
        ):
            if response.url.host == request_url.host:
                # A redirect elsewhere (content negotiation) reports that host's limits, not ours.
                await limiter.observe(response.headers)
            status = response.status
            metrics.upstream_response(limiter.name, status)
            # Read the body while holding the slot: the upstream counts us until it is sent. Error
            # bodies are read too (never parsed), so the connection goes back to the pool.
            body = await response.read()
            retry_after_s = parse_retry_after(response.headers.get("Retry-After"))
            await limiter.answered(status, claim)  # 429 and 503 lower the pool's learned limit
    except TimeoutError:
        metrics.upstream_response(limiter.name, "timeout")
        await limiter.overloaded("timeout")
        reason = f"timed out after {endpoint.timeout_s:g} s"
        raise _Retryable(reason) from None
    except aiohttp.ClientError as exc:
        metrics.upstream_response(limiter.name, "error")
        reason = f"could not be reached ({type(exc).__name__})"
        raise _Retryable(reason) from None
    return _answer(endpoint, url, status, body, retry_after_s)


def _answer(
    endpoint: Endpoint, url: str, status: int, body: bytes, retry_after_s: float | None
) -> Any | None:
    if status == 200:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            reason = "sent a body that is not JSON"
            raise _Retryable(reason) from None
    if status == 404:
        return None
    if status in (400, 414):
        msg = f"{endpoint.name} rejected the request with {status}: {_brief(url)}"
        raise BatchRejectedError(msg)
    if status == 429:
        reason = "answered 429 Too Many Requests"
        raise _Retryable(reason, retry_after_s=retry_after_s, is_429=True)
    if status >= 500:
        reason = f"answered {status}"
        raise _Retryable(reason, retry_after_s=retry_after_s)
    if status == 403:
        msg = f"{endpoint.name} refused us with 403 (a block); ask its support before retrying"
        raise RegistryError(msg)
    msg = f"{endpoint.name} answered {status}, which we do not expect: {_brief(url)}"
    raise RegistryError(msg)


def _brief(url: str, limit: int = 160) -> str:
    """The URL, shortened for a log line or an error message (batch URLs run to 4 KB)."""
    return url if len(url) <= limit else f"{url[: limit - 3]}..."


def parse_retry_after(raw: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date), or None."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())

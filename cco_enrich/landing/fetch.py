"""LandingFetcher: GET a landing page within its host's limits, and say what came of it.

- The URL and every redirect hop pass the outbound guard (cco_enrich/outbound/) before they
  are requested; names are checked again after resolution by the guarded session's resolver.
- One PoolLimiter per host (CCO_LANDING_PER_HOST_PER_S, CCO_LANDING_IN_FLIGHT_PER_HOST), made
  on first use and shared by the fleet when a backend is given, as the registries' pools are.
- At most CCO_LANDING_MAX_BYTES of the body are read (streamed, then the connection is dropped);
  CCO_LANDING_TIMEOUT_S caps each attempt, redirects and body included, waits for a slot not.
- 200 with an HTML body: fetched. Another content type: skipped. 404/410: not found.
  429 (the host's pool pauses), 408, 5xx, timeouts and connection errors: retried like the
  registries (Retry-After honoured), then failed. Other statuses: failed at once.
- The fragment is never sent, so URLs differing only after `#` are one fetch: concurrent calls
  share it and recent results are reused.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum

import aiohttp
from yarl import URL

from cco_enrich._version import __version__
from cco_enrich.errors import OutboundRefusedError, TooManyRedirectsError
from cco_enrich.outbound import MAX_REDIRECTS, OutboundPolicy, get_following_redirects
from cco_enrich.registries._http import RetryPolicy, parse_retry_after
from cco_enrich.registries.limits import PoolLimit, PoolLimiter, SharedLimitBackend

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"cco_enrich/{__version__} (https://github.com/cco-enrich/cco_enrich)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
CHUNK_BYTES = 65_536
POOL_PREFIX = "landing:"


class LandingStatus(StrEnum):
    FETCHED = "fetched"
    NOT_FOUND = "not_found"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class LandingResult:
    """What fetching one landing page came to; `body` is set only when `FETCHED`."""

    url: str
    """The URL requested: the identifier without its fragment."""
    status: LandingStatus
    final_url: str | None = None
    body: bytes = b""
    encoding: str | None = None
    """The charset the server declared, if any."""
    content_type: str | None = None
    truncated: bool = False
    """The body was longer than the cap: only its first `max_bytes` were read."""
    redirects: tuple[str, ...] = ()
    reason: str | None = None
    retry_after_s: float | None = None


@dataclass(frozen=True, slots=True)
class LandingFetchPolicy:
    """How landing pages are fetched; built from the CCO_LANDING_* settings by the caller."""

    max_bytes: int = 2_000_000
    timeout_s: float = 15.0
    per_host_per_s: float = 1.0
    in_flight_per_host: int = 2
    max_redirects: int = MAX_REDIRECTS
    user_agent: str = DEFAULT_USER_AGENT
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(attempts=3))
    cache_entries: int = 64
    cache_bytes: int = 16_000_000
    cache_ttl_s: float = 300.0

    def host_limit(self) -> PoolLimit:
        """The per-host pool: N starts a second (N >= 1, rounded), or one every 1/N seconds."""
        if self.per_host_per_s >= 1:
            return PoolLimit(round(self.per_host_per_s), 1.0, self.in_flight_per_host)
        return PoolLimit(1, 1.0 / self.per_host_per_s, self.in_flight_per_host)


class _Retryable(Exception):
    def __init__(self, reason: str, *, retry_after_s: float | None = None, host: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s
        self.pause_host = host  # set for a 429: that host's pool pauses


class LandingFetcher:
    """Fetches landing pages through a guarded session (outbound.create_outbound_session())."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        policy: LandingFetchPolicy | None = None,
        outbound: OutboundPolicy | None = None,
        shared: SharedLimitBackend | None = None,
    ) -> None:
        self.http = http
        self.policy = policy or LandingFetchPolicy()
        self.outbound = outbound or OutboundPolicy()
        self.shared = shared
        self.requests = 0
        """Requests sent (every hop and attempt), for tests and metrics."""
        self._limiters: dict[str, PoolLimiter] = {}
        self._in_flight: dict[str, asyncio.Future[LandingResult]] = {}
        self._recent: OrderedDict[str, tuple[float, LandingResult]] = OrderedDict()

    def limiter(self, host: str) -> PoolLimiter:
        """The pool of `host`, made on first use."""
        key = host.lower().rstrip(".")
        if key not in self._limiters:
            self._limiters[key] = PoolLimiter(
                POOL_PREFIX + key, self.policy.host_limit(), shared=self.shared
            )
        return self._limiters[key]

    async def fetch(self, url: str) -> LandingResult:
        """Fetch `url` (its fragment dropped); never raises for what the page or host did."""
        try:
            checked = self.outbound.check_url(url).with_fragment(None)
        except OutboundRefusedError as exc:
            return LandingResult(_without_fragment(url), LandingStatus.SKIPPED, reason=str(exc))
        key = str(checked)
        while (pending := self._in_flight.get(key)) is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise
        recent = self._recent_result(key)
        if recent is not None:
            return recent
        future: asyncio.Future[LandingResult] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            result = await self._fetch_with_retries(checked)
        except BaseException:
            future.cancel()
            raise
        finally:
            del self._in_flight[key]
        future.set_result(result)
        self._remember(key, result)
        return result

    async def _fetch_with_retries(self, url: URL) -> LandingResult:
        retry = self.policy.retry
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(url)
            except _Retryable as exc:
                wait_s = (
                    exc.retry_after_s if exc.retry_after_s is not None else retry.backoff_s(attempt)
                )
                if attempt >= retry.attempts or wait_s > retry.wait_max_s:
                    log.warning("landing page %s: %s; giving up", url, exc.reason)
                    reason = f"{url.host} {exc.reason} (gave up after {attempt} attempts)"
                    return LandingResult(
                        str(url),
                        LandingStatus.FAILED,
                        reason=reason,
                        retry_after_s=exc.retry_after_s,
                    )
                log.info(
                    "landing page %s: %s; retry %d in %.1f s", url, exc.reason, attempt, wait_s
                )
                if exc.pause_host:
                    await self.limiter(exc.pause_host).pause(wait_s)
                else:
                    await asyncio.sleep(wait_s)

    async def _attempt(self, url: URL) -> LandingResult:
        headers = {"User-Agent": self.policy.user_agent, "Accept": ACCEPT}
        timeout_s = self.policy.timeout_s
        try:
            async with asyncio.timeout(timeout_s) as budget:
                async with get_following_redirects(
                    self.http,
                    url,
                    self.outbound,
                    headers=headers,
                    max_redirects=self.policy.max_redirects,
                    hop_slot=lambda hop: self._slot(hop, budget),
                ) as final:
                    return await self._answer(url, final.response, final.url, final.redirects)
        except OutboundRefusedError as exc:
            return LandingResult(str(url), LandingStatus.SKIPPED, reason=str(exc))
        except TooManyRedirectsError as exc:
            return LandingResult(str(url), LandingStatus.FAILED, reason=str(exc))
        except TimeoutError:
            msg = f"did not answer within {timeout_s:g} s"
            raise _Retryable(msg) from None
        except aiohttp.ClientError as exc:
            msg = f"could not be reached ({type(exc).__name__})"
            raise _Retryable(msg) from None

    @asynccontextmanager
    async def _slot(self, url: URL, budget: asyncio.Timeout) -> AsyncIterator[None]:
        """Hold a slot of the host's pool; the time spent waiting for it is not the host's."""
        self.requests += 1
        loop = asyncio.get_running_loop()
        when = budget.when()
        remaining_s = None if when is None else when - loop.time()
        budget.reschedule(None)
        async with self.limiter(url.host or "").slot():
            if remaining_s is not None:
                budget.reschedule(loop.time() + remaining_s)
            yield

    async def _answer(
        self, url: URL, response: aiohttp.ClientResponse, final: URL, redirects: tuple[URL, ...]
    ) -> LandingResult:
        status = response.status
        hops = tuple(str(r) for r in redirects)
        if status in (404, 410):
            return LandingResult(
                str(url), LandingStatus.NOT_FOUND, str(final), redirects=hops,
                reason=f"{final.host} answered {status}",
            )  # fmt: skip
        if status == 429:
            retry_after_s = parse_retry_after(response.headers.get("Retry-After"))
            msg = "answered 429"
            raise _Retryable(msg, retry_after_s=retry_after_s, host=final.host or "")
        if status == 408 or status >= 500:
            retry_after_s = parse_retry_after(response.headers.get("Retry-After"))
            msg = f"answered {status}"
            raise _Retryable(msg, retry_after_s=retry_after_s)
        if not 200 <= status < 300:
            reason = f"{final.host} answered {status}"
            return LandingResult(
                str(url), LandingStatus.FAILED, str(final), redirects=hops, reason=reason
            )
        content_type = response.headers.get("Content-Type")
        if content_type is not None and response.content_type not in HTML_TYPES:
            return LandingResult(
                str(url), LandingStatus.SKIPPED, str(final), content_type=response.content_type,
                redirects=hops, reason=f"not an HTML page ({response.content_type})",
            )  # fmt: skip
        body, truncated = await _read_capped(response, self.policy.max_bytes)
        return LandingResult(
            str(url), LandingStatus.FETCHED, str(final), body=body, encoding=response.charset,
            content_type=response.content_type if content_type else None,
            truncated=truncated, redirects=hops,
        )  # fmt: skip

    def _recent_result(self, key: str) -> LandingResult | None:
        entry = self._recent.get(key)
        if entry is None:
            return None
        stored_at, result = entry
        if time.monotonic() - stored_at > self.policy.cache_ttl_s:
            del self._recent[key]
            return None
        self._recent.move_to_end(key)
        return result

    def _remember(self, key: str, result: LandingResult) -> None:
        """Keep a recent result (never a failure: a retry must fetch again), within the caps."""
        if result.status is LandingStatus.FAILED or self.policy.cache_entries <= 0:
            return
        self._recent[key] = (time.monotonic(), result)
        self._recent.move_to_end(key)
        while len(self._recent) > self.policy.cache_entries or (
            sum(len(r.body) for _, r in self._recent.values()) > self.policy.cache_bytes
            and len(self._recent) > 1
        ):
            self._recent.popitem(last=False)


async def _read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> tuple[bytes, bool]:
    """At most `max_bytes` of the body, and whether there was more."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(CHUNK_BYTES):
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return b"".join(chunks)[:max_bytes], True
    return b"".join(chunks), False


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


async def fetch_landing_page(url: str, fetcher: LandingFetcher) -> LandingResult:
    """Fetch one landing page with `fetcher` (its limits, guard and recent results)."""
    return await fetcher.fetch(url)

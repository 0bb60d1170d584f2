"""PoolLimiter: at most N request starts in any sliding window and at most C in flight, per pool.

One limiter per upstream pool (`crossref-single`, `crossref-list`, `datacite`, `doi-org`).
Three local guards, then an optional SharedLimitBackend (on Redis: store/limits.py) for several
worker processes:
- an aiolimiter bucket of capacity 1, so starts are paced evenly instead of bursting;
- an exact sliding-window log, because upstreams count in any window: a bucket that bursts N and
  refills could put 2N into one second;
- an in-flight counter whose size can change at run time (asyncio.Semaphore's cannot).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import heapq
import itertools
import logging
import re
import uuid
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Protocol

from aiolimiter import AsyncLimiter

log = logging.getLogger(__name__)

CROSSREF_SINGLE = "crossref-single"
CROSSREF_LIST = "crossref-list"
DATACITE = "datacite"
DOI_ORG = "doi-org"

WINDOW_MARGIN_S = 0.025
"""Slack added to every window: requests arrive upstream a little later than we send them."""
SHARED_POLL_S = 0.02
SHARED_SLOT_TTL_S = 6.0
"""A shared in-flight slot is refreshed every third of this while its request runs, so a worker
that dies mid-request (SIGKILL, OOM) blocks the pool's slot for at most this long."""


@dataclass(frozen=True, slots=True)
class PoolLimit:
    """At most `requests` starts per `window_s` seconds, and at most `in_flight` at once."""

    requests: int
    window_s: float = 1.0
    in_flight: int = 1

    @property
    def per_second(self) -> float:
        return self.requests / self.window_s


@dataclass(frozen=True, slots=True)
class PoolLimits:
    """The limits of every pool; `from_settings()` picks them from the CCO_* setting values.

    doi.org publishes no limits. Its RA look-ups and content negotiation go to one host, so
    they share one pool.
    """

    crossref_single: PoolLimit
    crossref_list: PoolLimit
    datacite: PoolLimit
    doi_org: PoolLimit

    @classmethod
    def from_settings(
        cls,
        *,
        is_polite: bool,
        crossref_single_per_s: int,
        crossref_single_in_flight: int,
        crossref_list_per_s: int,
        crossref_list_in_flight: int,
        crossref_public_single_per_s: int,
        crossref_public_list_per_s: int,
        crossref_public_in_flight: int,
        datacite_per_5min: int,
        datacite_public_per_5min: int,
        datacite_in_flight: int,
        doi_org_per_s: int,
        doi_org_in_flight: int,
    ) -> PoolLimits:
        """The polite pools when we name a contact (CCO_MAILTO), else the public ones.

        Takes the values of the CCO_* settings of the same names (the registries never read
        Settings). The public DataCite limit never exceeds the identified one.
        """
        if is_polite:
            crossref_single = PoolLimit(crossref_single_per_s, 1.0, crossref_single_in_flight)
            crossref_list = PoolLimit(crossref_list_per_s, 1.0, crossref_list_in_flight)
            datacite_per_window = datacite_per_5min
        else:
            crossref_single = PoolLimit(
                crossref_public_single_per_s, 1.0, crossref_public_in_flight
            )
            crossref_list = PoolLimit(crossref_public_list_per_s, 1.0, crossref_public_in_flight)
            datacite_per_window = min(datacite_per_5min, datacite_public_per_5min)
        return cls(
            crossref_single=crossref_single,
            crossref_list=crossref_list,
            datacite=PoolLimit(datacite_per_window, 300.0, datacite_in_flight),
            doi_org=PoolLimit(doi_org_per_s, 1.0, doi_org_in_flight),
        )

    def by_pool(self) -> dict[str, PoolLimit]:
        """The limits keyed by pool name."""
        return {
            CROSSREF_SINGLE: self.crossref_single,
            CROSSREF_LIST: self.crossref_list,
            DATACITE: self.datacite,
            DOI_ORG: self.doi_org,
        }


class SharedLimitBackend(Protocol):
    """Limits kept outside this process, so that every worker together stays under them."""

    async def try_start(self, pool: str, requests: int, window_s: float) -> float:
        """Record a start and return 0, or return how many seconds to wait before asking again."""
        ...

    async def acquire_slot(self, pool: str, holder: str, in_flight: int, ttl_s: float) -> bool:
        """Take one of `in_flight` slots for `holder` (until `ttl_s` at the latest)."""
        ...

    async def refresh_slot(self, pool: str, holder: str, ttl_s: float) -> None:
        """Keep `holder`'s slot for another `ttl_s` (a long request is still running)."""
        ...

    async def release_slot(self, pool: str, holder: str) -> None:
        """Give `holder`'s slot back."""
        ...

    async def pause(self, pool: str, seconds: float) -> None:
        """Stop every worker from starting requests in this pool for `seconds`."""
        ...


REQUEST_PRIORITY: contextvars.ContextVar[int] = contextvars.ContextVar(
    "request_priority", default=0
)
"""Who gets a pool's next free slot: the lowest value first, then first come. A session run sets
it to its number of open DOIs, so a small session is not stuck behind a big one's batches."""


class _Slots:
    """A counting semaphore whose size can change while tasks wait; by priority, then FIFO."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.used = 0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []  # a heap
        self._arrivals = itertools.count()

    async def acquire(self) -> None:
        if self.used < self.size and not self._waiters:
            self.used += 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (REQUEST_PRIORITY.get(), next(self._arrivals), fut))
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()  # the slot was handed over just as we were cancelled
            raise  # a cancelled waiter still in the heap is skipped by _wake

    def release(self) -> None:
        self.used -= 1
        self._wake()

    def resize(self, size: int) -> None:
        self.size = size
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.used < self.size:
            _, _, fut = heapq.heappop(self._waiters)
            if not fut.done():
                self.used += 1
                fut.set_result(None)


class PoolLimiter:
    """One upstream pool's limits; `async with limiter.slot():` around each request and its body."""

    def __init__(
        self,
        name: str,
        limit: PoolLimit,
        *,
        shared: SharedLimitBackend | None = None,
        margin_s: float = WINDOW_MARGIN_S,
        slot_ttl_s: float = SHARED_SLOT_TTL_S,
    ) -> None:
        self.name = name
        self.shared = shared
        self.margin_s = margin_s
        self.slot_ttl_s = slot_ttl_s
        self.started = 0
        self._limit = limit
        self._bucket = AsyncLimiter(1, limit.window_s / limit.requests)
        self._sent: deque[float] = deque()
        self._slots = _Slots(limit.in_flight)
        self._start_lock = asyncio.Lock()
        self._paused_until = 0.0

    @property
    def limit(self) -> PoolLimit:
        return self._limit

    @property
    def in_flight(self) -> int:
        return self._slots.used

    def set_limit(self, limit: PoolLimit) -> None:
        """Change the pool's limits; waiting requests follow at once."""
        if limit == self._limit:
            return
        log.info(
            "pool %s: %d per %.3g s, %d in flight (was %d per %.3g s, %d)",
            self.name,
            limit.requests,
            limit.window_s,
            limit.in_flight,
            self._limit.requests,
            self._limit.window_s,
            self._limit.in_flight,
        )
        if (limit.requests, limit.window_s) != (self._limit.requests, self._limit.window_s):
            self._bucket = AsyncLimiter(1, limit.window_s / limit.requests)
        self._limit = limit
        self._slots.resize(limit.in_flight)

    def adapt(self, headers: Mapping[str, str]) -> None:
        """Follow x-rate-limit-limit, x-rate-limit-interval and x-concurrency-limit when sent."""
        requests = _header_int(headers.get("x-rate-limit-limit"))
        window_s = _header_interval(headers.get("x-rate-limit-interval"))
        in_flight = _header_int(headers.get("x-concurrency-limit"))
        self.set_limit(
            replace(
                self._limit,
                requests=requests or self._limit.requests,
                window_s=window_s or self._limit.window_s,
                in_flight=in_flight or self._limit.in_flight,
            )
        )

    async def pause(self, seconds: float) -> None:
        """Start nothing in this pool (in any worker) for `seconds`: the upstream said 429."""
        until = asyncio.get_running_loop().time() + seconds
        if until > self._paused_until:
            self._paused_until = until
            log.warning("pool %s: paused for %.1f s", self.name, seconds)
        if self.shared is not None:
            await self.shared.pause(self.name, seconds)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for an in-flight slot and a start; hold the slot until the block ends."""
        await self._slots.acquire()
        try:
            holder = await self._acquire_shared_slot()
            keeper = (
                asyncio.create_task(self._keep_shared_slot(holder)) if holder is not None else None
            )
            try:
                await self._wait_for_start()
                yield
            finally:
                if keeper is not None:
                    keeper.cancel()
                if holder is not None and self.shared is not None:
                    # Shielded: a cancelled request must still hand its slot back (else: ttl).
                    await asyncio.shield(self.shared.release_slot(self.name, holder))
        finally:
            self._slots.release()

    async def _acquire_shared_slot(self) -> str | None:
        if self.shared is None:
            return None
        holder = uuid.uuid4().hex
        while True:
            limit = self._limit.in_flight
            if await self.shared.acquire_slot(self.name, holder, limit, self.slot_ttl_s):
                return holder
            await asyncio.sleep(SHARED_POLL_S)

    async def _keep_shared_slot(self, holder: str) -> None:
        assert self.shared is not None
        while True:
            await asyncio.sleep(self.slot_ttl_s / 3)
            with contextlib.suppress(Exception):  # a missed refresh only shortens the slot
                await self.shared.refresh_slot(self.name, holder, self.slot_ttl_s)

    async def _wait_for_start(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._start_lock:
            await self._bucket.acquire()
            while True:
                delay = max(self._paused_until - loop.time(), self._window_wait(loop.time()))
                if delay <= 0 and self.shared is not None:
                    limit = self._limit
                    delay = await self.shared.try_start(
                        self.name, limit.requests, limit.window_s + self.margin_s
                    )
                if delay <= 0:
                    break
                await asyncio.sleep(delay)
            self._sent.append(loop.time())
            self.started += 1

    def _window_wait(self, now: float) -> float:
        """Seconds until one more start keeps every window at N starts or fewer."""
        horizon = self._limit.window_s + self.margin_s
        while self._sent and self._sent[0] <= now - horizon:
            self._sent.popleft()
        requests = self._limit.requests
        if len(self._sent) < requests:
            return 0.0
        return self._sent[len(self._sent) - requests] + horizon - now


_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min)?\s*$")


def _header_values(raw: str | None) -> list[tuple[float, str]]:
    # Crossref has sent duplicated headers ("50, 50"); anything unreadable is ignored.
    if not raw:
        return []
    values = []
    for part in raw.split(","):
        match = _NUMBER.match(part)
        if match:
            values.append((float(match.group(1)), match.group(2) or "s"))
    return values


def _header_int(raw: str | None) -> int | None:
    """The smallest positive integer in a possibly duplicated header, or None."""
    numbers = [int(value) for value, _ in _header_values(raw) if value >= 1]
    return min(numbers) if numbers else None


def _header_interval(raw: str | None) -> float | None:
    """The longest interval in seconds ("1s", "500ms", "1m"), or None."""
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0}
    seconds = [value * scale[unit] for value, unit in _header_values(raw) if value > 0]
    return max(seconds) if seconds else None

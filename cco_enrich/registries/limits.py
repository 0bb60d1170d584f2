"""PoolLimiter: at most N request starts in any sliding window and at most C in flight, per pool.

One limiter per upstream pool (`crossref-single`, `crossref-list`, `datacite`, `doi-org`).
N and C are learned (adaptive.py): the configured limit is the ceiling, and 429s, 503s, timeouts
and rate-limit headers move the learned limit below it. Three local guards, then an optional
SharedLimitBackend (on Redis: store/limits.py) for several worker processes:
- an aiolimiter bucket of capacity 1, so starts are paced evenly instead of bursting;
- an exact sliding-window log, because upstreams count in any window: a bucket that bursts N and
  refills could put 2N into one second;
- an in-flight counter whose size can change at run time (slots.py).

A request abandoned in flight (its task cancelled) keeps its slot, local and shared, until it
would have ended: the upstream keeps serving it, so handing the slot on at once would put one
request too many in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiolimiter import AsyncLimiter

from cco_enrich.registries.adaptive import LearnedLimits, MemoryLearnedLimits, Usage
from cco_enrich.registries.backend import SharedLimitBackend
from cco_enrich.registries.learner import Learner
from cco_enrich.registries.pools import PoolLimit, PoolLimits
from cco_enrich.registries.slots import REQUEST_PRIORITY, PrioritySlots

log = logging.getLogger(__name__)

WINDOW_MARGIN_S = 0.025
"""Slack added to every window: requests arrive upstream a little later than we send them."""
SHARED_POLL_S = 0.02
SHARED_SLOT_TTL_S = 6.0
"""A shared in-flight slot is refreshed every third of this while its request runs, so a worker
that dies mid-request (SIGKILL, OOM) blocks the pool's slot for at most this long."""
MIN_GRACE_S = 1.0
"""An abandoned request keeps its slot at least this long (else twice the pool's p90 latency)."""


@dataclass(slots=True)
class Claim:
    """One request's claim on a pool: its slots (local, shared), when it started, and what the
    pool was using then (what a 429 on it says about the real limit)."""

    started_at: float
    holder: str | None = None
    keeper: asyncio.Task[None] | None = None
    used: bool = field(default=False)
    usage: Usage = (1, 1)
    """(starts in the window, requests in flight) at its start, itself included; fleet-wide."""


_RESERVED: contextvars.ContextVar[tuple[PoolLimiter, Claim] | None] = contextvars.ContextVar(
    "reserved_start", default=None
)


class PoolLimiter:
    """One upstream pool's limits; `async with limiter.slot():` around each request and its body."""

    def __init__(
        self,
        name: str,
        ceiling: PoolLimit,
        *,
        shared: SharedLimitBackend | None = None,
        margin_s: float = WINDOW_MARGIN_S,
        slot_ttl_s: float = SHARED_SLOT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
        min_grace_s: float = MIN_GRACE_S,
    ) -> None:
        self.name = name
        self.min_grace_s = min_grace_s
        self.shared = shared
        self.margin_s = margin_s
        self.slot_ttl_s = slot_ttl_s
        self.started = 0
        self.active = 0
        """Requests running now (an abandoned one that keeps its slot is not counted)."""
        self._ceiling = ceiling
        self._limit = ceiling
        self._bucket = AsyncLimiter(1, ceiling.window_s / ceiling.requests)
        self._sent: deque[float] = deque()
        self._slots = PrioritySlots(ceiling.in_flight)
        self._start_lock = asyncio.Lock()
        self._starts_open = asyncio.Event()
        self._starts_open.set()
        self._paused_until = 0.0
        store: LearnedLimits = shared or MemoryLearnedLimits(clock)
        self.learner = Learner(name, ceiling, store, clock=clock, on_change=self._apply)
        self._background: set[asyncio.Task[None]] = set()

    @property
    def ceiling(self) -> PoolLimit:
        """The configured limit: the learned one never goes above it."""
        return self._ceiling

    @property
    def limit(self) -> PoolLimit:
        """The limit in force now (the learned one)."""
        return self._limit

    @property
    def in_flight(self) -> int:
        """Slots taken: requests running and abandoned ones still keeping theirs."""
        return self._slots.used

    def set_ceiling(self, ceiling: PoolLimit) -> None:
        """Change the configured limit; the limit in force follows at once."""
        self._ceiling = ceiling
        self.learner.ceiling = ceiling
        self._apply(ceiling.requests, ceiling.in_flight)

    async def register(self) -> None:
        """Publish the ceiling (shared backend) and start from the fleet's learned limit."""
        if self.shared is not None:
            await self.shared.register_ceiling(self.name, self._ceiling)
        await self.learner.start()

    @property
    def epoch_s(self) -> float:
        return self.learner.epoch_s

    @property
    def grace_s(self) -> float:
        """How long an abandoned request keeps its slot: twice the p90 latency, at least 1 s."""
        return max(self.min_grace_s, 2 * self.learner.latency_p90_s)

    async def answered(self, status: int, claim: Claim | None = None) -> None:
        """Learn from one answer: 429 and 503 lower the limit, clean answers raise it in time."""
        if claim is None:
            await self.learner.answered(status)
            return
        started_ago_s = asyncio.get_running_loop().time() - claim.started_at
        await self.learner.answered(status, claim.usage, started_ago_s)

    async def overloaded(self, reason: str) -> None:
        """A 429, a 503 or a timeout: the pool's learned limit drops (once per epoch)."""
        await self.learner.overloaded(reason)

    async def observe(self, headers: Mapping[str, str]) -> None:
        """Follow x-rate-limit-limit, x-rate-limit-interval and x-concurrency-limit when sent."""
        await self.learner.observe(headers)

    def _apply(self, requests: int, in_flight: int) -> None:
        """Put a learned limit (capped by the ceiling) in force; waiting requests follow."""
        limit = PoolLimit(
            max(1, min(requests, self._ceiling.requests)),
            self._ceiling.window_s,
            max(1, min(in_flight, self._ceiling.in_flight)),
        )
        if limit == self._limit:
            return
        log.info(
            "pool %s: %d per %.3g s, %d in flight (was %d, %d; ceiling %d, %d)",
            self.name,
            limit.requests,
            limit.window_s,
            limit.in_flight,
            self._limit.requests,
            self._limit.in_flight,
            self._ceiling.requests,
            self._ceiling.in_flight,
        )
        if limit.requests != self._limit.requests:
            self._bucket = AsyncLimiter(1, limit.window_s / limit.requests)
        self._limit = limit
        self._slots.resize(limit.in_flight)
        self.learner.following(limit.requests, limit.in_flight)

    # -- starts -----------------------------------------------------------------------------

    async def pause(self, seconds: float) -> None:
        """Start nothing in this pool (in any worker) for `seconds`: the upstream said 429."""
        until = asyncio.get_running_loop().time() + seconds
        if until > self._paused_until:
            self._paused_until = until
            log.warning("pool %s: paused for %.1f s", self.name, seconds)
        if self.shared is not None:
            await self.shared.pause(self.name, seconds)

    def hold_starts(self) -> None:
        """Start no new request until `resume_starts()`: the worker is stopping."""
        self._starts_open.clear()

    def resume_starts(self) -> None:
        self._starts_open.set()

    @asynccontextmanager
    async def slot(self, *, timeout_s: float | None = None) -> AsyncIterator[Claim]:
        """Wait for an in-flight slot and a start; hold the slot until the block ends.

        Cancelled inside the block, the request is abandoned: its slot stays taken until it
        would have ended (`timeout_s` after its start) or for `grace_s`, whichever is sooner.
        """
        reserved = _RESERVED.get()
        if reserved is not None and reserved[0] is self and not reserved[1].used:
            held = reserved[1]
            held.used = True
        else:
            held = await self._acquire()
        try:
            yield held
        except asyncio.CancelledError:
            self._abandon(held, timeout_s)
            raise
        except BaseException:
            await self._release(held)
            raise
        self.learner.latencies.append(asyncio.get_running_loop().time() - held.started_at)
        await self._release(held)

    async def reserve(self) -> Claim:
        """A start granted now for a request not built yet; hand it on with `using()`."""
        return await self._acquire()

    @asynccontextmanager
    async def using(self, held: Claim) -> AsyncIterator[None]:
        """The first `slot()` of this pool inside the block takes the reserved start."""
        token = _RESERVED.set((self, held))
        try:
            yield
        finally:
            _RESERVED.reset(token)
            if not held.used:
                held.used = True
                await self._release(held)

    async def _acquire(self) -> Claim:
        await self._slots.acquire()
        try:
            holder, in_flight = await self._acquire_shared_slot()
            keeper = (
                asyncio.create_task(self._keep_shared_slot(holder)) if holder is not None else None
            )
            try:
                starts = await self._wait_for_start()
            except BaseException:
                await self._give_back_shared(holder, keeper)
                raise
        except BaseException:
            self._slots.release()
            raise
        self.active += 1
        usage = (starts, max(in_flight, self._slots.used))
        return Claim(asyncio.get_running_loop().time(), holder, keeper, usage=usage)

    async def _release(self, held: Claim) -> None:
        try:
            await self._give_back_shared(held.holder, held.keeper)
        finally:
            self._slots.release()
            self.active -= 1

    async def _give_back_shared(
        self, holder: str | None, keeper: asyncio.Task[None] | None
    ) -> None:
        if keeper is not None:
            keeper.cancel()
        if holder is not None and self.shared is not None:
            # Shielded: a cancelled request must still hand its slot back (else: ttl).
            await asyncio.shield(self.shared.release_slot(self.name, holder))

    def _abandon(self, held: Claim, timeout_s: float | None) -> None:
        """The upstream still serves it: keep its slot until it would have ended."""
        self.active -= 1
        loop = asyncio.get_running_loop()
        hold_s = self.grace_s
        if timeout_s is not None:
            hold_s = min(hold_s, max(0.0, timeout_s - (loop.time() - held.started_at)))
        log.info("pool %s: an abandoned request keeps its slot for %.1f s", self.name, hold_s)
        if held.keeper is not None:
            held.keeper.cancel()
        if held.holder is not None and self.shared is not None:
            # The slot's expiry in Redis becomes the end of the hold, so it holds even if this
            # process exits now (SIGTERM).
            task = asyncio.create_task(self.shared.refresh_slot(self.name, held.holder, hold_s))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        loop.call_later(hold_s, self._slots.release)

    async def _acquire_shared_slot(self) -> tuple[str | None, int]:
        """A shared slot's holder id, and how many the fleet has in flight with it."""
        if self.shared is None:
            return None, 0
        holder = uuid.uuid4().hex
        while True:
            acquired, learned, in_flight = await self.shared.acquire_slot(
                self.name, holder, self._ceiling.in_flight, self.slot_ttl_s
            )
            if learned != self._limit.in_flight:
                self._apply(self._limit.requests, learned)
            if acquired:
                return holder, in_flight
            await asyncio.sleep(SHARED_POLL_S)

    async def _keep_shared_slot(self, holder: str) -> None:
        assert self.shared is not None
        while True:
            await asyncio.sleep(self.slot_ttl_s / 3)
            with contextlib.suppress(Exception):  # a missed refresh only shortens the slot
                await self.shared.refresh_slot(self.name, holder, self.slot_ttl_s)

    async def _wait_for_start(self) -> int:
        """Wait for a start; how many starts the window holds with it (fleet-wide if shared)."""
        loop = asyncio.get_running_loop()
        async with self._start_lock:
            await self._bucket.acquire()
            starts = 0
            while True:
                await self._starts_open.wait()
                delay = max(self._paused_until - loop.time(), self._window_wait(loop.time()))
                if delay <= 0 and self.shared is not None:
                    delay, learned, starts = await self.shared.try_start(
                        self.name, self._ceiling.requests, self._limit.window_s + self.margin_s
                    )
                    if learned != self._limit.requests:
                        self._apply(learned, self._limit.in_flight)
                if delay <= 0 and self._starts_open.is_set():
                    break
                await asyncio.sleep(max(delay, 0.0))
            self._sent.append(loop.time())
            self.started += 1
            return max(starts, len(self._sent))

    def _window_wait(self, now: float) -> float:
        """Seconds until one more start keeps every window at N starts or fewer."""
        horizon = self._limit.window_s + self.margin_s
        while self._sent and self._sent[0] <= now - horizon:
            self._sent.popleft()
        requests = self._limit.requests
        if len(self._sent) < requests:
            return 0.0
        return self._sent[len(self._sent) - requests] + horizon - now


__all__ = ["REQUEST_PRIORITY", "PoolLimit", "PoolLimiter", "PoolLimits", "SharedLimitBackend"]

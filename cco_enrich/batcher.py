"""SharedBatcher: one kind of upstream request, filled with the keys of every session of a worker.

Sessions hand in keys (DOIs, prefixes) under a Ticket; lanes (as many as the pool may have in
flight) turn the queued keys into requests. A lane seals its batch only once the pool grants it a
start (`PoolLimiter.reserve`), so keys that arrive while the pool is busy all ride its next
request: 100 sessions of 10 DOIs share about ten Crossref list requests, not a hundred.
- Keys are taken by priority (a ticket's: the session's open DOIs, smallest first), then in the
  order they came.
- A key already queued or in flight is not asked twice: the new ticket joins it (single flight).
- Every finished request hands each ticket its part of the answer (`Ticket.deliver`, called in
  the lane: it must not block). A cancelled ticket gets nothing, and its keys no other ticket
  wants leave the queue; a request already sent is never cut short for it.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from cco_enrich.registries.limits import REQUEST_PRIORITY, PoolLimiter

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")

FIRST_CANDIDATES = 64
"""Keys offered to `first_batch` at first; doubled while they all fit in one request."""


class Ticket(Generic[K, R]):
    """One caller's share of a batcher: `deliver(keys, part)` gets its part of every answer."""

    def __init__(self, priority: int, deliver: Callable[[list[K], R], None]) -> None:
        self.priority = priority
        self.deliver = deliver
        self.cancelled = False


@dataclass(slots=True)
class _Entry(Generic[K, R]):
    key: K
    priority: int
    seq: int
    tickets: list[Ticket[K, R]] = field(default_factory=list)

    @property
    def is_wanted(self) -> bool:
        return any(not ticket.cancelled for ticket in self.tickets)


class SharedBatcher(Generic[K, R]):
    """Queued keys of many tickets, sent in batches that each fit one request.

    Args:
        first_batch: the longest head of the given keys that fits one request.
        send: one request for a batch; it should not raise (an exception is logged and
            becomes `on_error(keys, exc)` for every ticket).
        part: a ticket's part of a batch's answer.
        limiter: the pool the batches go through; without one, batches are sealed when taken.
        linger_s: how long queued keys wait for company while `more_coming()` says more may
            come, unless a batch is full or a key is urgent.
    """

    def __init__(
        self,
        name: str,
        *,
        first_batch: Callable[[list[K]], Sequence[K]],
        send: Callable[[list[K]], Awaitable[R]],
        part: Callable[[R, list[K]], R],
        on_error: Callable[[list[K], Exception], R],
        limiter: PoolLimiter | None = None,
        lanes: int = 1,
        linger_s: float = 0.0,
        more_coming: Callable[[], bool] = lambda: False,
        after_send: Callable[[], None] = lambda: None,
    ) -> None:
        self.name = name
        self.first_batch = first_batch
        self.send = send
        self.part = part
        self.on_error = on_error
        self.limiter = limiter
        self.lanes = max(1, lanes)
        self.linger_s = linger_s
        self.more_coming = more_coming
        self.after_send = after_send
        self.requests = 0
        self._queued: dict[K, _Entry[K, R]] = {}
        self._in_flight: dict[K, _Entry[K, R]] = {}
        self._heap: list[tuple[int, int, K]] = []
        self._seq = itertools.count()
        self._urgent = False
        self._first_queued_at = 0.0
        self._changed = asyncio.Event()
        self._take_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def pending(self) -> int:
        """Keys queued or in flight."""
        return len(self._queued) + len(self._in_flight)

    def submit(self, ticket: Ticket[K, R], keys: Sequence[K], *, urgent: bool = False) -> None:
        """Queue `keys` for `ticket`; urgent keys end any lingering at once."""
        if not self._queued:
            self._first_queued_at = asyncio.get_running_loop().time()
        for key in keys:
            if (entry := self._queued.get(key)) is not None:
                entry.tickets.append(ticket)
                if ticket.priority < entry.priority:
                    entry.priority = ticket.priority
                    heapq.heappush(self._heap, (entry.priority, entry.seq, key))
            elif (flying := self._in_flight.get(key)) is not None:
                flying.tickets.append(ticket)  # gets the answer of the request already sent
            else:
                entry = _Entry(key, ticket.priority, next(self._seq), [ticket])
                self._queued[key] = entry
                heapq.heappush(self._heap, (entry.priority, entry.seq, key))
        self._urgent = self._urgent or urgent
        self._start_lanes()
        self.poke()

    def withdraw(self, ticket: Ticket[K, R], keys: Sequence[K]) -> list[K]:
        """Take `ticket`'s keys that are still queued back out; the ones withdrawn."""
        withdrawn = []
        for key in keys:
            entry = self._queued.get(key)
            if entry is None or ticket not in entry.tickets:
                continue
            entry.tickets.remove(ticket)
            if not entry.is_wanted:
                del self._queued[key]  # its heap item is skipped when popped
            withdrawn.append(key)
        return withdrawn

    def cancel(self, ticket: Ticket[K, R]) -> None:
        """The ticket wants nothing more; keys nobody else wants are dropped when reached."""
        ticket.cancelled = True

    def poke(self) -> None:
        """Something a waiting lane looks at changed (keys, or `more_coming()`)."""
        self._changed.set()

    async def aclose(self) -> None:
        """Stop every lane (at worker shutdown: sessions are stopped first)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def _start_lanes(self) -> None:
        if self._tasks:
            return
        for n in range(self.lanes):
            # A fresh context: a lane serves every session, not the one whose keys woke it.
            self._tasks.append(
                asyncio.create_task(
                    self._lane(), name=f"{self.name} lane {n}", context=contextvars.Context()
                )
            )

    async def _lane(self) -> None:
        while True:
            await self._take_lock.acquire()
            try:
                await self._wait_until_ready()
                REQUEST_PRIORITY.set(self._heap[0][0] if self._heap else 0)
                held = await self.limiter.reserve() if self.limiter is not None else None
                entries = self._take()
            finally:
                self._take_lock.release()
            if self.limiter is not None and held is not None:
                async with self.limiter.using(held):
                    await self._send(entries)
            else:
                await self._send(entries)

    async def _wait_until_ready(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            timeout = None
            if self._queued:
                if self._is_ready():
                    return
                timeout = max(0.0, self._first_queued_at + self.linger_s - loop.time())
                if timeout == 0:
                    return
            self._changed.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    def _is_ready(self) -> bool:
        if self.linger_s <= 0 or self._urgent or not self.more_coming():
            return True
        keys = list(self._queued)
        return len(self.first_batch(keys)) < len(keys)  # a full batch is waiting

    def _take(self) -> list[_Entry[K, R]]:
        """The next batch: live keys by priority, as many as fit one request."""
        wanted = FIRST_CANDIDATES
        while True:
            candidates = self._pop_candidates(wanted)
            batch = self.first_batch([key for _, _, key in candidates]) if candidates else []
            if len(batch) < len(candidates) or not self._heap:
                break
            for item in candidates:
                heapq.heappush(self._heap, item)
            wanted *= 2
        chosen = set(batch)
        for item in candidates:
            if item[2] not in chosen:
                heapq.heappush(self._heap, item)
        entries = [self._queued.pop(key) for key in batch]
        for entry in entries:
            self._in_flight[entry.key] = entry
        if not self._queued:
            self._urgent = False
        return entries

    def _pop_candidates(self, wanted: int) -> list[tuple[int, int, K]]:
        candidates: list[tuple[int, int, K]] = []
        while self._heap and len(candidates) < wanted:
            item = heapq.heappop(self._heap)
            entry = self._queued.get(item[2])
            if entry is None or (entry.priority, entry.seq) != item[:2]:
                continue  # withdrawn, taken, or queued again with a lower priority
            if not entry.is_wanted:
                del self._queued[item[2]]
                continue
            candidates.append(item)
        return candidates

    async def _send(self, entries: list[_Entry[K, R]]) -> None:
        if not entries:
            return
        keys = [entry.key for entry in entries]
        self.requests += 1
        try:
            result = await self.send(keys)
        except Exception as exc:
            log.exception("%s: a batch of %d failed unexpectedly", self.name, len(keys))
            result = self.on_error(keys, exc)
        finally:
            for key in keys:
                self._in_flight.pop(key, None)
        self._deliver(entries, result)
        self.after_send()

    def _deliver(self, entries: list[_Entry[K, R]], result: R) -> None:
        shares: dict[Ticket[K, R], list[K]] = {}
        for entry in entries:
            for ticket in entry.tickets:
                if not ticket.cancelled:
                    shares.setdefault(ticket, []).append(entry.key)
        for ticket, keys in shares.items():
            try:
                ticket.deliver(keys, self.part(result, keys))
            except Exception:  # one session's bug must not stop the lane for every other
                log.exception("%s: delivering a part of %d keys failed", self.name, len(keys))

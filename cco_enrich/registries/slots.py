"""PrioritySlots: a pool's in-flight slots, handed out by request priority, resizable at run time.

asyncio.Semaphore cannot change its size while tasks wait, nor serve the smallest session first.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools

REQUEST_PRIORITY: contextvars.ContextVar[int] = contextvars.ContextVar(
    "request_priority", default=0
)
"""Who gets a pool's next free slot: the lowest value first, then first come. A session run sets
it to its number of open DOIs, so a small session is not stuck behind a big one's batches."""


class PrioritySlots:
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

"""Learner: how one pool's learned limit follows the answers it gets (the rules: adaptive.py).

PoolLimiter owns one. It turns answers, timeouts and headers into changes of the pool's
LearnedLimit (kept by LearnedLimits: this process, or Redis for the fleet), and hands each new
limit to the limiter (`on_change`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping

from cco_enrich.registries.adaptive import (
    MIN_EPOCH_S,
    RECOVER_EVERY_S,
    Cap,
    LearnedLimit,
    LearnedLimits,
    Usage,
    announced_limits,
)
from cco_enrich.registries.pools import PoolLimit

LATENCY_SAMPLES = 64
KNOWN_OK_FOR_S = 60.0
"""How long the usage a clean answer saw counts as known to work."""
OVERLOAD_STATUSES = {429: "429", 503: "503"}
CLEAN_STATUSES = frozenset({200, 404})


class Learner:
    """One pool's learning: answers in, learned (requests, in flight) out through `on_change`."""

    def __init__(
        self,
        name: str,
        ceiling: PoolLimit,
        store: LearnedLimits,
        *,
        clock: Callable[[], float],
        on_change: Callable[[int, int], None],
    ) -> None:
        self.name = name
        self.ceiling = ceiling
        self.store = store
        self.clock = clock
        self.on_change = on_change
        self.advertised = (0, 0)
        self.latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self._recover_tried_at = -RECOVER_EVERY_S
        self._current = (ceiling.requests, ceiling.in_flight)
        self.known_ok: Usage = (0, 0)
        """The most (starts in the window, in flight) a clean answer saw lately."""
        self._known_ok_since = 0.0

    @property
    def cap(self) -> Cap:
        return Cap(self.ceiling.requests, self.ceiling.window_s, self.ceiling.in_flight)

    @property
    def latency_p90_s(self) -> float:
        """The 90th percentile of the recent requests' durations (0 before any)."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]

    @property
    def epoch_s(self) -> float:
        """At most one decrease per epoch: about one window or one latency."""
        return max(MIN_EPOCH_S, min(self.ceiling.window_s, 10.0), self.latency_p90_s)

    def following(self, requests: int, in_flight: int) -> None:
        """The limiter put this limit in force (it also learns it from the shared backend)."""
        self._current = (requests, in_flight)

    async def start(self) -> None:
        """Start from the learned limit the store has (a restarted worker: the fleet's)."""
        self._follow(await self.store.learned(self.name))

    async def answered(
        self, status: int, usage: Usage | None = None, started_ago_s: float | None = None
    ) -> None:
        """429 and 503 lower the limit; clean answers raise it in time."""
        if status in OVERLOAD_STATUSES:
            await self.overloaded(OVERLOAD_STATUSES[status], usage, started_ago_s)
        elif status in CLEAN_STATUSES:
            if usage is not None:
                self._saw_clean(usage)
            await self._recover()

    def _saw_clean(self, usage: Usage) -> None:
        now = self.clock()
        if now - self._known_ok_since > KNOWN_OK_FOR_S:
            self.known_ok, self._known_ok_since = (0, 0), now
        self.known_ok = (max(self.known_ok[0], usage[0]), max(self.known_ok[1], usage[1]))

    async def overloaded(
        self, reason: str, usage: Usage | None = None, started_ago_s: float | None = None
    ) -> None:
        """A 429, a 503 or a timeout: the learned limit drops, unless the request was admitted
        before the last decrease (or, without that, within an epoch of it)."""
        cap, epoch_s, known_ok = self.cap, self.epoch_s, self.known_ok

        def decrease(current: LearnedLimit | None, now: float) -> LearnedLimit | None:
            state = (current or LearnedLimit.at(cap, now)).capped(cap)
            return state.decreased(
                cap,
                now,
                reason=reason,
                epoch_s=epoch_s,
                usage=usage,
                known_ok=known_ok,
                started_ago_s=started_ago_s,
            )

        self._follow(await self.store.update_learned(self.name, decrease))

    async def _recover(self) -> None:
        now = self.clock()
        ceiling = (self.ceiling.requests, self.ceiling.in_flight)
        top = [min(c, a or c) for c, a in zip(ceiling, self.advertised, strict=True)]
        at_top = self._current[0] >= top[0] and self._current[1] >= top[1]
        if at_top or now - self._recover_tried_at < RECOVER_EVERY_S / 2:
            return
        self._recover_tried_at = now
        cap = self.cap

        def increase(current: LearnedLimit | None, now: float) -> LearnedLimit | None:
            return None if current is None else current.capped(cap).increased(cap, now)

        self._follow(await self.store.update_learned(self.name, increase))

    async def observe(self, headers: Mapping[str, str]) -> None:
        """Follow x-rate-limit-limit, x-rate-limit-interval and x-concurrency-limit when sent."""
        announced = announced_limits(headers, self.ceiling.window_s)
        if announced == (0, 0) or announced == self.advertised:
            return
        self.advertised = announced
        cap = self.cap

        def announce(current: LearnedLimit | None, now: float) -> LearnedLimit | None:
            state = current or LearnedLimit.at(cap, now)
            return state.announced(cap, now, *announced)

        self._follow(await self.store.update_learned(self.name, announce))

    def _follow(self, learned: LearnedLimit | None) -> None:
        if learned is None:
            self.on_change(self.ceiling.requests, self.ceiling.in_flight)
        else:
            self.on_change(learned.requests, learned.in_flight)

"""LearnedLimit: what an upstream pool really allows, learned from its answers (AIMD).

Configured limits (the CCO_* settings) are ceilings, not truths: doi.org publishes none, Crossref
changed its limits in December 2025, and a 429 often comes without headers. So every pool keeps a
learned limit at or below its ceiling, shared by the whole fleet (store/limits.py keeps it in
Redis; `MemoryLearnedLimits` keeps it in this process when there is no Redis):

- a 429, a 503 or a timeout lowers it. The refused request says what it saw at its start (starts
  in the window, requests in flight) and clean answers say what is known to work: what it saw
  beyond that is to blame, and goes below what it saw (halved at least); with nothing to tell
  them apart, both are halved (never below 1). A request admitted before the last decrease says
  nothing new, so the burst of 429s one overload causes counts once (without a request to go by,
  as for a timeout: one decrease per epoch, about one latency or window);
- a step that had just gone above a level known to be clean goes back to that level instead;
- answers that stay clean for RECOVER_EVERY_S raise one of the two by a step (rate, then
  concurrency, in turn), never above the ceiling; a level that drew an error is tried again only
  after PROBE_AGAIN_S, doubled after each failed try;
- `x-rate-limit-*` / `x-concurrency-limit` headers lower the cap; a change in what they announce
  sets the learned limit to it directly (still capped by the ceiling).

Everything here is pure: `now` is the caller's clock (Redis TIME for the shared state).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Protocol

DECREASE_FACTOR = 0.5
RECOVER_EVERY_S = 2.0
"""Clean answers for this long (since the last change) earn one step up."""
PROBE_AGAIN_S = 30.0
"""A level that drew an error on a step up is tried again after this long (doubling, capped)."""
PROBE_AGAIN_MAX_S = 600.0
MIN_EPOCH_S = 1.0
REQUESTS = "requests"
IN_FLIGHT = "in_flight"

Usage = tuple[int, int]
"""What a request saw at its start: (starts in the window, requests in flight), itself included."""


@dataclass(frozen=True, slots=True)
class Cap:
    """The most a pool may use: its ceiling, lowered by what the upstream announces."""

    requests: int
    window_s: float
    in_flight: int


@dataclass(frozen=True, slots=True)
class LearnedLimit:
    """One pool's learned limit and the evidence behind it (times on the caller's clock)."""

    requests: int
    """Starts per window (the ceiling's window)."""
    in_flight: int
    good_requests: int = 0
    """The last level answered cleanly for a whole recovery step (0: none yet)."""
    good_in_flight: int = 0
    failed_requests: int = 0
    """A level that drew an error right after a step up from a clean one (0: none)."""
    failed_in_flight: int = 0
    failed_requests_at: float = 0.0
    failed_in_flight_at: float = 0.0
    wait_requests_s: float = PROBE_AGAIN_S
    wait_in_flight_s: float = PROBE_AGAIN_S
    changed_at: float = 0.0
    decreased_at: float = -math.inf
    advertised_requests: int = 0
    """What the upstream's headers last announced (0: nothing)."""
    advertised_in_flight: int = 0
    probe: str = REQUESTS
    """Which of the two the next step up raises."""
    reason: str = "configured"
    """Why it last changed: configured, 429, 503, timeout, headers, recovered."""
    ceiling_requests: int = 0
    """The ceiling it was learned under (for GET /api/queue)."""
    ceiling_in_flight: int = 0
    window_s: float = 0.0

    @classmethod
    def at(cls, cap: Cap, now: float) -> LearnedLimit:
        """A fresh pool: the cap itself."""
        return cls(cap.requests, cap.in_flight, changed_at=now).capped(cap)

    def capped(self, cap: Cap) -> LearnedLimit:
        """Never above the ceiling or what the upstream announced."""
        requests, in_flight = self.cap_of(cap)
        ceiling = (cap.requests, cap.in_flight, cap.window_s)
        if (
            self.requests <= requests
            and self.in_flight <= in_flight
            and (self.ceiling_requests, self.ceiling_in_flight, self.window_s) == ceiling
        ):
            return self
        return replace(
            self,
            requests=min(self.requests, requests),
            in_flight=min(self.in_flight, in_flight),
            ceiling_requests=cap.requests,
            ceiling_in_flight=cap.in_flight,
            window_s=cap.window_s,
        )

    def cap_of(self, cap: Cap) -> tuple[int, int]:
        requests = min(cap.requests, self.advertised_requests or cap.requests)
        in_flight = min(cap.in_flight, self.advertised_in_flight or cap.in_flight)
        return requests, in_flight

    def decreased(
        self,
        cap: Cap,
        now: float,
        *,
        reason: str,
        epoch_s: float,
        usage: Usage | None = None,
        known_ok: Usage = (0, 0),
        started_ago_s: float | None = None,
    ) -> LearnedLimit | None:
        """After a 429, a 503 or a timeout; None when it says nothing new.

        Args:
            usage: what the refused request saw at its start. The dimension where it saw more
                than any clean answer (`known_ok`) is to blame (both, when both or neither).
            started_ago_s: how long ago the refused request started: one admitted before the
                last decrease says nothing new. Without it, one decrease per `epoch_s`.
        """
        if started_ago_s is not None:
            if now - started_ago_s <= self.decreased_at:
                return None
        elif now - self.decreased_at < epoch_s:
            return None
        above_good = {
            dim: bool(getattr(self, f"good_{dim}")) and self._level(dim) > self._good(dim)
            for dim in (REQUESTS, IN_FLIGHT)
        }
        if any(above_good.values()):
            # A step above a level known to be clean drew the error: go back, and remember.
            changes: dict[str, float] = {}
            for dim, stepped in above_good.items():
                if stepped:
                    changes |= self._failed_probe(dim, now)
            new = replace(self, **changes)  # type: ignore[arg-type]
        else:
            new = self._lowered(now, usage, known_ok)
        return replace(new, decreased_at=now, changed_at=now, reason=reason).capped(cap)

    def _lowered(self, now: float, usage: Usage | None, known_ok: Usage) -> LearnedLimit:
        """Halve the dimensions to blame, and keep them below what the refused request saw
        (remembered as a level that failed); without usage, halve both."""
        changes: dict[str, float] = {"good_requests": 0, "good_in_flight": 0}
        for dim, seen in _to_blame(usage, known_ok).items():
            halved = max(1, math.ceil(self._level(dim) * DECREASE_FACTOR))
            if seen:
                changes[dim] = min(halved, max(1, seen - 1))
                changes |= {f"failed_{dim}": seen, f"failed_{dim}_at": now}
                changes[f"wait_{dim}_s"] = PROBE_AGAIN_S
            else:
                changes[dim] = halved
        return replace(self, **changes)  # type: ignore[arg-type]

    def _failed_probe(self, dim: str, now: float) -> dict[str, float]:
        level, failed_at = self._level(dim), getattr(self, f"failed_{dim}_at")
        wait_s = getattr(self, f"wait_{dim}_s")
        tried_again = getattr(self, f"failed_{dim}") == level and failed_at
        wait_s = min(PROBE_AGAIN_MAX_S, wait_s * 2) if tried_again else PROBE_AGAIN_S
        return {
            dim: self._good(dim),
            f"failed_{dim}": level,
            f"failed_{dim}_at": now,
            f"wait_{dim}_s": wait_s,
        }

    def increased(self, cap: Cap, now: float) -> LearnedLimit | None:
        """One step up after RECOVER_EVERY_S of clean answers; None when not due or at the cap."""
        if now - self.changed_at < RECOVER_EVERY_S:
            return None
        good = replace(self, good_requests=self.requests, good_in_flight=self.in_flight)
        caps = dict(zip((REQUESTS, IN_FLIGHT), self.cap_of(cap), strict=True))
        order = (self.probe, IN_FLIGHT if self.probe == REQUESTS else REQUESTS)
        for dim in order:
            level = self._level(dim)
            step = max(1, caps[dim] // 10)
            target = min(caps[dim], level + step)
            failed = getattr(self, f"failed_{dim}")
            waited = now - getattr(self, f"failed_{dim}_at") >= getattr(self, f"wait_{dim}_s")
            if target <= level or (failed and target >= failed and not waited):
                continue
            other = IN_FLIGHT if dim == REQUESTS else REQUESTS
            stepped = {dim: target}
            return replace(good, probe=other, changed_at=now, reason="recovered", **stepped)
        return None if good == self else good

    def announced(self, cap: Cap, now: float, requests: int, in_flight: int) -> LearnedLimit | None:
        """The upstream's headers said `requests` per window and `in_flight` (0: not said).

        A new announcement sets the learned limit to it; the same one again only caps it.
        """
        requests = requests or self.advertised_requests
        in_flight = in_flight or self.advertised_in_flight
        if (requests, in_flight) == (self.advertised_requests, self.advertised_in_flight):
            return None
        new = replace(
            self,
            advertised_requests=requests,
            advertised_in_flight=in_flight,
            requests=requests or self.requests,
            in_flight=in_flight or self.in_flight,
            good_requests=0,
            good_in_flight=0,
            failed_requests=0,
            failed_in_flight=0,
            changed_at=now,
            reason="headers",
        )
        return replace(new, requests=min(new.cap_of(cap)[0], new.requests)).capped(cap)

    def _level(self, dim: str) -> int:
        return int(getattr(self, dim))

    def _good(self, dim: str) -> int:
        return int(getattr(self, f"good_{dim}"))

    def to_fields(self) -> dict[str, str]:
        """The Redis hash fields (every value a string)."""
        return {name: str(value) for name, value in asdict(self).items()}

    @classmethod
    def from_fields(cls, raw: Mapping[str, str]) -> LearnedLimit | None:
        """From Redis hash fields; None when the learned part is absent or unreadable."""
        values: dict[str, object] = {}
        for spec in fields(cls):
            if spec.name not in raw:
                continue
            text = raw[spec.name]
            try:
                values[spec.name] = _parse(spec.name, text)
            except ValueError:
                return None
        if REQUESTS not in values or IN_FLIGHT not in values:
            return None
        return cls(**values)  # type: ignore[arg-type]


def _to_blame(usage: Usage | None, known_ok: Usage) -> dict[str, int]:
    """Dimension -> what the refused request saw there (0: not known).

    A count of 1 never fails, and a count a clean answer also saw is fine: what is left is to
    blame. If nothing is left (the upstream's limit itself moved), both are.
    """
    if usage is None:
        return {REQUESTS: 0, IN_FLIGHT: 0}
    seen = dict(zip((REQUESTS, IN_FLIGHT), usage, strict=True))
    ok = dict(zip((REQUESTS, IN_FLIGHT), known_ok, strict=True))
    blamed = {dim: n for dim, n in seen.items() if n >= 2 and n > ok[dim]}
    return blamed or {REQUESTS: 0, IN_FLIGHT: 0}


_INTS = {
    "ceiling_requests",
    "ceiling_in_flight",
    "requests",
    "in_flight",
    "good_requests",
    "good_in_flight",
    "failed_requests",
    "failed_in_flight",
    "advertised_requests",
    "advertised_in_flight",
}
_TEXTS = {"probe", "reason"}


def _parse(name: str, text: str) -> object:
    if name in _INTS:
        return int(text)
    if name in _TEXTS:
        return text
    return float(text)


Change = Callable[[LearnedLimit | None, float], LearnedLimit | None]
"""(current state or None, now) -> the new state, or None for no change."""


class LearnedLimits(Protocol):
    """Where pools keep their learned limits: in this process, or in Redis for the fleet."""

    async def learned(self, pool: str) -> LearnedLimit | None:
        """The pool's learned limit, or None while it has none (it is at its ceiling)."""
        ...

    async def update_learned(self, pool: str, change: Change) -> LearnedLimit | None:
        """Apply `change` atomically with the store's clock; the state after it."""
        ...


class MemoryLearnedLimits:
    """LearnedLimits in a dict, on this process's clock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.pools: dict[str, LearnedLimit] = {}

    async def learned(self, pool: str) -> LearnedLimit | None:
        return self.pools.get(pool)

    async def update_learned(self, pool: str, change: Change) -> LearnedLimit | None:
        new = change(self.pools.get(pool), self.clock())
        if new is not None:
            self.pools[pool] = new
        return self.pools.get(pool)


# -- upstream headers --------------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min)?\s*$")


def announced_limits(headers: Mapping[str, str], window_s: float) -> tuple[int, int]:
    """(requests per `window_s`, in flight) from x-rate-limit-* / x-concurrency-limit; 0: unsaid."""
    per_interval = _header_int(headers.get("x-rate-limit-limit"))
    interval_s = _header_interval(headers.get("x-rate-limit-interval")) or window_s
    requests = max(1, math.floor(per_interval * window_s / interval_s)) if per_interval else 0
    return requests, _header_int(headers.get("x-concurrency-limit")) or 0


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

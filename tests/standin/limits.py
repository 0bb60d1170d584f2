"""Limits and faults of the stand-in: the Policy, exact per-pool counting, injected faults."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

Clock = Callable[[], float]

# Endpoint kinds: what a request asked for. Faults and lookup counts are kept per kind.
ENDPOINT_KINDS = (
    "crossref-single",
    "crossref-list",
    "datacite-single",
    "datacite-list",
    "doi-ra",
    "doi-cn",
)
CROSSREF_POOLS = ("polite-single", "polite-array", "public-single", "public-array")
# Fault targets: an endpoint kind, "datacite" for both DataCite kinds, or "*" for every kind.
FAULT_POOLS: dict[str, frozenset[str]] = {
    **{kind: frozenset({kind}) for kind in ENDPOINT_KINDS},
    "datacite": frozenset({"datacite-single", "datacite-list"}),
    "*": frozenset(ENDPOINT_KINDS),
}


@dataclass(frozen=True, slots=True)
class PoolLimit:
    """At most `requests` arrivals in any sliding `window_s`, `in_flight` at once (None: no cap)."""

    requests: int
    window_s: float = 1.0
    in_flight: int | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """How the stand-in behaves: published limits by default, no latency, no Retry-After."""

    limits_enabled: bool = True
    polite_single: PoolLimit = PoolLimit(10, 1.0, 3)
    polite_array: PoolLimit = PoolLimit(3, 1.0, 3)
    public_single: PoolLimit = PoolLimit(5, 1.0, 1)
    public_array: PoolLimit = PoolLimit(1, 1.0, 1)
    datacite_identified: PoolLimit = PoolLimit(1000, 300.0)
    datacite_anonymous: PoolLimit = PoolLimit(500, 300.0)
    doi_org: PoolLimit = PoolLimit(10, 1.0, 5)  # undocumented upstream
    retry_after: bool = False  # add "Retry-After: 1" to every 429
    html_429: bool = False  # the historical HTML body instead of an empty one
    limit_headers: bool = True  # send x-rate-limit-* / x-concurrency-limit (Crossref pools)
    advertised: Mapping[str, PoolLimit] = field(default_factory=dict)
    """What the headers announce per Crossref pool, when not the limit enforced (a real limit
    below the advertised one)."""
    hold_abandoned: bool = False
    """A request whose client went away keeps counting in flight until its answer would have
    been sent, as a real upstream keeps serving it."""
    latency_base_s: float = 0.0
    latency_per_item_s: float = 0.0
    latency_jitter_s: float = 0.0
    hang_s: float = 60.0  # how long a "timeout" fault holds the request (ends early at shutdown)
    seed: int = 0  # list shuffling and latency jitter
    crossref_max_line_bytes: int = 4096
    datacite_max_line_bytes: int = 8192
    doi_max_line_bytes: int = 8192

    def crossref_limit(self, pool: str) -> PoolLimit:
        """The limit of a Crossref pool by its x-api-pool name ("polite-single", ...)."""
        return {
            "polite-single": self.polite_single,
            "polite-array": self.polite_array,
            "public-single": self.public_single,
            "public-array": self.public_array,
        }[pool]

    def without_limits(self) -> Policy:
        return replace(self, limits_enabled=False)

    def announced(self, pool: str) -> PoolLimit:
        """The limit the headers of a Crossref pool announce."""
        return self.advertised.get(pool, self.crossref_limit(pool))

    def changed(self, spec: Mapping[str, Any]) -> Policy:
        """This policy with the changes of a JSON object (POST /_standin/policy).

        `limits` and `advertise` map pool names (polite-array, datacite, doi.org, ...) to
        [requests, window_s, in_flight or null]; other keys name Policy fields.

        Raises:
            ValueError: an unknown key or pool, or a malformed limit.
        """
        changes: dict[str, Any] = {}
        advertised = dict(self.advertised)
        for key, value in spec.items():
            if key == "limits":
                for pool, limit in value.items():
                    changes[_limit_field(pool)] = limit_of(limit)
            elif key == "advertise":
                for pool, limit in value.items():
                    _limit_field(pool)
                    if limit is None:
                        advertised.pop(pool, None)
                    else:
                        advertised[pool] = limit_of(limit)
            elif key in _SCALAR_FIELDS:
                changes[key] = type(getattr(self, key))(value)
            else:
                raise ValueError(f"unknown policy key {key!r}")
        return replace(self, advertised=advertised, **changes)


_POOL_FIELDS = {
    "polite-single": "polite_single",
    "polite-array": "polite_array",
    "public-single": "public_single",
    "public-array": "public_array",
    "datacite": "datacite_identified",
    "datacite-anonymous": "datacite_anonymous",
    "doi.org": "doi_org",
}
_SCALAR_FIELDS = {
    f.name for f in fields(Policy) if f.type in ("bool", "float", "int") and f.name != "seed"
}


def _limit_field(pool: str) -> str:
    if pool not in _POOL_FIELDS:
        raise ValueError(f"unknown pool {pool!r}; expected one of {sorted(_POOL_FIELDS)}")
    return _POOL_FIELDS[pool]


def limit_of(value: Any) -> PoolLimit:
    """A PoolLimit from "N/W/C", "N/W", or a [N, W, C] list (C null or absent: no cap)."""
    parts = value.split("/") if isinstance(value, str) else list(value)
    if not 2 <= len(parts) <= 3:
        raise ValueError(f"a limit is requests/window_s[/in_flight], not {value!r}")
    in_flight = parts[2] if len(parts) == 3 else None
    return PoolLimit(
        int(parts[0]),
        float(parts[1]),
        None if in_flight in (None, "", "none") else int(in_flight),
    )


class SlidingWindow:
    """Arrival times in the window (t - width, t]."""

    def __init__(self, width_s: float) -> None:
        self.width_s = width_s
        self._arrivals: deque[float] = deque()

    def arrive(self, now: float) -> int:
        """Record an arrival at `now`; the number of arrivals in the window, this one included."""
        self._arrivals.append(now)
        while self._arrivals[0] <= now - self.width_s:
            self._arrivals.popleft()
        return len(self._arrivals)

    def clear(self) -> None:
        self._arrivals.clear()


@dataclass(frozen=True, slots=True)
class Admission:
    """What the limiter saw when a request arrived, and whether it may proceed."""

    allowed: bool
    in_flight: int  # requests of the pool being handled, this one included
    per_second: int  # arrivals in (t - 1 s, t], this one included
    per_window: int  # arrivals in the pool's own window (300 s for DataCite)
    reason: str | None = None  # "rate" or "concurrency" when refused


class PoolLimiter:
    """Counts one pool exactly: every arrival (refused ones too) and the requests in flight."""

    def __init__(self, window_s: float, clock: Clock) -> None:
        self._clock = clock
        self._second = SlidingWindow(1.0)
        self._window = SlidingWindow(window_s)
        self.in_flight = 0

    def admit(self, limit: PoolLimit | None) -> Admission:
        """Count an arrival; refuse it when over `limit` (None: count only). Always release()."""
        now = self._clock()
        self.in_flight += 1
        per_second = self._second.arrive(now)
        per_window = per_second if self._window.width_s == 1.0 else self._window.arrive(now)
        reason = None
        if limit is not None and per_window > limit.requests:
            reason = "rate"
        elif limit is not None and limit.in_flight is not None and self.in_flight > limit.in_flight:
            reason = "concurrency"
        return Admission(reason is None, self.in_flight, per_second, per_window, reason)

    def release(self) -> None:
        self.in_flight -= 1

    def clear(self) -> None:
        """Forget past arrivals (requests in flight stay counted until they end)."""
        self._second.clear()
        self._window.clear()


class FaultKind(StrEnum):
    TOO_MANY_REQUESTS = "429"
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    TIMEOUT = "timeout"  # hold the request for Policy.hang_s or until the client gives up
    GARBAGE = "garbage"  # 200 with a body that is not JSON
    RESET = "reset"  # close the connection without an answer


@dataclass(slots=True)
class _Rule:
    pool: str
    kind: FaultKind
    remaining: int


@dataclass(slots=True)
class Faults:
    """Queued faults: each rule fails the next `count` requests of its pool, oldest rule first."""

    _rules: list[_Rule] = field(default_factory=list)

    def add(self, pool: str, kind: FaultKind | str, count: int = 1) -> None:
        """Make the next `count` requests of `pool` fail with `kind`.

        Raises:
            ValueError: unknown pool or kind, or a count below 1.
        """
        if pool not in FAULT_POOLS:
            raise ValueError(f"unknown fault pool {pool!r}; expected one of {sorted(FAULT_POOLS)}")
        if count < 1:
            raise ValueError(f"fault count must be at least 1, got {count}")
        self._rules.append(_Rule(pool, FaultKind(kind), count))

    def take(self, endpoint_kind: str) -> FaultKind | None:
        """The fault for this request of `endpoint_kind`, if one is queued (consumes it)."""
        for rule in self._rules:
            if endpoint_kind in FAULT_POOLS[rule.pool]:
                rule.remaining -= 1
                if rule.remaining == 0:
                    self._rules.remove(rule)
                return rule.kind
        return None

    def pending(self) -> list[dict[str, object]]:
        return [{"pool": r.pool, "kind": str(r.kind), "count": r.remaining} for r in self._rules]

    def clear(self) -> None:
        self._rules.clear()

"""SharedLimitBackend: the pools' limits kept outside this process, for a fleet of workers.

store/limits.py implements it on Redis; the registries only know this Protocol.
"""

from __future__ import annotations

from typing import Protocol

from cco_enrich.registries.adaptive import LearnedLimits
from cco_enrich.registries.pools import PoolLimit


class SharedLimitBackend(LearnedLimits, Protocol):
    """Limits kept outside this process, so that every worker together stays under them.

    The learned limit of a pool (LearnedLimits) is kept there too: `try_start` and `acquire_slot`
    obey it and answer it, so every worker follows a change at its next request.
    """

    async def try_start(self, pool: str, requests: int, window_s: float) -> tuple[float, int, int]:
        """Record a start and return 0, or how many seconds to wait before asking again; the
        pool's learned starts per window (at most `requests`); the starts in the window now."""
        ...

    async def acquire_slot(
        self, pool: str, holder: str, in_flight: int, ttl_s: float
    ) -> tuple[bool, int, int]:
        """Take one of the in-flight slots for `holder` (until `ttl_s` at the latest); the
        pool's learned in-flight limit (at most `in_flight`); the slots taken now."""
        ...

    async def refresh_slot(self, pool: str, holder: str, ttl_s: float) -> None:
        """Keep `holder`'s slot for `ttl_s` from now (a request still running, or abandoned)."""
        ...

    async def release_slot(self, pool: str, holder: str) -> None:
        """Give `holder`'s slot back."""
        ...

    async def pause(self, pool: str, seconds: float) -> None:
        """Stop every worker from starting requests in this pool for `seconds`."""
        ...

    async def register_ceiling(self, pool: str, ceiling: PoolLimit) -> None:
        """Say what the pool's configured limit is (for GET /api/queue)."""
        ...

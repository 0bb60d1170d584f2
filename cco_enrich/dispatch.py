"""Dispatcher: what every session of one worker shares, so their DOIs share upstream requests.

- one SharedBatcher per source with batches (Crossref list, DataCite `ids=`): a request carries
  the DOIs of several sessions, and each session gets its own part of the answer back;
- one for doi.org `/ra/` on prefixes: a prefix is asked once for every session (single flight),
  after the Redis prefix cache;
- one for doi.org `/ra/` on full DOIs, lingering up to GATHER_LINGER_S for company.

A worker makes one at start-up and closes it at shutdown (`enrich()` without one makes its own).
Batching stops at the worker: sessions on other workers have batchers of their own, and the
fleet-wide limits (store/limits.py) keep all of them together within each pool.

It also knows when the worker may stop cleanly (`drain`): no request in flight and no outcome
on its way to a checkpoint.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from types import TracebackType
from typing import TypeVar

from cco_enrich.batcher import SharedBatcher
from cco_enrich.doi import DOI
from cco_enrich.errors import RegistryError
from cco_enrich.registries import BatchRegistry, BatchResult, RaAnswer, Registries

log = logging.getLogger(__name__)

GATHER_LINGER_S = 1.0
"""How long DOIs waiting for a doi.org `/ra/` request on full DOIs wait for company."""
DRAIN_POLL_S = 0.02
RA_LANES = 2
LANES_WITHOUT_POOL = 4

K = TypeVar("K", bound=str)
RaResult = dict[str, RaAnswer] | RegistryError
"""doi.org's answers for a batch of prefixes or DOIs, or why it could not answer."""


class Dispatcher:
    """The batchers every session of one worker shares, and the count of outcomes on their way."""

    def __init__(self, registries: Registries, *, linger_s: float = GATHER_LINGER_S) -> None:
        self.registries = registries
        self.delivering = 0
        """Outcomes handed to sessions and not checkpointed yet (a clean stop waits for them)."""
        self.prefixes: SharedBatcher[str, RaResult] = self._ra_batcher("doi.org /ra/ prefixes")
        self.dois: SharedBatcher[str, RaResult] = self._ra_batcher(
            "doi.org /ra/ DOIs", linger_s=linger_s
        )
        self.prefixes.after_send = self.dois.poke
        self._sources: dict[BatchRegistry, SharedBatcher[DOI, BatchResult]] = {}

    def _ra_batcher(self, name: str, *, linger_s: float = 0.0) -> SharedBatcher[str, RaResult]:
        doiorg = self.registries.doiorg

        async def ask(keys: list[str]) -> RaResult:
            try:
                answers: dict[str, RaAnswer] = await doiorg.agencies(keys)
            except RegistryError as exc:
                return exc
            return answers

        return SharedBatcher(
            name,
            first_batch=lambda keys: doiorg.pack(keys)[0] if keys else [],
            send=ask,
            part=_ra_part,
            on_error=lambda _, exc: RegistryError(f"{name} failed: {exc}"),
            limiter=doiorg.limiter,
            lanes=RA_LANES,
            linger_s=linger_s,
            more_coming=self._more_coming,
        )

    def source(self, source: BatchRegistry) -> SharedBatcher[DOI, BatchResult]:
        """The batcher of a source's list requests (made at first use)."""
        batcher = self._sources.get(source)
        if batcher is None:
            limiter = self.registries.batch_pools.get(source)
            batcher = SharedBatcher(
                f"{source.name} batches",
                first_batch=lambda dois: _first_batch(source, dois),
                send=source.resolve_batch,
                part=lambda result, dois: result.part(dois),
                on_error=lambda dois, exc: BatchResult(
                    failed=dict.fromkeys(dois, f"{source.name}: {type(exc).__name__}: {exc}")
                ),
                limiter=limiter,
                lanes=limiter.ceiling.in_flight if limiter is not None else LANES_WITHOUT_POOL,
                after_send=self.dois.poke,
            )
            self._sources[source] = batcher
        return batcher

    def _more_coming(self) -> bool:
        """Whether a request now queued or in flight may still send DOIs to `/ra/`."""
        return self.prefixes.pending > 0 or any(b.pending for b in self._sources.values())

    @property
    def is_quiet(self) -> bool:
        """No request in flight and no outcome on its way to a checkpoint."""
        active = sum(limiter.active for limiter in self.registries.limiters.values())
        return active == 0 and self.delivering == 0

    async def drain(self, grace_s: float) -> bool:
        """Start no new request; wait up to `grace_s` for those in flight to be checkpointed.

        True when everything in flight landed; the worker then stops its sessions.
        """
        for limiter in self.registries.limiters.values():
            limiter.hold_starts()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_s
        quiet_polls = 0
        # Quiet twice in a row: an outcome between its request and its checkpoint is counted,
        # but a second look costs nothing.
        while quiet_polls < 2 and loop.time() < deadline:
            await asyncio.sleep(DRAIN_POLL_S)
            quiet_polls = quiet_polls + 1 if self.is_quiet else 0
        if quiet_polls < 2:
            log.warning("stopping with requests still in flight after %.1f s", grace_s)
        return quiet_polls >= 2

    async def aclose(self) -> None:
        """Stop every batcher's lanes."""
        await self.prefixes.aclose()
        await self.dois.aclose()
        for batcher in self._sources.values():
            await batcher.aclose()

    async def __aenter__(self) -> Dispatcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _first_batch(source: BatchRegistry, dois: Sequence[DOI]) -> list[DOI]:
    batches, _ = source.pack(dois)
    return batches[0] if batches else []


def _ra_part(result: RaResult, keys: list[str]) -> RaResult:
    if isinstance(result, RegistryError):
        return result
    return {key: result[key] for key in keys}

"""SessionRun: one leased run of a session's enrichment, checkpointing after every batch.

It knows the store and the cache but not how DOIs are resolved (the worker passes `enrich` in) and
not arq (the worker passes the job id), so it is tested with fakes. A Redis restart is ridden out
by the client's own retries (store.redis_settings), not here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Protocol

from cco_enrich import metrics
from cco_enrich.doi import DOI
from cco_enrich.errors import LeaseLostError, SessionNotFoundError
from cco_enrich.models import (
    JobState,
    Outcome,
    ProcessingStatus,
    Resource,
    ResourceStatus,
    StatusCounts,
    StopReason,
)
from cco_enrich.registries.limits import REQUEST_PRIORITY
from cco_enrich.resolution import DuplicateIndex, resolve_side_by_side, resource_key
from cco_enrich.store import LEASE_RECLAIMED, STORE_UNAVAILABLE_ERRORS, SessionStore

log = logging.getLogger(__name__)

OnOutcomes = Callable[[list[Outcome]], Awaitable[None]]
EnrichFunction = Callable[[Sequence[DOI], OnOutcomes], Coroutine[Any, Any, None]]

CANCEL_POLL_S = 0.5
LEASE_RENEWALS_PER_TTL = 6
MAX_PASSES = 3  # passes over a session whose saved resources Redis lost under the run


class OutcomeCacheLike(Protocol):
    async def get_many(self, dois: Sequence[DOI]) -> dict[DOI, Outcome]: ...
    async def put_many(self, outcomes: Sequence[Outcome]) -> None: ...


class SessionRun:
    """Resolve a session's pending resources under a lease; every batch is checkpointed."""

    def __init__(
        self,
        store: SessionStore,
        session_id: str,
        *,
        worker_id: str,
        job_id: str = "",
        lease_ttl_s: float = 3.0,
        cache: OutcomeCacheLike | None = None,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.worker_id = worker_id
        self.job_id = job_id
        self.lease_ttl_s = lease_ttl_s
        self.cache = cache
        self._resources: list[Resource] = []
        self._index: dict[str, int] = {}
        self._counts = StatusCounts()
        self._status = ProcessingStatus()
        self._lock = asyncio.Lock()
        self._stop_reason: StopReason | None = None
        self._passes_left = MAX_PASSES
        self._duplicates = DuplicateIndex(())

    async def execute(
        self, enrich: EnrichFunction, identifiers: EnrichFunction | None = None
    ) -> ProcessingStatus | None:
        """Run to the end; None when this job has nothing to do (stale, cancelled, leased).

        `enrich` resolves DOIs; `identifiers` the other schemes by `scheme:pid` (without it,
        those resources stay pending).
        """
        sid = self.session_id
        try:
            record = await self.store.record(sid)
            status = await self.store.status(sid)
        except SessionNotFoundError:
            log.info("session %s: gone (deleted or expired); nothing to do", sid)
            return None
        if self.job_id and record.job_id != self.job_id:
            log.info("session %s: job %s is stale (current %s)", sid, self.job_id, record.job_id)
            return None
        if not status.status.is_active:
            log.info("session %s: %s; nothing to do", sid, status.status)
            return None
        if not await self.store.acquire_lease(sid, self.worker_id, self.lease_ttl_s):
            log.info("session %s: leased by another worker; leaving it", sid)
            return None
        try:
            return await self._run_leased(enrich, identifiers, use_cache=not record.refresh)
        except LeaseLostError:  # it stalled, and another worker has gone on since
            log.warning("session %s: lease lost; another worker goes on", sid)
            return None
        except STORE_UNAVAILABLE_ERRORS:
            raise  # Redis is away: the sweeper re-queues the session once it is back
        except Exception as exc:
            # A bug, not an upstream fault (those become failed resources): say so and stop,
            # rather than crash-looping. What is saved stays; POST /enrich resumes the rest.
            log.exception("session %s: stopped by an internal error", sid)
            with contextlib.suppress(*STORE_UNAVAILABLE_ERRORS, LeaseLostError):
                current = await self.store.status(sid)
                message = (
                    f"stopped by an internal error ({type(exc).__name__}: {exc}); "
                    "POST /enrich to resume"
                )
                await self.store.set_status(
                    sid, current.failed_at("internal error", message), holder=self.worker_id
                )
            raise
        finally:
            with contextlib.suppress(*STORE_UNAVAILABLE_ERRORS):
                await asyncio.shield(self.store.release_lease(sid, self.worker_id))

    async def _run_leased(
        self, enrich: EnrichFunction, identifiers: EnrichFunction | None, *, use_cache: bool
    ) -> ProcessingStatus | None:
        sid = self.session_id
        self._resources = await self.store.resources(sid)
        pending, others = self._load_keys(with_identifiers=identifiers is not None)
        log.info(
            "→ session %s: %d DOIs and %d other identifiers to resolve (job %s)",
            sid, len(pending), len(others), self.job_id,
        )  # fmt: skip
        await self._write(self._status.running(self._counts, _to_resolve(pending, others)))
        if self.cache is not None and use_cache and pending:
            hits = await self.cache.get_many(pending)
            if hits:
                await self._apply(list(hits.values()), from_cache=True)
                pending = [d for d in pending if d not in hits]
        # Smaller sessions get the pools' free slots first (the task copies this context).
        REQUEST_PRIORITY.set(len(pending) + len(others))
        work = asyncio.create_task(
            resolve_side_by_side(enrich, identifiers, pending, others, self._apply),
            name=f"enrich:{sid}",
        )
        watcher = asyncio.create_task(self._watch(work), name=f"watch:{sid}")
        try:
            await work
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._stop_reason is None or (current is not None and current.cancelling()):
                # Shutdown (SIGTERM): leave the session queued; arq runs the job again.
                work.cancel()
                await asyncio.shield(self._interrupted())
                raise
            if self._stop_reason is StopReason.LEASE_LOST:
                log.warning("session %s: lease lost; another worker goes on", sid)
                return None
            if self._stop_reason is StopReason.DELETED:
                log.info("session %s: deleted while running; stopped", sid)
                return None
            return await self._write(self._status.cancelled(counts=self._counts))
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        if self._passes_left > 1 and await self._lost_by_redis():
            self._passes_left -= 1
            return await self._run_leased(enrich, identifiers, use_cache=use_cache)
        final = await self._write(self._status.completed(self._counts))
        log.info("← session %s: %s", sid, final.message)
        return final

    async def _lost_by_redis(self) -> int:
        """How many saved resources Redis holds as pending again: checkpoints it acknowledged
        and then lost (a failover to a replica that lagged, a crash between fsyncs)."""
        lost = (
            await self.store.count_pending(self.session_id) - self._counts[ResourceStatus.PENDING]
        )
        if lost > 0:
            log.warning(
                "session %s: Redis lost %d saved resources; resolving again", self.session_id, lost
            )
        return max(lost, 0)

    def _load_keys(self, *, with_identifiers: bool) -> tuple[list[DOI], list[DOI]]:
        """Index the resources by key; the pending ones' DOIs, and their other `scheme:pid`s."""
        self._index = {}
        pending: list[DOI] = []
        others: list[DOI] = []
        for position, resource in enumerate(self._resources):
            key = resource_key(resource)
            if key is None:
                continue
            self._index[key] = position
            if resource.status is ResourceStatus.PENDING:
                if key == resource.doi:
                    pending.append(key)
                elif with_identifiers:
                    others.append(key)
        self._counts = StatusCounts.of(self._resources)
        self._duplicates = DuplicateIndex(self._resources)
        return pending, others

    async def _watch(self, work: asyncio.Task[None]) -> None:
        """Renew the lease, poll for cancel or delete; stop the work on any of them.

        A dedicated task: the lease is renewed every `lease_ttl_s / 6`, so it outlives five
        missed renewals (a stalled event loop, a Redis blip), and if it expired anyway while
        nobody took it, the renewal takes it back instead of giving up the work.
        """
        sid = self.session_id
        loop = asyncio.get_running_loop()
        renew_every_s = self.lease_ttl_s / LEASE_RENEWALS_PER_TTL
        renewed_at = loop.time()
        while not work.done():
            await asyncio.sleep(min(CANCEL_POLL_S, renew_every_s))
            try:
                self._stop_reason = await self.store.stop_reason(sid)
                if self._stop_reason is None and loop.time() - renewed_at >= renew_every_s:
                    self._stop_reason = await self._renew(loop.time() - renewed_at)
                    renewed_at = loop.time()
            except STORE_UNAVAILABLE_ERRORS as exc:
                log.warning("session %s: Redis unreachable while renewing lease: %s", sid, exc)
                continue
            if self._stop_reason:
                work.cancel()
                return

    async def _renew(self, since_s: float) -> StopReason | None:
        """Renew the lease; LEASE_LOST when another run has the session now."""
        renewal = await self.store.renew_lease(
            self.session_id, self.worker_id, self.lease_ttl_s, job_id=self.job_id
        )
        if renewal == LEASE_RECLAIMED:
            log.warning(
                "session %s: lease had expired (%.1f s since the last renewal); took it back",
                self.session_id,
                since_s,
            )
        elif not renewal:
            log.warning(
                "session %s: lease gone to another run %.1f s after its last renewal",
                self.session_id,
                since_s,
            )
            return StopReason.LEASE_LOST
        return None

    async def _apply(self, outcomes: list[Outcome], *, from_cache: bool = False) -> None:
        """Record a batch of outcomes: update resources and counts, write one checkpoint."""
        async with self._lock:
            changed: dict[int, Resource] = {}
            for outcome in outcomes:
                position = self._index.get(outcome.doi)
                if position is None:
                    log.warning(
                        "session %s: outcome for unknown DOI %s", self.session_id, outcome.doi
                    )
                    continue
                old = self._resources[position]
                if old.status is not ResourceStatus.PENDING:
                    continue
                new = old.with_outcome(outcome)
                self._resources[position] = new
                self._counts.move(old.status, new.status)
                changed[position] = new
            if not changed:
                return
            for position, marked in self._duplicates.mark(self._resources, changed).items():
                self._resources[position] = changed[position] = marked
            self._status = self._status.running(self._counts)
            with metrics.CHECKPOINT_DURATION.time():
                await self._checkpoint(changed)
            metrics.resolved(changed.values(), from_cache=from_cache)
        if self.cache is not None and not from_cache:
            with contextlib.suppress(*STORE_UNAVAILABLE_ERRORS):
                # The cache holds DOIs' outcomes; `scheme:pid` keys are looked up afresh.
                await self.cache.put_many([o for o in outcomes if self._is_doi_key(o.doi)])

    def _is_doi_key(self, key: DOI) -> bool:
        position = self._index.get(key)
        return position is not None and self._resources[position].doi == key

    async def _checkpoint(self, changed: dict[int, Resource]) -> None:
        """Write a batch under the lease; take the lease back if it expired unclaimed."""
        try:
            await self.store.checkpoint(
                self.session_id, changed, self._status, holder=self.worker_id
            )
        except LeaseLostError:
            # It expired while this run stalled: take it back unless another took over.
            if await self._renew(since_s=0.0) is not None:
                raise
            await self.store.checkpoint(
                self.session_id, changed, self._status, holder=self.worker_id
            )

    async def _interrupted(self) -> None:
        status = self._status.moved_to(
            JobState.QUEUED,
            "interrupted",
            "the worker stopped; resuming from the checkpoint",
            counts=self._counts,
        )
        with contextlib.suppress(*STORE_UNAVAILABLE_ERRORS, LeaseLostError):
            await self._write(status)
        log.info("session %s: interrupted; will resume from its checkpoint", self.session_id)

    async def _write(self, status: ProcessingStatus) -> ProcessingStatus:
        self._status = status
        await self.store.set_status(self.session_id, status, holder=self.worker_id)
        return status


def _to_resolve(dois: list[DOI], others: list[DOI]) -> str:
    if not others:
        return f"{len(dois)} DOIs to resolve"
    return f"{len(dois)} DOIs and {len(others)} other identifiers to resolve"

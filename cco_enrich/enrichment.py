"""enrich(): resolve DOIs against every source at once, reporting outcomes batch by batch.

Knows no Redis, no arq and no source by name: it hands DOIs to BatchRegistry objects (the seam,
registries/batching.py) that `Registries` picks by agency. The route of a DOI, each step limited
only by its own pool:
1. doi.org `/ra/` on the DOI prefixes (cached ones skip it): which agency registered them;
2. the batches of every agency with a source of its own run side by side, starting as soon as
   the agency of a prefix is known;
3. doi.org `/ra/` on full DOIs, gathered into few requests, for the DOIs a batch left out, of
   other agencies, or of prefixes doi.org does not know: "DOI does not exist" is not_found at once,
   anything else gets a single lookup at its agency's source (content negotiation at doi.org
   for an agency without one).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from contextlib import suppress
from typing import Any, TypeVarTuple

from cco_enrich.doi import DOI, doi_prefix
from cco_enrich.errors import RegistryError
from cco_enrich.models import Outcome
from cco_enrich.registries import BatchRegistry, BatchResult, RaAnswer, Registries
from cco_enrich.registries.doiorg import DOES_NOT_EXIST, INVALID

log = logging.getLogger(__name__)
Ts = TypeVarTuple("Ts")

OnOutcomes = Callable[[list[Outcome]], Awaitable[None]]
GATHER_LINGER_S = 1.0
"""How long DOIs left out by a batch wait for company before their doi.org `/ra/` request."""


async def enrich(dois: Sequence[DOI], registries: Registries, on_outcomes: OnOutcomes) -> None:
    """Resolve every DOI, calling `on_outcomes` once per finished upstream batch.

    Every distinct DOI gets exactly one outcome across all calls. Registry faults become failed
    outcomes and never raise; cancelling the caller cancels every request in flight.
    """
    await _Enrichment(registries, on_outcomes).run(dois)


class _Gatherer:
    """DOIs from many producers, handed out in groups so that one request covers many of them."""

    def __init__(self, linger_s: float) -> None:
        self.linger_s = linger_s
        self.items: list[DOI] = []
        self.producers = 0
        self.urgent = False
        self._changed = asyncio.Event()

    def add(self, dois: Iterable[DOI], *, urgent: bool = False) -> None:
        """Queue DOIs; urgent ones (others wait on their answer) end the lingering at once."""
        self.items.extend(dois)
        self.urgent = self.urgent or urgent
        self._changed.set()

    def producer_done(self) -> None:
        self.producers -= 1
        self._changed.set()

    async def take(self, split: Callable[[list[DOI]], list[list[DOI]]]) -> list[DOI] | None:
        """The next group, when full or lingered or when nothing can add more; None at the end."""
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        while True:
            if self.items:
                deadline = deadline if deadline is not None else loop.time() + self.linger_s
                groups = split(self.items)
                if self.urgent or len(groups) > 1 or self.producers == 0 or loop.time() >= deadline:
                    group = groups[0]
                    self.items = self.items[len(group) :]
                    self.urgent = bool(self.items) and self.urgent
                    return group
            elif self.producers == 0:
                return None
            self._changed.clear()
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            with suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)


class _Enrichment:
    """One enrich() call: the routing state of its DOIs and the tasks that resolve them."""

    def __init__(self, registries: Registries, on_outcomes: OnOutcomes) -> None:
        self.reg = registries
        self.on_outcomes = on_outcomes
        self.pending: set[DOI] = set()
        self.missed_by: dict[DOI, BatchRegistry] = {}
        self.ra_checked: set[DOI] = set()
        self.gatherer = _Gatherer(GATHER_LINGER_S)
        self._emit_lock = asyncio.Lock()
        self._group: asyncio.TaskGroup | None = None

    async def run(self, dois: Sequence[DOI]) -> None:
        self.pending = set(dois)
        by_prefix: dict[str, list[DOI]] = {}
        for doi in dict.fromkeys(dois):
            by_prefix.setdefault(doi_prefix(doi), []).append(doi)
        cached = await self.reg.doiorg.cached_agencies(list(by_prefix))
        async with asyncio.TaskGroup() as group:
            self._group = group
            await self._route({doi: answer for p, answer in cached.items() for doi in by_prefix[p]})
            for chunk in self.reg.doiorg.pack([p for p in by_prefix if p not in cached]):
                self._produce(self._prefix_agencies, chunk, by_prefix)
            group.create_task(self._full_agencies())
        if self.pending:  # every path above ends in an outcome; this only guards that promise
            log.error("enrich: %d DOIs got no outcome; marking them failed", len(self.pending))
            await self._emit(Outcome.failed(d, "no registry answered") for d in list(self.pending))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        assert self._group is not None
        self._group.create_task(coro)

    def _produce(self, step: Callable[[*Ts], Coroutine[Any, Any, None]], *args: *Ts) -> None:
        """Start a task that may add DOIs to the gatherer; it stays open until they all end."""
        self.gatherer.producers += 1
        # The coroutine is made inside the task, so a task cancelled before it ran leaves none
        # unawaited.
        self._spawn(self._producing(step, *args))

    async def _producing(
        self, step: Callable[[*Ts], Coroutine[Any, Any, None]], *args: *Ts
    ) -> None:
        try:
            await step(*args)
        finally:
            self.gatherer.producer_done()

    async def _emit(self, outcomes: Iterable[Outcome]) -> None:
        fresh = [o for o in outcomes if o.doi in self.pending]
        for outcome in fresh:
            self.pending.discard(outcome.doi)
        if fresh:
            async with self._emit_lock:
                await self.on_outcomes(fresh)

    async def _prefix_agencies(self, prefixes: list[str], by_prefix: dict[str, list[DOI]]) -> None:
        dois = [doi for prefix in prefixes for doi in by_prefix[prefix]]
        try:
            answers = await self.reg.doiorg.agencies(prefixes)
        except RegistryError as exc:
            # The fallback source takes them all; what it lacks gets a per-DOI /ra/ lookup.
            fallback = self.reg.fallback
            log.warning(
                "doi.org /ra/ failed for %d prefixes (%s); trying %s",
                len(prefixes),
                exc,
                fallback.name,
            )
            self._batches(fallback, dois)
            return
        await self._route({doi: answers[doi_prefix(doi)] for doi in dois})

    async def _full_agencies(self) -> None:
        """Ask doi.org about single DOIs in few requests, until no producer can add more."""
        while (group := await self.gatherer.take(self.reg.doiorg.pack)) is not None:
            self.ra_checked.update(group)
            self._produce(self._doi_agencies, group)

    async def _doi_agencies(self, dois: list[DOI]) -> None:
        try:
            answers = await self.reg.doiorg.agencies(dois)
        except RegistryError as exc:
            reason = f"could not ask doi.org which registry holds this DOI: {exc}"
            await self._emit(Outcome.failed(doi, reason) for doi in dois)
            return
        await self._route(answers)

    async def _route(self, answers: dict[DOI, RaAnswer]) -> None:
        """Send each DOI where its agency answer points; emit what is settled already."""
        to_batch: dict[BatchRegistry, list[DOI]] = {}
        settled: list[Outcome] = []
        for doi, answer in answers.items():
            source = self._source_of(doi, answer)
            if source is not None and self.missed_by.get(doi) is source:
                self._spawn(self._single(source, doi))
            elif source is not None:
                to_batch.setdefault(source, []).append(doi)
            elif answer.agency is not None and doi in self.ra_checked:
                self._spawn(self._single(self.reg.negotiation(answer.agency), doi))
            elif answer.agency is None and doi in self.ra_checked:
                settled.append(Outcome.not_found(doi, _status_reason(answer.status)))
            else:
                # Only the prefix is known (another agency, or none): one /ra/ request on the DOIs
                # weeds out those that do not exist before content negotiation spends one each.
                self.gatherer.add([doi], urgent=True)
        for source, dois in to_batch.items():
            self._batches(source, dois)
        await self._emit(settled)

    def _source_of(self, doi: DOI, answer: RaAnswer) -> BatchRegistry | None:
        """The source of the agency doi.org named, when that agency has a source of its own."""
        if answer.agency is not None:
            return self.reg.source_of(answer.agency)
        if answer.status not in (DOES_NOT_EXIST, INVALID) and doi in self.ra_checked:
            # doi.org could not tell ("Unknown"): a source whose batch left it out decides.
            return self.missed_by.get(doi)
        return None

    def _batches(self, source: BatchRegistry, dois: list[DOI]) -> None:
        if not dois:
            return
        batches, singles = source.pack(dois)
        for batch in batches:
            self._produce(self._batch, source, batch)
        for doi in singles:
            self._spawn(self._single(source, doi))

    async def _batch(self, source: BatchRegistry, batch: list[DOI]) -> None:
        result = await source.resolve_batch(batch)
        for doi in result.missing:
            self.missed_by[doi] = source
            if doi in self.ra_checked:
                self._spawn(self._single(source, doi))
            else:
                self.gatherer.add([doi])
        log.debug("%s batch of %d: %d found", source.name, len(batch), len(result.works))
        await self._emit(_outcomes(result))

    async def _single(self, source: BatchRegistry, doi: DOI) -> None:
        await self._emit(_outcomes(await source.resolve(doi)))


def _outcomes(result: BatchResult) -> list[Outcome]:
    """The settled outcomes of a batch result (its missing DOIs are still on their way)."""
    return [
        *(Outcome.enriched(work) for work in result.works.values()),
        *(Outcome.not_found(doi, reason) for doi, reason in result.not_found.items()),
        *(Outcome.failed(doi, reason) for doi, reason in result.failed.items()),
    ]


def _status_reason(status: str | None) -> str:
    if status == DOES_NOT_EXIST:
        return "doi.org: this DOI does not exist"
    if status == INVALID:
        return "doi.org: this is not a valid DOI"
    return "doi.org knows no registration agency for this DOI"

"""enrich(): resolve DOIs against every registry at once, reporting outcomes batch by batch.

Knows no Redis and no arq. The route of a DOI, each step limited only by its own pool:
1. doi.org `/ra/` on the DOI prefixes (cached ones skip it): which agency registered them;
2. Crossref list batches and DataCite batches run side by side, starting as soon as the agency
   of a prefix is known;
3. doi.org `/ra/` on full DOIs, gathered into few requests, for the DOIs a batch left out, of
   other agencies, or of prefixes doi.org does not know: "DOI does not exist" is not_found at once,
   anything else gets a single lookup at its agency (content negotiation for other agencies).
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
from cco_enrich.registries import BatchResult, RaAnswer, Registries
from cco_enrich.registries.doiorg import DOES_NOT_EXIST, INVALID

log = logging.getLogger(__name__)
Ts = TypeVarTuple("Ts")

OnOutcomes = Callable[[list[Outcome]], Awaitable[None]]
GATHER_LINGER_S = 1.0
"""How long DOIs left out by a batch wait for company before their doi.org `/ra/` request."""

_CROSSREF = "crossref"
_DATACITE = "datacite"


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
        self.missed_by: dict[DOI, str] = {}
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
            self.pending.discard(DOI(outcome.doi))
        if fresh:
            async with self._emit_lock:
                await self.on_outcomes(fresh)

    async def _prefix_agencies(self, prefixes: list[str], by_prefix: dict[str, list[DOI]]) -> None:
        dois = [doi for prefix in prefixes for doi in by_prefix[prefix]]
        try:
            answers = await self.reg.doiorg.agencies(prefixes)
        except RegistryError as exc:
            # Most DOIs are Crossref's: try there; what it lacks gets a per-DOI /ra/ lookup.
            log.warning(
                "doi.org /ra/ failed for %d prefixes (%s); trying Crossref", len(prefixes), exc
            )
            self._batches(_CROSSREF, dois)
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
        await self._route({DOI(doi): answer for doi, answer in answers.items()})

    async def _route(self, answers: dict[DOI, RaAnswer]) -> None:
        """Send each DOI where its agency answer points; emit what is settled already."""
        to_batch: dict[str, list[DOI]] = {_CROSSREF: [], _DATACITE: []}
        settled: list[Outcome] = []
        for doi, answer in answers.items():
            registry = self._registry_of(doi, answer)
            if registry in to_batch and self.missed_by.get(doi) == registry:
                self._spawn(self._single(registry, doi))
            elif registry in to_batch:
                to_batch[registry].append(doi)
            elif answer.agency is not None and doi in self.ra_checked:
                self._spawn(self._content_negotiation(doi, answer.agency))
            elif answer.agency is None and doi in self.ra_checked:
                settled.append(Outcome.not_found(doi, _status_reason(answer.status)))
            else:
                # Only the prefix is known (another agency, or none): one /ra/ request on the DOIs
                # weeds out those that do not exist before content negotiation spends one each.
                self.gatherer.add([doi], urgent=True)
        for registry, dois in to_batch.items():
            self._batches(registry, dois)
        await self._emit(settled)

    def _registry_of(self, doi: DOI, answer: RaAnswer) -> str | None:
        if answer.is_agency("Crossref"):
            return _CROSSREF
        if answer.is_agency("DataCite"):
            return _DATACITE
        if answer.agency is None and answer.status not in (DOES_NOT_EXIST, INVALID):
            # doi.org could not tell ("Unknown"): a registry whose batch left it out decides.
            return self.missed_by.get(doi) if doi in self.ra_checked else None
        return None

    def _batches(self, registry: str, dois: list[DOI]) -> None:
        if not dois:
            return
        client = self.reg.crossref if registry == _CROSSREF else self.reg.datacite
        batches, singles = client.pack(dois)
        for batch in batches:
            self._produce(self._batch, registry, batch)
        for doi in singles:
            self._spawn(self._single(registry, doi))

    async def _batch(self, registry: str, batch: list[DOI]) -> None:
        client = self.reg.crossref if registry == _CROSSREF else self.reg.datacite
        result = await client.resolve_batch(batch)
        for doi in result.missing:
            self.missed_by[doi] = registry
            if doi in self.ra_checked:
                self._spawn(self._single(registry, doi))
            else:
                self.gatherer.add([doi])
        log.debug("%s batch of %d: %d found", registry, len(batch), len(result.works))
        await self._emit(_outcomes(result, registry))

    async def _single(self, registry: str, doi: DOI) -> None:
        client = self.reg.crossref if registry == _CROSSREF else self.reg.datacite
        await self._emit(_outcomes(await client.resolve(doi), registry))

    async def _content_negotiation(self, doi: DOI, agency: str) -> None:
        try:
            work = await self.reg.doiorg.lookup_csl(doi, agency)
        except RegistryError as exc:
            await self._emit([Outcome.failed(doi, str(exc))])
            return
        if work is None:
            await self._emit([Outcome.not_found(doi, f"doi.org has no {agency} record of it")])
        else:
            await self._emit([Outcome.enriched(work)])


def _outcomes(result: BatchResult, registry: str) -> list[Outcome]:
    """The settled outcomes of a batch result (its missing DOIs are still on their way)."""
    name = "Crossref" if registry == _CROSSREF else "DataCite"
    return [
        *(Outcome.enriched(work) for work in result.works.values()),
        *(Outcome.not_found(doi, f"{name} has no record of this DOI") for doi in result.not_found),
        *(Outcome.failed(doi, reason) for doi, reason in result.failed.items()),
    ]


def _status_reason(status: str | None) -> str:
    if status == DOES_NOT_EXIST:
        return "doi.org: this DOI does not exist"
    if status == INVALID:
        return "doi.org: this is not a valid DOI"
    return "doi.org knows no registration agency for this DOI"

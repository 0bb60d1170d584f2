"""enrich(): resolve one session's DOIs, reporting outcomes batch by batch.

Knows no Redis, no arq and no source by name: it hands DOIs to BatchRegistry objects (the seam,
registries/batching.py) that `Registries` picks by agency, through the worker's Dispatcher
(dispatch.py), whose batchers fill each upstream request with the DOIs of every session. The
route of a DOI, each step limited only by its own pool:
1. doi.org `/ra/` on the DOI prefixes (cached ones skip it): which agency registered them. While
   that answer is on its way, the DOIs of unknown prefixes already queue for the fallback source's
   batches (most DOIs are Crossref's); those still queued when doi.org names another agency are
   taken back and sent there;
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
from typing import Any, TypeVar

from cco_enrich.batcher import SharedBatcher, Ticket
from cco_enrich.dispatch import Dispatcher, RaResult
from cco_enrich.doi import DOI, doi_prefix
from cco_enrich.errors import RegistryError
from cco_enrich.models import Outcome
from cco_enrich.registries import BatchRegistry, BatchResult, RaAnswer, Registries
from cco_enrich.registries.doiorg import DOES_NOT_EXIST, INVALID
from cco_enrich.registries.limits import REQUEST_PRIORITY

log = logging.getLogger(__name__)

OnOutcomes = Callable[[list[Outcome]], Awaitable[None]]
K = TypeVar("K", bound=str)
R = TypeVar("R")


async def enrich(
    dois: Sequence[DOI],
    registries: Registries,
    on_outcomes: OnOutcomes,
    *,
    dispatcher: Dispatcher | None = None,
    optimistic: bool = True,
) -> None:
    """Resolve every DOI, calling `on_outcomes` once per finished upstream batch.

    Every distinct DOI gets exactly one outcome across all calls. Registry faults become failed
    outcomes and never raise; cancelling the caller stops this session's work (a request shared
    with other sessions of the `dispatcher` goes on for them).

    Args:
        dispatcher: the worker's, shared by its sessions; without one, this call has its own.
        optimistic: queue DOIs of unknown prefixes for the fallback source at once.
    """
    if dispatcher is not None:
        await _Enrichment(dispatcher, on_outcomes, optimistic=optimistic).run(dois)
        return
    async with Dispatcher(registries) as own:
        await _Enrichment(own, on_outcomes, optimistic=optimistic).run(dois)


class _Enrichment:
    """One enrich() call: the routing state of its DOIs; the dispatcher does the requests."""

    def __init__(
        self, dispatcher: Dispatcher, on_outcomes: OnOutcomes, *, optimistic: bool
    ) -> None:
        self.hub = dispatcher
        self.reg = dispatcher.registries
        self.on_outcomes = on_outcomes
        self.optimistic_allowed = optimistic
        self.priority = REQUEST_PRIORITY.get()
        self.pending: set[DOI] = set()
        self.by_prefix: dict[str, list[DOI]] = {}
        self.missed_by: dict[DOI, BatchRegistry] = {}
        self.ra_checked: set[DOI] = set()
        self.optimistic: set[DOI] = set()
        """Sent to the fallback source before doi.org named the agency of their prefix."""
        self.prefix_answers: dict[str, RaAnswer | None] = {}
        """doi.org's answer per prefix; None when it could not be asked."""
        self.parked: dict[DOI, BatchResult | None] = {}
        """Optimistic DOIs the fallback did not find before their prefix was answered: the
        single lookup's result, or None for a DOI its batch left out."""
        self._tickets: dict[SharedBatcher[Any, Any], Ticket[Any, Any]] = {}
        self._emit_lock = asyncio.Lock()
        self._done = asyncio.Event()
        self._group: asyncio.TaskGroup | None = None

    async def run(self, dois: Sequence[DOI]) -> None:
        self.pending = set(dois)
        if not self.pending:
            return
        for doi in dict.fromkeys(dois):
            self.by_prefix.setdefault(doi_prefix(doi), []).append(doi)
        cached = await self.reg.doiorg.cached_agencies(list(self.by_prefix))
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                self._route({d: answer for p, answer in cached.items() for d in self.by_prefix[p]})
                unknown = [p for p in self.by_prefix if p not in cached]
                if unknown:
                    self._submit(self.hub.prefixes, unknown, self._on_prefixes, urgent=True)
                    if self.optimistic_allowed:
                        self._send_optimistically([d for p in unknown for d in self.by_prefix[p]])
                await self._done.wait()
        finally:
            for batcher, ticket in self._tickets.items():
                batcher.cancel(ticket)

    # -- requests through the dispatcher ----------------------------------------------------

    def _submit(
        self,
        batcher: SharedBatcher[K, R],
        keys: Sequence[K],
        on_part: Callable[[list[K], R], None],
        *,
        urgent: bool = False,
    ) -> None:
        ticket = self._tickets.get(batcher)
        if ticket is None:
            ticket = self._tickets[batcher] = Ticket(self.priority, on_part)
        batcher.submit(ticket, keys, urgent=urgent)

    def _batches(self, source: BatchRegistry, dois: list[DOI]) -> None:
        if not dois:
            return
        batches, singles = source.pack(dois)
        batchable = [doi for batch in batches for doi in batch]
        if batchable:
            self._submit(self.hub.source(source), batchable, self._on_batch(source))
        for doi in singles:
            self._spawn(self._single(source, doi))

    def _send_optimistically(self, dois: list[DOI]) -> None:
        fallback = self.reg.fallback
        batches, singles = fallback.pack(dois)
        batchable = [doi for batch in batches for doi in batch]
        self.optimistic.update(dois)
        if batchable:
            self._submit(self.hub.source(fallback), batchable, self._on_batch(fallback))
        for doi in singles:
            self._spawn(self._optimistic_single(doi))

    async def _optimistic_single(self, doi: DOI) -> None:
        """A fallback lookup before doi.org answered: kept only if doi.org names the fallback."""
        fallback = self.reg.fallback
        result = await fallback.resolve(doi)
        prefix = doi_prefix(doi)
        if result.works or self._prefix_means(prefix, fallback, doi):
            self.optimistic.discard(doi)
            await self._emit(_outcomes(result))
        elif prefix not in self.prefix_answers:
            self.parked[doi] = result
        else:
            answer = self.prefix_answers[prefix]
            assert answer is not None  # else _prefix_means said the fallback decides
            self.optimistic.discard(doi)
            self.missed_by[doi] = fallback
            self._route({doi: answer})

    def _prefix_means(self, prefix: str, source: BatchRegistry, doi: DOI) -> bool:
        """doi.org answered for the prefix and named `source` (or could not be asked)."""
        if prefix not in self.prefix_answers:
            return False
        answer = self.prefix_answers[prefix]
        return answer is None or self._source_of(doi, answer) is source

    def _ask_doi_org(self, dois: list[DOI], *, urgent: bool) -> None:
        self._submit(self.hub.dois, dois, self._on_dois, urgent=urgent)

    # -- answers (called in the dispatcher's lanes: no waiting here) ------------------------

    def _on_prefixes(self, prefixes: list[str], result: RaResult) -> None:
        if isinstance(result, RegistryError):
            # The fallback source takes them all; what it lacks gets a per-DOI /ra/ lookup.
            log.warning(
                "doi.org /ra/ failed for %d prefixes (%s); trying the fallback",
                len(prefixes),
                result,
            )
            self.prefix_answers.update(dict.fromkeys(prefixes))
            dois = [d for p in prefixes for d in self.by_prefix[p] if d in self.pending]
            self._unpark([d for d in dois if d in self.parked])
            self._batches(self.reg.fallback, [d for d in dois if d not in self.optimistic])
            return
        self.prefix_answers.update(result)
        answers: dict[DOI, RaAnswer] = {}
        for prefix in prefixes:
            answer = result[prefix]
            dois = [d for d in self.by_prefix[prefix] if d in self.pending]
            answers.update(dict.fromkeys((d for d in dois if d not in self.optimistic), answer))
            self._settle_optimistic([d for d in dois if d in self.optimistic], answer, answers)
        self._route(answers)

    def _settle_optimistic(
        self, dois: list[DOI], answer: RaAnswer, answers: dict[DOI, RaAnswer]
    ) -> None:
        """DOIs already sent to the fallback, now that doi.org named their prefix's agency."""
        fallback = self.reg.fallback
        if not dois:
            return
        if self._source_of(dois[0], answer) is fallback:
            self._unpark([d for d in dois if d in self.parked])
            return
        batcher = self.hub.source(fallback)
        ticket = self._tickets.get(batcher)
        taken_back = set(batcher.withdraw(ticket, dois)) if ticket is not None else set()
        for doi in dois:
            if doi in taken_back or doi in self.parked:
                self.optimistic.discard(doi)
                self.parked.pop(doi, None)
                answers[doi] = answer
        # The rest are in a request already: their part of its answer decides.

    def _unpark(self, dois: list[DOI]) -> None:
        """The fallback decides for these after all: take what it said."""
        fallback = self.reg.fallback
        for doi in dois:
            result = self.parked.pop(doi)
            self.optimistic.discard(doi)
            if result is None:
                self._missed(fallback, doi)
            else:
                self._emit_soon(_outcomes(result))

    def _on_batch(self, source: BatchRegistry) -> Callable[[list[DOI], BatchResult], None]:
        def on_part(dois: list[DOI], result: BatchResult) -> None:
            rerouted: dict[DOI, RaAnswer] = {}
            for doi in result.missing:
                self.missed_by[doi] = source
                if doi in self.optimistic and source is self.reg.fallback:
                    prefix = doi_prefix(doi)
                    if prefix not in self.prefix_answers:
                        self.parked[doi] = None
                        continue
                    answer = self.prefix_answers[prefix]
                    self.optimistic.discard(doi)
                    if answer is not None and self._source_of(doi, answer) is not source:
                        rerouted[doi] = answer
                        continue
                self._missed(source, doi)
            log.debug("%s batch part of %d: %d found", source.name, len(dois), len(result.works))
            self._route(rerouted)
            self._emit_soon(_outcomes(result))

        return on_part

    def _on_dois(self, dois: list[str], result: RaResult) -> None:
        if isinstance(result, RegistryError):
            reason = f"could not ask doi.org which registry holds this DOI: {result}"
            self._emit_soon(Outcome.failed(DOI(doi), reason) for doi in dois)
            return
        self.ra_checked.update(DOI(doi) for doi in dois)
        self._route({DOI(doi): answer for doi, answer in result.items()})

    def _missed(self, source: BatchRegistry, doi: DOI) -> None:
        """A batch left `doi` out: ask doi.org about it, or (already asked) look it up alone."""
        self.missed_by[doi] = source
        if doi in self.ra_checked:
            self._spawn(self._single(source, doi))
        else:
            self._ask_doi_org([doi], urgent=False)

    def _route(self, answers: dict[DOI, RaAnswer]) -> None:
        """Send each DOI where its agency answer points; emit what is settled already."""
        to_batch: dict[BatchRegistry, list[DOI]] = {}
        settled: list[Outcome] = []
        to_ask: list[DOI] = []
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
                to_ask.append(doi)
        for source, dois in to_batch.items():
            self._batches(source, dois)
        if to_ask:
            self._ask_doi_org(to_ask, urgent=True)
        self._emit_soon(settled)

    def _source_of(self, doi: DOI, answer: RaAnswer) -> BatchRegistry | None:
        """The source of the agency doi.org named, when that agency has a source of its own."""
        if answer.agency is not None:
            return self.reg.source_of(answer.agency)
        if answer.status not in (DOES_NOT_EXIST, INVALID) and doi in self.ra_checked:
            # doi.org could not tell ("Unknown"): a source whose batch left it out decides.
            return self.missed_by.get(doi)
        return None

    # -- outcomes ---------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        if self._group is None or self._done.is_set():
            coro.close()  # the session is over: nothing is left to do for it
            return
        self._group.create_task(coro)

    def _emit_soon(self, outcomes: Iterable[Outcome]) -> None:
        fresh = [o for o in outcomes if o.doi in self.pending]
        if not fresh or self._group is None:
            return
        task = self._group.create_task(self._emit(fresh))
        # Counted until it ends (even cancelled before it ran): a clean stop waits for these.
        self.hub.delivering += 1
        task.add_done_callback(self._delivered)

    def _delivered(self, _: asyncio.Task[None]) -> None:
        self.hub.delivering -= 1

    async def _single(self, source: BatchRegistry, doi: DOI) -> None:
        await self._emit(_outcomes(await source.resolve(doi)))

    async def _emit(self, outcomes: Iterable[Outcome]) -> None:
        fresh = [o for o in outcomes if o.doi in self.pending]
        for outcome in fresh:
            self.pending.discard(outcome.doi)
        if not self.pending:
            self._done.set()
        if not fresh:
            return
        self.hub.delivering += 1  # from a request's end to its checkpoint, without a gap
        try:
            async with self._emit_lock:
                await self.on_outcomes(fresh)
        finally:
            self.hub.delivering -= 1


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

"""resolve_identifiers(): identifiers of every scheme but DOI, through their sources, in batches.

Keys are `scheme:pid` (`pmid:31036960`, `url:https://...`): the run indexes the resources of
those schemes by them. Each key's journey, every step batched where its upstream batches:
1. the source of its scheme (a PidSource): a work, a hand-over to another scheme (a Handle or an
   ARK to its URL, a PMCID to its PMID or DOI), or not_found / failed / skipped;
2. a hand-over goes on to the source of its new scheme (at most MAX_HOPS of them);
3. a work naming a DOI (a PubMed record, a landing page) goes down the DOI path (`resolve_dois`,
   the DOI engine): the registry's record wins and keeps the ids found on the way; when the DOI
   is not found or fails, the work found first is the outcome, its DOI recorded.
A key its source could not settle, but which learnt a DOI on the way (a PMCID whose PMID PubMed
lacks), tries the DOI path before it is given up. Knows no Redis, no arq and no source by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cco_enrich.doi import DOI, normalise_doi
from cco_enrich.errors import InvalidDOIError
from cco_enrich.models import Outcome, Resource, ResourceStatus, Work
from cco_enrich.registries.pids import Forward, PidResult, PidSource

log = logging.getLogger(__name__)

OnOutcomes = Callable[[list[Outcome]], Awaitable[None]]
ResolveDois = Callable[[Sequence[DOI], OnOutcomes], Coroutine[Any, Any, None]]

DOI_STAGE = "doi"
MAX_HOPS = 4
SOURCE_LINGER_S = 0.2
"""How long a part-filled batch waits for company while other batches may still add to it."""
DOI_LINGER_S = 1.0
DOI_GROUP_MAX = 1000
ID_FIELDS = ("pmid", "pmcid", "arxiv", "isbn")
_OWN_ID = {"pmid": "pmid", "pmcid": "pmcid", "isbn": "isbn"}
DOI_PATH_SCHEMES = frozenset({"doi", "arxiv"})
"""Schemes whose resources have their DOI from the start: they go straight to enrich()."""


def identifier_key(scheme: str, pid: str) -> DOI:
    """The run's key of a resource resolved in its own scheme: `scheme:pid`.

    Typed DOI only because the run indexes every outcome by one (see models.Outcome).
    """
    return DOI(f"{scheme}:{pid}")


def resource_key(resource: Resource) -> DOI | None:
    """The key a run resolves `resource` by: its DOI (DOIs, arXiv ids), else `scheme:pid`.

    None for what is never looked up (invalid input). A resource of another scheme keeps its
    `scheme:pid` key even once it found a DOI, so a re-run asks its own source again.
    """
    if resource.doi and (resource.scheme is None or resource.scheme in DOI_PATH_SCHEMES):
        return resource.doi
    if resource.scheme and resource.pid and resource.scheme not in DOI_PATH_SCHEMES:
        return identifier_key(resource.scheme, resource.pid)
    return None


def split_key(key: str) -> tuple[str, str]:
    """`pmid:123` -> (`pmid`, `123`); a URL keeps its own colons."""
    scheme, _, pid = key.partition(":")
    return scheme, pid


async def resolve_identifiers(
    keys: Sequence[DOI],
    sources: Mapping[str, PidSource],
    resolve_dois: ResolveDois,
    on_outcomes: OnOutcomes,
) -> None:
    """Resolve every `scheme:pid` key, calling `on_outcomes` once per finished batch.

    Every distinct key gets exactly one outcome. Upstream faults become failed outcomes and never
    raise; cancelling the caller cancels every request in flight.
    """
    await _Resolution(sources, resolve_dois, on_outcomes).run(keys)


async def resolve_side_by_side(
    resolve_dois: ResolveDois,
    resolve_others: ResolveDois | None,
    dois: Sequence[DOI],
    others: Sequence[DOI],
    on_outcomes: OnOutcomes,
) -> None:
    """The DOI engine on `dois` and this engine on the `scheme:pid` keys, at the same time."""
    if resolve_others is None or not others:
        await resolve_dois(dois, on_outcomes)
        return
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(resolve_dois(dois, on_outcomes))
            group.create_task(resolve_others(others, on_outcomes))
    except ExceptionGroup as errors:
        # Callers tell Redis being away from a bug by the error itself, not by a group of one.
        raise errors.exceptions[0] from None


@dataclass(slots=True)
class _Item:
    """One key on its way: where it is now (`scheme`, `pid`) and what it learnt."""

    key: DOI
    scheme: str
    pid: str
    ids: dict[str, str] = field(default_factory=dict)
    fallback: Work | None = None
    hops: int = 0
    doi_tried: bool = False


class _Resolution:
    """One resolve_identifiers() call: items waiting per stage, batches in flight, the outcomes."""

    def __init__(
        self, sources: Mapping[str, PidSource], resolve_dois: ResolveDois, on_outcomes: OnOutcomes
    ) -> None:
        self.sources = sources
        self.resolve_dois = resolve_dois
        self.on_outcomes = on_outcomes
        self.waiting: dict[str, dict[str, list[_Item]]] = {}
        self.in_flight: dict[str, dict[str, list[_Item]]] = {}
        self.since: dict[str, float] = {}
        self.doi_outcomes: dict[str, Outcome] = {}
        self.answers: dict[tuple[str, str], PidResult] = {}
        """Each source's answer per PID, for keys that reach the same PID later."""
        self.open: set[DOI] = set()
        self.busy = 0
        self.changed = asyncio.Event()
        self._emit_lock = asyncio.Lock()

    async def run(self, keys: Sequence[DOI]) -> None:
        settled: list[Outcome] = []
        for key in dict.fromkeys(keys):
            scheme, pid = split_key(key)
            self.open.add(key)
            own = _OWN_ID.get(scheme)
            item = _Item(key, scheme, pid, ids={own: pid} if own else {})
            if scheme in self.sources:
                self._enqueue(item)
            else:
                reason = f"no source reads {scheme or 'these'} identifiers"
                settled.append(self._settle(item, Outcome.failed(key, reason)))
        await self._emit(settled)
        async with asyncio.TaskGroup() as group:
            while self.open:
                wait_s = self._dispatch(group)
                if self.busy == 0:
                    break  # every batch was due, yet none started: only a bug gets here
                self.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), wait_s)
        if self.open:
            log.error("resolve_identifiers: %d keys got no outcome; failing them", len(self.open))
            await self._emit(Outcome.failed(k, "no source answered") for k in list(self.open))

    # -- batches --------------------------------------------------------------------------------

    def _dispatch(self, group: asyncio.TaskGroup) -> float | None:
        """Start every full batch, and part-filled ones that waited long enough or can't grow."""
        now = asyncio.get_running_loop().time()
        idle = self.busy == 0
        wait_s: float | None = None
        for stage, waiting in self.waiting.items():
            if not waiting:
                continue
            batches = self._pack(stage, list(waiting))
            deadline = self.since[stage] + (DOI_LINGER_S if stage == DOI_STAGE else SOURCE_LINGER_S)
            due = idle or now >= deadline
            for pids in batches if due else batches[:-1]:
                flying = self.in_flight.setdefault(stage, {})
                for pid in pids:
                    flying.setdefault(pid, []).extend(waiting.pop(pid, []))
                self.busy += 1
                group.create_task(self._batch(stage, pids))
            if waiting:
                left_s = max(0.0, deadline - now)
                wait_s = left_s if wait_s is None else min(wait_s, left_s)
        return wait_s

    def _pack(self, stage: str, pids: list[str]) -> list[list[str]]:
        if stage == DOI_STAGE:
            return [pids[i : i + DOI_GROUP_MAX] for i in range(0, len(pids), DOI_GROUP_MAX)]
        return self.sources[stage].pack(pids)

    async def _batch(self, stage: str, pids: list[str]) -> None:
        try:
            if stage == DOI_STAGE:
                await self._doi_batch(pids)
            else:
                await self._emit(await self._source_batch(stage, pids))
        finally:
            self.busy -= 1
            self.changed.set()

    async def _source_batch(self, stage: str, pids: list[str]) -> list[Outcome]:
        source = self.sources[stage]
        try:
            result = await source.resolve_batch(pids)
        except Exception as exc:
            # A source's bug, or a page our parsers choke on: fail these keys, not the session.
            log.exception("%s: a batch of %d raised", source.name, len(pids))
            result = PidResult.all_failed(pids, f"internal error ({type(exc).__name__}: {exc})")
        log.debug("%s batch of %d: %d found", source.name, len(pids), len(result.works))
        outcomes: list[Outcome] = []
        for pid in pids:
            self.answers[(stage, pid)] = result
            for item in self.in_flight[stage].pop(pid, []):
                outcomes.extend(self._after_source(item, result, source.name))
        return outcomes

    async def _doi_batch(self, dois: list[str]) -> None:
        async def on_doi_outcomes(outcomes: list[Outcome]) -> None:
            settled: list[Outcome] = []
            for outcome in outcomes:
                self.doi_outcomes[outcome.doi] = outcome
                for item in self.in_flight[DOI_STAGE].pop(outcome.doi, []):
                    settled.extend(self._after_doi(item, outcome))
            await self._emit(settled)

        await self.resolve_dois([DOI(d) for d in dois], on_doi_outcomes)
        left = [item for d in dois for item in self.in_flight[DOI_STAGE].pop(d, [])]
        failed = Outcome.failed(DOI("?"), "no registry answered for its DOI")
        await self._emit([o for item in left for o in self._after_doi(item, failed)])

    # -- steps ----------------------------------------------------------------------------------

    def _after_source(self, item: _Item, result: PidResult, source: str) -> list[Outcome]:
        pid = item.pid
        if pid in result.works:
            return self._found(item, result.works[pid])
        if pid in result.forwards:
            return self._forward(item, result.forwards[pid])
        for status, reasons in (
            (ResourceStatus.NOT_FOUND, result.not_found),
            (ResourceStatus.FAILED, result.failed),
            (ResourceStatus.SKIPPED, result.skipped),
        ):
            if pid in reasons:
                return self._give_up(item, status, reasons[pid])
        return self._give_up(item, ResourceStatus.FAILED, f"{source} gave no answer for it")

    def _found(self, item: _Item, work: Work) -> list[Outcome]:
        work = _with_ids(work, item.ids)
        if work.doi is not None and not item.doi_tried:
            item.fallback = work
            return self._to_doi(item, work.doi)
        return [self._settle(item, Outcome.enriched(work, key=item.key))]

    def _forward(self, item: _Item, forward: Forward) -> list[Outcome]:
        item.hops += 1
        for name, value in forward.ids.items():
            item.ids.setdefault(name, value)
        if item.hops > MAX_HOPS:
            reason = f"handed over {item.hops} times (last to {forward.scheme} {forward.pid})"
            return [self._settle(item, Outcome.failed(item.key, reason))]
        if forward.scheme == DOI_STAGE:
            doi = _doi(forward.pid)
            if doi is None:
                return self._give_up(item, ResourceStatus.NOT_FOUND, f"{forward.pid} is no DOI")
            return self._to_doi(item, doi)
        if forward.scheme not in self.sources:
            reason = f"it leads to {forward.scheme} {forward.pid}, which no source reads"
            return [self._settle(item, Outcome.failed(item.key, reason))]
        item.scheme, item.pid = forward.scheme, forward.pid
        return self._enqueue(item)

    def _give_up(self, item: _Item, status: ResourceStatus, reason: str) -> list[Outcome]:
        doi = _doi(item.ids.get("doi"))
        if doi is not None and not item.doi_tried and status is not ResourceStatus.SKIPPED:
            return self._to_doi(item, doi)
        return [self._settle(item, Outcome(item.key, status, error=reason))]

    def _to_doi(self, item: _Item, doi: DOI) -> list[Outcome]:
        item.doi_tried = True
        item.ids["doi"] = doi
        known = self.doi_outcomes.get(doi)
        if known is not None:
            return self._after_doi(item, known)
        item.scheme, item.pid = DOI_STAGE, doi
        return self._enqueue(item)

    def _after_doi(self, item: _Item, outcome: Outcome) -> list[Outcome]:
        if outcome.status is ResourceStatus.ENRICHED and outcome.work is not None:
            work = _with_ids(outcome.work, item.ids, item.fallback)
            return [self._settle(item, Outcome.enriched(work, key=item.key))]
        if item.fallback is not None:
            return [self._settle(item, Outcome.enriched(item.fallback, key=item.key))]
        reason = f"its DOI {item.ids.get('doi')}: {outcome.error or outcome.status.value}"
        return [self._settle(item, Outcome(item.key, outcome.status, error=reason))]

    # -- bookkeeping ----------------------------------------------------------------------------

    def _enqueue(self, item: _Item) -> list[Outcome]:
        answer = self.answers.get((item.scheme, item.pid))
        if answer is not None:  # asked already: the same answer, no second request
            return self._after_source(item, answer, self.sources[item.scheme].name)
        flying = self.in_flight.get(item.scheme, {})
        if item.pid in flying:  # asked already: it shares that answer
            flying[item.pid].append(item)
            return []
        waiting = self.waiting.setdefault(item.scheme, {})
        if not waiting:
            self.since[item.scheme] = asyncio.get_running_loop().time()
        waiting.setdefault(item.pid, []).append(item)
        self.changed.set()
        return []

    def _settle(self, item: _Item, outcome: Outcome) -> Outcome:
        self.open.discard(item.key)
        self.changed.set()
        return outcome

    async def _emit(self, outcomes: Iterable[Outcome]) -> None:
        fresh = list(outcomes)
        if fresh:
            async with self._emit_lock:
                await self.on_outcomes(fresh)


def _with_ids(work: Work, ids: Mapping[str, str], fallback: Work | None = None) -> Work:
    """`work` with the ids found on the way filling its gaps, and the fallback's relations."""
    update: dict[str, Any] = {}
    for name in ID_FIELDS:
        if getattr(work, name) is None:
            value = ids.get(name) or (getattr(fallback, name) if fallback is not None else None)
            if value:
                update[name] = value
    if work.doi is None and (doi := _doi(ids.get("doi"))) is not None:
        update["doi"] = doi
    if fallback is not None:
        extra = tuple(r for r in fallback.relations if r not in work.relations)
        if extra:
            update["relations"] = (*work.relations, *extra)
    return work.model_copy(update=update) if update else work


def _doi(value: str | None) -> DOI | None:
    if not value:
        return None
    try:
        return normalise_doi(value)
    except InvalidDOIError:
        return None

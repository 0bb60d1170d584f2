"""The seam between the engine and a source: BatchRegistry, BatchResult, and the batching policy.

A source packs DOIs into batches that each fit one request (`split_into_batches`, `pack_terms`)
and resolves a batch without raising (`lookup_splitting` halves a rejected batch, `lookup_single`
turns a fault into a failed entry). The transport, `_http.get_json`, sends one request only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from cco_enrich.doi import DOI
from cco_enrich.errors import BatchRejectedError, RegistryError
from cco_enrich.models import Work

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(slots=True)
class BatchResult:
    """What one batch of DOIs came to; every DOI of the batch is in exactly one of the four."""

    works: dict[DOI, Work] = field(default_factory=dict)
    missing: list[DOI] = field(default_factory=list)
    """Absent from a list answer: the registry may still know them (ask doi.org, then singly)."""
    not_found: dict[DOI, str] = field(default_factory=dict)
    """A single lookup found nothing: DOI -> the reason recorded on its outcome."""
    failed: dict[DOI, str] = field(default_factory=dict)
    """Gave up (retries spent, or an answer we cannot use): DOI -> the reason."""

    def part(self, dois: Sequence[DOI]) -> BatchResult:
        """What this result says about `dois` only (one session's share of a shared batch)."""
        wanted = set(dois)
        return BatchResult(
            works={d: w for d, w in self.works.items() if d in wanted},
            missing=[d for d in self.missing if d in wanted],
            not_found={d: r for d, r in self.not_found.items() if d in wanted},
            failed={d: r for d, r in self.failed.items() if d in wanted},
        )

    def merge(self, other: BatchResult) -> None:
        self.works.update(other.works)
        self.missing.extend(other.missing)
        self.not_found.update(other.not_found)
        self.failed.update(other.failed)


class BatchRegistry(Protocol):
    """A metadata source the engine sends DOIs to: the one seam between them.

    `pack` may put every DOI in the singles (a source without batches); `resolve_batch` and
    `resolve` never raise for a registry fault: it becomes a failed entry of the result. The
    engine tells sources apart by identity (one object per source, hashable: not an `eq=True`
    dataclass), and lists them in build.py.
    """

    name: str
    """How logs name it; the `registry` of what it finds is set by its parser."""

    def pack(self, dois: Sequence[DOI]) -> tuple[list[list[DOI]], list[DOI]]:
        """Batches that each fit one request, and the DOIs that need a single lookup."""
        ...

    async def resolve_batch(self, dois: Sequence[DOI]) -> BatchResult:
        """One batch from `pack`; DOIs the answer leaves out are `missing`."""
        ...

    async def resolve(self, doi: DOI) -> BatchResult:
        """One DOI on its own; a DOI the source does not know is `not_found`."""
        ...


def pack_terms(items: Sequence[T], encode: Callable[[T], str], *, room: int) -> list[list[T]]:
    """Greedy groups of `items` whose encoded terms, joined by 1-byte separators, fit in `room`.

    An item too long even on its own still gets a group of its own; callers route it elsewhere.
    """
    groups: list[list[T]] = []
    current: list[T] = []
    used = 0
    for item in items:
        size = len(encode(item)) + (1 if current else 0)
        if current and used + size > room:
            groups.append(current)
            current, used, size = [], 0, size - 1
        current.append(item)
        used += size
    if current:
        groups.append(current)
    return groups


def split_into_batches(
    dois: Sequence[DOI],
    encode: Callable[[DOI], str],
    *,
    room: int,
    max_size: int,
    can_batch: Callable[[DOI], bool],
) -> tuple[list[list[DOI]], list[DOI]]:
    """Batches whose encoded terms fit in `room` (at most `max_size` DOIs each), and the DOIs
    that must be looked up one at a time (not batchable, or too long for any request line)."""
    batchable: list[DOI] = []
    singles: list[DOI] = []
    for doi in dois:
        fits = can_batch(doi) and len(encode(doi)) <= room
        (batchable if fits else singles).append(doi)
    batches = [
        batch[i : i + max_size]
        for batch in pack_terms(batchable, encode, room=room)
        for i in range(0, len(batch), max_size)
    ]
    return batches, singles


async def lookup_single(
    doi: DOI, lookup: Callable[[DOI], Awaitable[Work | None]], *, not_found: str
) -> BatchResult:
    """One DOI looked up on its own, every fault turned into a failed entry.

    Args:
        not_found: the reason recorded when `lookup` answers None.
    """
    try:
        work = await lookup(doi)
    except RegistryError as exc:
        return BatchResult(failed={doi: str(exc)})
    if work is None:
        return BatchResult(not_found={doi: not_found})
    return BatchResult(works={doi: work})


async def lookup_splitting(
    dois: Sequence[DOI],
    lookup_batch: Callable[[Sequence[DOI]], Awaitable[dict[DOI, Work]]],
    lookup: Callable[[DOI], Awaitable[Work | None]],
    *,
    not_found: str,
) -> BatchResult:
    """A batch lookup that splits a rejected batch (400/414) in halves until it passes.

    A rejected single DOI is looked up on its own (`not_found` is the reason when it is unknown).
    Faults become failed entries; DOIs absent from the answer are missing.
    """
    try:
        works = await lookup_batch(dois)
    except BatchRejectedError:
        if len(dois) == 1:
            return await lookup_single(dois[0], lookup, not_found=not_found)
        middle = len(dois) // 2
        log.info("batch of %d rejected: splitting it in halves", len(dois))
        async with asyncio.TaskGroup() as group:
            halves = [
                group.create_task(lookup_splitting(part, lookup_batch, lookup, not_found=not_found))
                for part in (dois[:middle], dois[middle:])
            ]
        result = BatchResult()
        for half in halves:
            result.merge(half.result())
        return result
    except RegistryError as exc:
        return BatchResult(failed=dict.fromkeys(dois, str(exc)))
    return BatchResult(works=works, missing=[doi for doi in dois if doi not in works])


def index_by_doi(dois: Sequence[DOI]) -> dict[str, DOI]:
    """Our DOIs keyed by their lower-cased spelling: upstream records differ in case and order."""
    return {doi.lower(): doi for doi in dois}

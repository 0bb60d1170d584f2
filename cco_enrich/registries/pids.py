"""The seam for sources keyed by an identifier of their own scheme: PidSource and PidResult.

The DOI seam (batching.py) routes by registration agency; these sources serve one scheme each
(`pmid`, `pmcid`, `isbn`, `handle`, `igsn`, `ark`, `url`) and are keyed by the normalised PID
of that scheme (a resource's `pid`). A source may settle a PID (`works`, `not_found`, `failed`,
`skipped`) or hand it on under another scheme (`forwards`: a Handle to the URL it points at, a
PMCID to its PMID); the identifier engine (cco_enrich/resolution.py) follows the hand-overs and
sends every work that names a DOI down the DOI path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cco_enrich.models import Work


@dataclass(frozen=True, slots=True)
class Forward:
    """Resolve this PID as `pid` of `scheme` instead, carrying the ids found on the way.

    `ids` holds what the hand-over learnt (`doi`, `pmid`, `pmcid`): they end on the resource.
    """

    scheme: str
    pid: str
    ids: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class PidResult:
    """What one batch of PIDs came to; every PID of the batch is in exactly one place."""

    works: dict[str, Work] = field(default_factory=dict)
    """Found. A work naming a DOI goes on to the DOI path; its own metadata is the fallback."""
    forwards: dict[str, Forward] = field(default_factory=dict)
    """Known, but its metadata is elsewhere (a Handle's URL, a PMCID's PMID or DOI)."""
    not_found: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    """Gave up (retries spent, an answer we cannot use): a later /retry asks again."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Will not be fetched: a refused address, a body that is not HTML."""

    def merge(self, other: PidResult) -> None:
        self.works.update(other.works)
        self.forwards.update(other.forwards)
        self.not_found.update(other.not_found)
        self.failed.update(other.failed)
        self.skipped.update(other.skipped)

    @classmethod
    def all_failed(cls, pids: Sequence[str], reason: str) -> PidResult:
        return cls(failed=dict.fromkeys(pids, reason))


class PidSource(Protocol):
    """A metadata source for one identifier scheme: the seam between it and the engine.

    `pack` cuts PIDs into batches that each fit one request (one PID a batch for a source
    without batches); `resolve_batch` never raises for an upstream fault: it becomes a failed
    entry.
    """

    name: str
    """How logs name it."""
    scheme: str
    """The scheme whose PIDs it takes (`pmid`, `isbn`, `url`, ...)."""

    def pack(self, pids: Sequence[str]) -> list[list[str]]:
        """Batches that each fit one request."""
        ...

    async def resolve_batch(self, pids: Sequence[str]) -> PidResult:
        """One batch from `pack`."""
        ...


def one_a_batch(pids: Sequence[str]) -> list[list[str]]:
    """`pack` for a source without batches: every distinct PID alone."""
    return [[pid] for pid in dict.fromkeys(pids)]

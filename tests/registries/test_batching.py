"""Batching policy: packing DOIs into requests, splitting rejected batches, faults as entries."""

from __future__ import annotations

from collections.abc import Sequence

from cco_enrich.doi import DOI
from cco_enrich.errors import BatchRejectedError, RegistryUnavailableError
from cco_enrich.models import Work
from cco_enrich.registries.batching import (
    lookup_single,
    lookup_splitting,
    pack_terms,
    split_into_batches,
)

A, B, C, D = (DOI(f"10.1000/{name}") for name in "abcd")
BAD = DOI("10.1000/bad")
GONE = "Test has no record of this DOI"


class Upstream:
    """lookup_batch/lookup callables: rejects any batch holding BAD, knows `known`."""

    def __init__(self, known: set[DOI], *, failing: bool = False) -> None:
        self.known = known
        self.failing = failing
        self.batches: list[list[DOI]] = []
        self.singles: list[DOI] = []

    async def lookup_batch(self, dois: Sequence[DOI]) -> dict[DOI, Work]:
        self.batches.append(list(dois))
        if self.failing:
            msg = "Test answered 503 (gave up after 2 attempts)"
            raise RegistryUnavailableError(msg)
        if BAD in dois:
            msg = "Test rejected the request with 400"
            raise BatchRejectedError(msg)
        return {d: Work(doi=d, registry="test") for d in dois if d in self.known}

    async def lookup(self, doi: DOI) -> Work | None:
        self.singles.append(doi)
        return Work(doi=doi, registry="test") if doi in self.known else None


def test_pack_terms_fills_groups_up_to_the_room() -> None:
    assert pack_terms(["aa", "bb", "cc", "d"], str, room=5) == [["aa", "bb"], ["cc", "d"]]
    assert pack_terms(["toolong", "a"], str, room=3) == [["toolong"], ["a"]]
    assert pack_terms([], str, room=3) == []


def test_split_into_batches_caps_size_and_sends_the_unbatchable_singly() -> None:
    long = DOI("10.1000/" + "x" * 40)
    batches, singles = split_into_batches(
        [A, B, long, C, D, BAD], str, room=40, max_size=2, can_batch=lambda d: d != BAD
    )
    assert batches == [[A, B], [C, D]]
    assert singles == [long, BAD]


async def test_a_rejected_batch_is_halved_until_the_culprit_is_looked_up_alone() -> None:
    upstream = Upstream({A, B, C})
    result = await lookup_splitting(
        [A, B, BAD, C], upstream.lookup_batch, upstream.lookup, not_found=GONE
    )
    assert set(result.works) == {A, B, C}
    assert result.not_found == {BAD: GONE}
    assert (result.missing, result.failed) == ([], {})
    assert upstream.singles == [BAD]


async def test_dois_absent_from_a_batch_answer_are_missing_not_unknown() -> None:
    upstream = Upstream({A})
    result = await lookup_splitting([A, B], upstream.lookup_batch, upstream.lookup, not_found=GONE)
    assert (list(result.works), result.missing, result.not_found) == ([A], [B], {})


async def test_a_failing_batch_fails_each_doi_with_the_reason_and_does_not_raise() -> None:
    upstream = Upstream({A}, failing=True)
    result = await lookup_splitting([A, B], upstream.lookup_batch, upstream.lookup, not_found=GONE)
    reason = "Test answered 503 (gave up after 2 attempts)"
    assert result.failed == {A: reason, B: reason}


async def test_lookup_single_records_the_not_found_reason_it_is_given() -> None:
    upstream = Upstream({A})
    found = await lookup_single(A, upstream.lookup, not_found=GONE)
    gone = await lookup_single(B, upstream.lookup, not_found=GONE)
    assert (list(found.works), gone.not_found) == ([A], {B: GONE})

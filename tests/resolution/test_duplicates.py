"""DuplicateIndex: resources that turn out to be one work, and what a run does with them."""

from __future__ import annotations

from collections.abc import Sequence

from arq.connections import ArqRedis

from cco_enrich.doi import DOI
from cco_enrich.ingest import build_resource
from cco_enrich.models import (
    RETRY_RESET_STATUSES,
    JobState,
    Outcome,
    Resource,
    ResourceStatus,
    Work,
    reset_resources,
)
from cco_enrich.resolution import DuplicateIndex
from cco_enrich.runner import OnOutcomes, SessionRun
from cco_enrich.store import OutcomeCache, SessionStore

ARTICLE = Work(doi=DOI("10.1000/a"), registry="crossref", title="The article", pmid="123")


def _found(resource: Resource, **ids: str) -> Resource:
    return resource.model_copy(update={"status": ResourceStatus.ENRICHED, **ids})


def test_a_pmid_that_finds_the_doi_given_earlier_is_its_duplicate() -> None:
    resources = [build_resource("10.1000/A"), build_resource("PMID: 123")]
    index = DuplicateIndex(resources)
    resources[1] = _found(resources[1], doi="10.1000/a")
    marked = index.mark(resources, {1: resources[1]})
    assert list(marked) == [1]
    assert marked[1].duplicate_of == "10.1000/A"
    assert marked[1].status is ResourceStatus.ENRICHED  # its own outcome stays


def test_the_later_one_is_marked_whichever_finishes_first() -> None:
    """The DOI comes second in the list and is resolved first: it is still the duplicate."""
    resources = [build_resource("PMID: 123"), build_resource("https://doi.org/10.1000/a")]
    index = DuplicateIndex(resources)
    resources[1] = _found(resources[1])
    assert index.mark(resources, {1: resources[1]}) == {}
    resources[0] = _found(resources[0], doi="10.1000/a")
    marked = index.mark(resources, {0: resources[0]})
    assert {p: r.duplicate_of for p, r in marked.items()} == {1: "PMID: 123"}


def test_three_copies_all_point_at_the_first() -> None:
    """The DOI's record names the PMID and the PMCID: all three are one work, the first wins."""
    resources = [build_resource(i) for i in ("PMC5", "PMID: 7", "10.1000/z")]
    index = DuplicateIndex(resources)
    resources[2] = _found(resources[2], pmid="7", pmcid="PMC5")
    marked = index.mark(resources, {2: resources[2]})
    assert {p: r.duplicate_of for p, r in marked.items()} == {1: "PMC5", 2: "PMC5"}
    resources[1], resources[2] = marked[1], marked[2]
    resources[1] = _found(resources[1], doi="10.1000/z", pmcid="PMC5")
    assert index.mark(resources, {1: resources[1]}) == {}


def test_different_works_are_left_alone() -> None:
    resources = [build_resource("PMID: 1"), build_resource("PMID: 2"), build_resource("10.1000/b")]
    index = DuplicateIndex(resources)
    resources[0] = _found(resources[0], doi="10.1000/c")
    assert index.mark(resources, {0: resources[0]}) == {}


def test_a_reset_forgets_the_mark_and_a_retry_reaches_urls_and_pids() -> None:
    marked = _found(build_resource("PMID: 1")).model_copy(update={"duplicate_of": "10.1000/x"})
    assert marked.reset().duplicate_of is None
    failed = [
        build_resource(i).model_copy(update={"status": ResourceStatus.FAILED})
        for i in ("https://example.org/p", "ISBN 0-306-40615-2", "10.1000/f")
    ]
    assert sorted(reset_resources(failed, RETRY_RESET_STATUSES)) == [0, 1, 2]


class IdentifierResolver:
    """PMIDs 123 and 456 name DOI 10.1000/a (PubMed's record of the same article)."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def __call__(self, keys: Sequence[DOI], on_outcomes: OnOutcomes) -> None:
        self.keys.extend(keys)
        await on_outcomes([Outcome.enriched(ARTICLE, key=k) for k in keys])


class DoiResolver:
    def __init__(self) -> None:
        self.dois: list[str] = []

    async def __call__(self, dois: Sequence[DOI], on_outcomes: OnOutcomes) -> None:
        self.dois.extend(dois)
        await on_outcomes([Outcome.enriched(ARTICLE.model_copy(update={"pmid": None}))])


async def test_a_run_resolves_both_kinds_and_marks_the_later_copy(
    store: SessionStore, fake_redis: ArqRedis
) -> None:
    """DOIs go to the DOI engine, the rest by `scheme:pid`; only DOI outcomes are cached."""
    given = ["PMID: 123", "10.1000/a", "https://example.org/page", "not an identifier"]
    await store.create("s", [build_resource(i) for i in given], metadata={})
    job_id = await store.enqueue("s")
    dois, identifiers = DoiResolver(), IdentifierResolver()
    cache = OutcomeCache(fake_redis, ttl_s=60, not_found_ttl_s=60)
    run = SessionRun(store, "s", worker_id="w", job_id=job_id, cache=cache)
    final = await run.execute(dois, identifiers)
    assert final is not None
    assert final.status is JobState.COMPLETED
    assert (dois.dois, identifiers.keys) == (
        ["10.1000/a"],
        ["pmid:123", "url:https://example.org/page"],
    )
    resources = await store.resources("s")
    assert [r.status for r in resources] == [ResourceStatus.ENRICHED] * 3 + [ResourceStatus.INVALID]
    assert [r.duplicate_of for r in resources] == [None, "PMID: 123", "PMID: 123", None]
    assert (resources[0].pmid, resources[0].doi, resources[0].scheme) == (
        "123",
        "10.1000/a",
        "pmid",
    )
    assert list(await cache.get_many([DOI("10.1000/a"), DOI("pmid:123")])) == ["10.1000/a"]

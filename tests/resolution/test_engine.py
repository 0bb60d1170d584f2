"""resolve_identifiers() with fake sources: hand-overs, the DOI path and its fallback, batching."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from cco_enrich.doi import DOI
from cco_enrich.ingest import build_resource
from cco_enrich.models import Outcome, Relation, ResourceStatus, Work
from cco_enrich.registries.pids import Forward, PidResult, PidSource, one_a_batch
from cco_enrich.resolution import (
    engine,
    identifier_key,
    resolve_identifiers,
    resolve_side_by_side,
    resource_key,
    split_key,
)
from cco_enrich.resolution.engine import MAX_HOPS

ENRICHED, NOT_FOUND = ResourceStatus.ENRICHED, ResourceStatus.NOT_FOUND
FAILED, SKIPPED = ResourceStatus.FAILED, ResourceStatus.SKIPPED
PAGE_RELATION = Relation(type="IsPartOf", identifier="https://example.org/collection")


@dataclass(eq=False)
class FakeSource:
    """A source answering from dicts, in batches of `batch_size`; records every batch."""

    name: str
    scheme: str
    works: dict[str, Work] = field(default_factory=dict)
    forwards: dict[str, Forward] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    batch_size: int = 2
    raises: bool = False
    delay_s: float = 0.0
    silent: frozenset[str] = frozenset()
    calls: list[list[str]] = field(default_factory=list)

    def pack(self, pids: Sequence[str]) -> list[list[str]]:
        unique = list(dict.fromkeys(pids))
        size = self.batch_size
        return [unique[i : i + size] for i in range(0, len(unique), size)] if size else []

    async def resolve_batch(self, pids: Sequence[str]) -> PidResult:
        self.calls.append(list(pids))
        await asyncio.sleep(self.delay_s)
        if self.raises:
            raise ZeroDivisionError("boom")
        result = PidResult()
        for pid in pids:
            if pid in self.silent:
                continue
            if pid in self.works:
                result.works[pid] = self.works[pid]
            elif pid in self.forwards:
                result.forwards[pid] = self.forwards[pid]
            elif pid in self.failed:
                result.failed[pid] = self.failed[pid]
            elif pid in self.skipped:
                result.skipped[pid] = self.skipped[pid]
            else:
                result.not_found[pid] = f"{self.name} does not know it"
        return result


@dataclass(eq=False)
class FakeDois:
    """The DOI engine: enriches the DOIs it knows, not_found the rest; records every call."""

    known: dict[str, Work] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    calls: list[list[str]] = field(default_factory=list)

    async def __call__(self, dois: Sequence[DOI], on_outcomes: object) -> None:
        self.calls.append(list(dois))
        outcomes = [
            Outcome.enriched(self.known[d])
            if d in self.known
            else Outcome.failed(d, "registry down")
            if d in self.failing
            else Outcome.not_found(d)
            for d in dois
        ]
        await on_outcomes(outcomes)  # type: ignore[operator]


async def _resolve(
    keys: Sequence[str], sources: Sequence[FakeSource], dois: FakeDois | None = None
) -> tuple[dict[str, Outcome], list[list[Outcome]]]:
    calls: list[list[Outcome]] = []

    async def record(outcomes: list[Outcome]) -> None:
        calls.append(outcomes)

    by_scheme: Mapping[str, PidSource] = {s.scheme: s for s in sources}
    await resolve_identifiers([DOI(k) for k in keys], by_scheme, dois or FakeDois(), record)
    flat = [o for batch in calls for o in batch]
    assert len(flat) == len({o.doi for o in flat}), "one outcome per key"
    return {o.doi: o for o in flat}, calls


def _article(pmid: str, doi: str | None = None) -> Work:
    return Work(
        doi=DOI(doi) if doi else None,
        registry="pubmed",
        source="pubmed",
        pmid=pmid,
        title=f"PubMed {pmid}",
    )


def _registry_work(doi: str) -> Work:
    return Work(doi=DOI(doi), registry="crossref", title=f"Crossref {doi}")


def test_keys_are_scheme_and_pid_and_dois_keep_their_own() -> None:
    assert identifier_key("pmid", "123") == "pmid:123"
    assert split_key("url:https://example.org/a:b") == ("url", "https://example.org/a:b")
    assert [resource_key(build_resource(i)) for i in ("10.1000/X", "arXiv:2101.00001v2",
            "PMID: 7", "https://example.org/a#b", "not an id")] == [
        "10.1000/x", "10.48550/arxiv.2101.00001", "pmid:7", "url:https://example.org/a#b", None,
    ]  # fmt: skip


async def test_each_scheme_goes_to_its_source_in_its_batches() -> None:
    pubmed = FakeSource("pubmed", "pmid", works={p: _article(p) for p in "12345"})
    books = FakeSource("books", "isbn", works={"978": Work(doi=None, registry="ol", title="B")})
    found, calls = await _resolve(
        ["pmid:1", "pmid:2", "pmid:3", "isbn:978", "pmid:4", "pmid:5"], [pubmed, books]
    )
    assert sorted(map(len, pubmed.calls)) == [1, 2, 2]
    assert books.calls == [["978"]]
    assert {k: o.status for k, o in found.items()} == dict.fromkeys(found, ENRICHED)
    assert found[DOI("pmid:3")].work == _article("3")
    assert len(calls) == 4  # one call per finished batch


async def test_a_work_naming_a_doi_takes_the_registry_record_and_keeps_its_ids() -> None:
    pubmed = FakeSource("pubmed", "pmid", works={"1": _article("1", "10.1000/a")})
    dois = FakeDois(known={"10.1000/a": _registry_work("10.1000/a")})
    found, _ = await _resolve(["pmid:1"], [pubmed], dois)
    work = found[DOI("pmid:1")].work
    assert work is not None
    assert (work.title, work.registry, work.doi, work.pmid) == ("Crossref 10.1000/a", "crossref",
                                                                "10.1000/a", "1")  # fmt: skip
    assert dois.calls == [["10.1000/a"]]


@pytest.mark.parametrize("doi_answer", ["not_found", "failed"])
async def test_when_the_doi_does_not_resolve_the_first_work_stays(doi_answer: str) -> None:
    page = Work(
        doi=DOI("10.1000/p"), registry="landing-page", title="Page", relations=(PAGE_RELATION,)
    )
    pages = FakeSource("pages", "url", works={"https://x.org/p": page})
    dois = FakeDois(failing={"10.1000/p"} if doi_answer == "failed" else set())
    found, _ = await _resolve(["url:https://x.org/p"], [pages], dois)
    outcome = found[DOI("url:https://x.org/p")]
    assert (outcome.status, outcome.work) == (ENRICHED, page)


async def test_the_registry_record_gains_the_page_s_relations() -> None:
    page = Work(
        doi=DOI("10.1000/p"), registry="landing-page", title="Page", relations=(PAGE_RELATION,)
    )
    pages = FakeSource("pages", "url", works={"https://x.org/p": page})
    found, _ = await _resolve(
        ["url:https://x.org/p"], [pages], FakeDois(known={"10.1000/p": _registry_work("10.1000/p")})
    )
    work = found[DOI("url:https://x.org/p")].work
    assert work is not None
    assert (work.registry, work.relations) == ("crossref", (PAGE_RELATION,))


async def test_hand_overs_go_to_the_next_scheme_carrying_their_ids() -> None:
    handles = FakeSource("handle", "handle", forwards={"1/a": Forward("url", "https://x.org/a")})
    pages = FakeSource("pages", "url", works={"https://x.org/a": Work(doi=None, registry="lp",
                                                                      title="A")})  # fmt: skip
    pmc = FakeSource("pmc", "pmcid", forwards={
        "PMC1": Forward("pmid", "9", {"pmcid": "PMC1", "doi": "10.1000/nine"}),
        "PMC2": Forward("doi", "10.1000/two", {"pmcid": "PMC2"}),
    })  # fmt: skip
    pubmed = FakeSource("pubmed", "pmid", works={"9": _article("9")})
    dois = FakeDois(known={"10.1000/two": _registry_work("10.1000/two")})
    found, _ = await _resolve(
        ["handle:1/a", "pmcid:PMC1", "pmcid:PMC2"], [handles, pages, pmc, pubmed], dois
    )
    assert found[DOI("handle:1/a")].work == pages.works["https://x.org/a"]
    nine = found[DOI("pmcid:PMC1")].work
    assert nine is not None  # PubMed's record has no DOI; the ID Converter's DOI is not found
    assert (nine.title, nine.pmid, nine.pmcid, nine.doi) == (
        "PubMed 9",
        "9",
        "PMC1",
        "10.1000/nine",
    )
    two = found[DOI("pmcid:PMC2")].work
    assert two is not None
    assert (two.title, two.pmcid, two.doi) == ("Crossref 10.1000/two", "PMC2", "10.1000/two")
    assert sorted(d for call in dois.calls for d in call) == ["10.1000/nine", "10.1000/two"]


async def test_a_pmcid_whose_pmid_pubmed_lacks_tries_its_doi() -> None:
    pmc = FakeSource("pmc", "pmcid", forwards={"PMC1": Forward("pmid", "9", {"doi": "10.1000/x"})})
    pubmed = FakeSource("pubmed", "pmid")
    dois = FakeDois(known={"10.1000/x": _registry_work("10.1000/x")})
    found, _ = await _resolve(["pmcid:PMC1"], [pmc, pubmed], dois)
    assert found[DOI("pmcid:PMC1")].status is ENRICHED
    missing, _ = await _resolve(["pmcid:PMC1"], [pmc, pubmed])
    assert missing[DOI("pmcid:PMC1")].status is NOT_FOUND
    assert missing[DOI("pmcid:PMC1")].error == "its DOI 10.1000/x: no registry knows this DOI"


async def test_a_pid_reached_twice_is_asked_once() -> None:
    """A PMID given, and the same PMID reached from a PMCID: one esummary entry, two outcomes."""
    pmc = FakeSource("pmc", "pmcid", forwards={"PMC1": Forward("pmid", "9", {"pmcid": "PMC1"})})
    pubmed = FakeSource("pubmed", "pmid", works={"9": _article("9")}, batch_size=200)
    found, _ = await _resolve(["pmid:9", "pmcid:PMC1"], [pmc, pubmed])
    assert [pid for call in pubmed.calls for pid in call] == ["9"]
    assert {o.status for o in found.values()} == {ENRICHED}


async def test_unsettled_answers_keep_their_status_and_reason() -> None:
    pages = FakeSource(
        "pages", "url", failed={"https://x.org/5xx": "answered 503"},
        skipped={"https://x.org/a.pdf": "not an HTML page (application/pdf)"},
    )  # fmt: skip
    found, _ = await _resolve(
        ["url:https://x.org/5xx", "url:https://x.org/a.pdf", "url:https://x.org/404", "isbn:1"],
        [pages],
    )
    assert [(o.status, o.error) for o in found.values()] == [
        (FAILED, "no source reads isbn identifiers"),
        (FAILED, "answered 503"),
        (SKIPPED, "not an HTML page (application/pdf)"),
        (NOT_FOUND, "pages does not know it"),
    ]


async def test_a_source_that_raises_fails_its_batch_not_the_run() -> None:
    broken = FakeSource("broken", "pmid", raises=True)
    found, _ = await _resolve(["pmid:1", "pmid:2"], [broken])
    assert {o.status for o in found.values()} == {FAILED}
    assert "ZeroDivisionError: boom" in (found[DOI("pmid:1")].error or "")


async def test_hand_overs_in_a_circle_end(caplog: pytest.LogCaptureFixture) -> None:
    circle = FakeSource("circle", "handle", forwards={"1/a": Forward("handle", "1/a")})
    found, _ = await _resolve(["handle:1/a"], [circle])
    outcome = found[DOI("handle:1/a")]
    assert outcome.status is FAILED
    assert f"handed over {MAX_HOPS + 1} times" in (outcome.error or "")


async def test_nothing_to_do_calls_nobody() -> None:
    found, calls = await _resolve([], [FakeSource("pubmed", "pmid")])
    assert (found, calls) == ({}, [])


def test_one_a_batch_packs_each_pid_alone() -> None:
    assert one_a_batch(["a", "b", "a"]) == [["a"], ["b"]]


async def test_a_pid_reached_while_it_is_asked_waits_for_that_answer() -> None:
    """PMC's answer leads to PMID 9 while PubMed is still answering for it: one request."""
    pmc = FakeSource("pmc", "pmcid", forwards={"PMC1": Forward("pmid", "9"),
                                               "PMC2": Forward("pmid", "8")})  # fmt: skip
    pubmed = FakeSource("pubmed", "pmid", works={p: _article(p) for p in "89"}, delay_s=0.05)
    found, _ = await _resolve(["pmid:9", "pmcid:PMC1", "pmcid:PMC2"], [pmc, pubmed])
    assert pubmed.calls == [["9"], ["8"]]  # 8 lingered for company while 9 was asked
    assert {o.status for o in found.values()} == {ENRICHED}


async def test_a_doi_resolved_already_is_not_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "DOI_LINGER_S", 0.0)
    pubmed = FakeSource("pubmed", "pmid", works={"1": _article("1", "10.1000/x")})
    pmc = FakeSource("pmc", "pmcid", forwards={"PMC1": Forward("doi", "10.1000/x")}, delay_s=0.1)
    dois = FakeDois(known={"10.1000/x": _registry_work("10.1000/x")})
    found, _ = await _resolve(["pmid:1", "pmcid:PMC1"], [pubmed, pmc], dois)
    assert dois.calls == [["10.1000/x"]]
    assert found[DOI("pmcid:PMC1")].status is ENRICHED


async def test_hand_overs_that_lead_nowhere_end_with_the_reason() -> None:
    odd = FakeSource("odd", "handle", forwards={
        "1/a": Forward("doi", "not a doi"),
        "1/b": Forward("isbn", "978"),
    }, silent=frozenset({"1/c"}))  # fmt: skip
    found, _ = await _resolve(["handle:1/a", "handle:1/b", "handle:1/c"], [odd])
    assert [(o.status, o.error) for o in found.values()] == [
        (NOT_FOUND, "not a doi is no DOI"),
        (FAILED, "it leads to isbn 978, which no source reads"),
        (FAILED, "odd gave no answer for it"),
    ]


async def test_a_source_that_packs_nothing_fails_its_keys_instead_of_hanging() -> None:
    broken = FakeSource("broken", "pmid", batch_size=0)
    found, _ = await _resolve(["pmid:1"], [broken])
    assert (found[DOI("pmid:1")].status, found[DOI("pmid:1")].error) == (
        FAILED,
        "no source answered",
    )


async def test_side_by_side_runs_both_and_raises_an_error_as_itself() -> None:
    seen: list[str] = []

    async def dois(keys: Sequence[DOI], on_outcomes: object) -> None:
        seen.extend(keys)

    async def broken(keys: Sequence[DOI], on_outcomes: object) -> None:
        raise KeyError("boom")

    await resolve_side_by_side(dois, dois, [DOI("10.1000/a")], [DOI("pmid:1")], _ignore)
    assert sorted(seen) == ["10.1000/a", "pmid:1"]
    with pytest.raises(KeyError):
        await resolve_side_by_side(dois, broken, [], [DOI("pmid:1")], _ignore)


async def _ignore(outcomes: list[Outcome]) -> None:
    return None

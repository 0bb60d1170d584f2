"""Resources of every identifier scheme: ingest, merging, model fields, a run meeting them."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from cco_enrich.doi import DOI
from cco_enrich.ingest import IdentifierListIngestor, build_resource
from cco_enrich.models import JobState, Outcome, Relation, Resource, ResourceStatus, Work
from cco_enrich.runner import OnOutcomes, SessionRun
from cco_enrich.store import SessionStore

ARXIV_DOI = "10.48550/arxiv.2101.00001"
PENDING = ResourceStatus.PENDING


@pytest.fixture
def ingestor() -> IdentifierListIngestor:
    return IdentifierListIngestor(max_identifiers=100, max_bytes=100_000)


@pytest.mark.parametrize(
    ("identifier", "status", "scheme", "pid", "ids"),
    [
        ("10.1000/ABC", PENDING, "doi", "10.1000/abc", {"doi": "10.1000/abc"}),
        ("arXiv:2101.00001v2", PENDING, "arxiv", "2101.00001v2",
         {"doi": ARXIV_DOI, "arxiv": "2101.00001v2"}),
        ("PMID: 31036960", PENDING, "pmid", "31036960", {"pmid": "31036960"}),
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC5122160/", PENDING, "pmcid", "PMC5122160",
         {"pmcid": "PMC5122160"}),
        ("ISBN 0-306-40615-2", PENDING, "isbn", "9780306406157", {"isbn": "9780306406157"}),
        ("hdl:20.500.1234/5", PENDING, "handle", "20.500.1234/5", {}),
        ("IGSN IECUR0097", PENDING, "igsn", "IECUR0097", {}),
        ("ark:/13030/tf5p30086k", PENDING, "ark", "ark:13030/tf5p30086k", {}),
        ("https://example.org/x", PENDING, "url", "https://example.org/x", {}),
    ],
)  # fmt: skip
def test_build_resource_records_scheme_pid_and_ids(
    identifier: str, status: ResourceStatus, scheme: str, pid: str, ids: dict[str, str]
) -> None:
    resource = build_resource(f"  {identifier} ")
    assert (resource.identifier, resource.status, resource.scheme, resource.pid) == (
        identifier,
        status,
        scheme,
        pid,
    )
    found = {name: getattr(resource, name) for name in ("doi", "arxiv", "pmid", "pmcid", "isbn")}
    assert {name: value for name, value in found.items() if value} == ids


def test_build_resource_makes_urls_pending_landing_pages() -> None:
    resource = build_resource("https://example.org/x")
    assert (resource.status, resource.error, resource.doi) == (PENDING, None, None)


def test_build_resource_reports_a_bad_isbn_check_digit() -> None:
    resource = build_resource("ISBN 978-0-306-40615-8")
    assert resource.status is ResourceStatus.INVALID
    assert resource.scheme is None
    assert "check digit is '8'" in (resource.error or "")


def test_ingest_merges_one_pid_given_in_several_spellings(
    ingestor: IdentifierListIngestor,
) -> None:
    result = ingestor.ingest_text(
        "PMID: 123\npmid:123\nhttps://pubmed.ncbi.nlm.nih.gov/123/\n"
        "arXiv:2101.00001\nhttps://arxiv.org/abs/2101.00001\n10.48550/arXiv.2101.00001\n"
        "ISBN 0-306-40615-2\n9780306406157\nhdl:20.500.1/2\nhttps://hdl.handle.net/20.500.1/2\n"
    )
    assert [(r.identifier, r.scheme) for r in result.resources] == [
        ("PMID: 123", "pmid"),
        ("arXiv:2101.00001", "arxiv"),
        ("ISBN 0-306-40615-2", "isbn"),
        ("hdl:20.500.1/2", "handle"),
    ]
    assert (result.total, result.duplicates, result.dois) == (4, 6, 1)


def test_ingest_bibtex_reads_eprint_pmid_and_isbn_when_there_is_no_doi(
    ingestor: IdentifierListIngestor,
) -> None:
    result = ingestor.ingest_bibtex(
        "@article{a, title={A}, eprint={2101.00001}, archivePrefix={arXiv}}\n"
        "@article{b, title={B}, pmid={31036960}}\n"
        "@book{c, title={C}, isbn={0-306-40615-2}}\n"
        "@misc{d, title={D}, eprint={1234}, archivePrefix={SSRN}}\n"
        "@article{e, title={E}, url={https://arxiv.org/abs/hep-th/9901001}}\n"
    )
    assert [(r.identifier, r.status, r.scheme, r.pid) for r in result.resources] == [
        ("arXiv:2101.00001", PENDING, "arxiv", "2101.00001"),
        ("PMID:31036960", PENDING, "pmid", "31036960"),
        ("ISBN 0-306-40615-2", PENDING, "isbn", "9780306406157"),
        ("d", ResourceStatus.SKIPPED, None, None),
        ("https://arxiv.org/abs/hep-th/9901001", PENDING, "arxiv", "hep-th/9901001"),
    ]


def test_resource_json_without_the_new_fields_still_loads() -> None:
    """Sessions saved before these fields existed read back with empty ones."""
    stored = '{"identifier": "10.1000/x", "doi": "10.1000/x", "status": "pending"}'
    resource = Resource.model_validate_json(stored)
    assert (resource.scheme, resource.pid, resource.relations, resource.source) == (
        None,
        None,
        (),
        None,
    )


def test_resource_json_round_trips_the_new_fields() -> None:
    resource = build_resource("PMID: 31036960").model_copy(
        update={"relations": (Relation(type="IsVersionOf", identifier="10.1000/x"),)}
    )
    assert Resource.model_validate_json(resource.model_dump_json()) == resource
    assert resource.model_dump(mode="json")["relations"] == [
        {"type": "IsVersionOf", "identifier": "10.1000/x"}
    ]


def test_with_outcome_keeps_given_ids_and_adds_found_ones() -> None:
    resource = build_resource("PMID: 31036960")
    work = Work(
        doi="10.1126/science.aat7487",
        registry="crossref",
        source="pubmed",
        pmid="31036960",
        pmcid="PMC6822619",
        title="The formation of human populations in South and Central Asia",
    )
    enriched = resource.with_outcome(Outcome.enriched(work, key="31036960"))
    assert (enriched.status, enriched.doi, enriched.pmid, enriched.pmcid, enriched.source) == (
        ResourceStatus.ENRICHED,
        "10.1126/science.aat7487",
        "31036960",
        "PMC6822619",
        "pubmed",
    )
    assert (enriched.scheme, enriched.pid) == ("pmid", "31036960")


def test_with_outcome_takes_the_registry_as_source_by_default() -> None:
    resource = build_resource("10.1000/x")
    enriched = resource.with_outcome(Outcome.enriched(Work(doi="10.1000/x", registry="datacite")))
    assert enriched.source == "datacite"


def test_reset_keeps_the_identifiers() -> None:
    resource = build_resource("arXiv:2101.00001v2").model_copy(
        update={"status": ResourceStatus.ENRICHED, "title": "T", "source": "datacite"}
    )
    reset = resource.reset()
    assert (reset.status, reset.title, reset.source) == (PENDING, None, None)
    assert (reset.scheme, reset.pid, reset.doi, reset.arxiv) == (
        "arxiv",
        "2101.00001v2",
        ARXIV_DOI,
        "2101.00001v2",
    )


def test_an_outcome_for_a_work_without_doi_needs_its_key() -> None:
    work = Work(doi=None, registry="openlibrary", isbn="9780306406157", title="A book")
    assert Outcome.enriched(work, key="9780306406157").doi == "9780306406157"
    with pytest.raises(ValueError, match="needs the key"):
        Outcome.enriched(work)


class RecordingResolver:
    """Enriches every DOI it is given, and remembers which it was given."""

    def __init__(self) -> None:
        self.calls: list[DOI] = []

    async def __call__(self, dois: Sequence[DOI], on_outcomes: OnOutcomes) -> None:
        self.calls.extend(dois)
        await on_outcomes([Outcome.enriched(Work(doi=d, registry="datacite")) for d in dois])


async def test_a_run_resolves_dois_and_leaves_other_pending_schemes_alone(
    store: SessionStore,
) -> None:
    """Without an identifier engine, non-DOI PIDs stay pending and the run still completes."""
    given = ["10.1000/a", "arXiv:2101.00001", "PMID: 1", "PMC2", "ISBN 0-306-40615-2",
             "hdl:20.500.1/2", "IGSN IECUR0097", "ark:/13030/x",
             "https://example.org/"]  # fmt: skip
    await store.create("s", [build_resource(i) for i in given], metadata={})
    job_id = await store.enqueue("s")
    resolver = RecordingResolver()
    final = await SessionRun(store, "s", worker_id="w", job_id=job_id).execute(resolver)
    assert final is not None
    assert final.status is JobState.COMPLETED
    assert sorted(resolver.calls) == ["10.1000/a", ARXIV_DOI]
    statuses = [r.status for r in await store.resources("s")]
    assert statuses == [ResourceStatus.ENRICHED] * 2 + [PENDING] * 7
    assert (final.enriched, final.skipped, final.done, final.total) == (2, 0, 2, 9)

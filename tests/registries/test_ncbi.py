"""NCBI esummary and ID Converter: request URLs, batches, and recorded answers -> Works."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from cco_enrich.errors import RegistryError
from cco_enrich.models import Author
from cco_enrich.registries.ncbi import (
    DEFAULT_EUTILS_URL,
    DEFAULT_IDCONV_URL,
    ESUMMARY_MAX_IDS,
    IDCONV_MAX_IDS,
    IdconvRecord,
    NcbiIdentity,
    batches,
    esummary_url,
    idconv_url,
    parse_esummary,
    parse_idconv,
    work_from_esummary,
)

DATA = Path(__file__).parents[1] / "data" / "ncbi"
IDENTITY = NcbiIdentity(tool="cco_enrich", email="curator@example.org")


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_esummary_url_asks_for_json_of_many_pmids_with_tool_and_email() -> None:
    url = esummary_url(DEFAULT_EUTILS_URL, ["27933103", "34813072"], IDENTITY)
    assert url.startswith("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esummary.fcgi?")
    assert "id=27933103,34813072" in url
    assert query(url) == {
        "db": "pubmed",
        "retmode": "json",
        "id": "27933103,34813072",
        "tool": "cco_enrich",
        "email": "curator@example.org",
    }


def test_esummary_url_keeps_a_path_prefix_and_adds_the_api_key() -> None:
    identity = NcbiIdentity(tool="cco enrich", email="a@b.org", api_key="k3y")
    url = esummary_url("http://proxy.local/ncbi/eutils/", ["1"], identity)
    assert url.startswith("http://proxy.local/ncbi/eutils/esummary.fcgi?")
    assert (query(url)["api_key"], query(url)["tool"]) == ("k3y", "cco_enrich")
    assert identity.requests_per_s == 10
    assert IDENTITY.requests_per_s == 3


def test_idconv_url_names_one_id_type_and_leaves_versions_out() -> None:
    url = idconv_url(DEFAULT_IDCONV_URL, ["PMC3531190", "PMC3531191123"], "pmcid", IDENTITY)
    assert url.startswith("https://pmc.ncbi.nlm.nih.gov/tools/idconv/api/v1/articles/?")
    assert query(url) == {
        "ids": "PMC3531190,PMC3531191123",
        "idtype": "pmcid",
        "format": "json",
        "versions": "no",
        "tool": "cco_enrich",
        "email": "curator@example.org",
    }


def test_idconv_url_encodes_dois_but_keeps_their_slashes() -> None:
    url = idconv_url(DEFAULT_IDCONV_URL, ["10.1002/(sici)x;2-#"], "doi", IDENTITY)
    assert "ids=10.1002/%28sici%29x%3B2-%23&" in url
    assert query(url)["ids"] == "10.1002/(sici)x;2-#"


@pytest.mark.parametrize(
    ("build", "limit"),
    [
        (lambda ids: esummary_url(DEFAULT_EUTILS_URL, ids, IDENTITY), ESUMMARY_MAX_IDS),
        (lambda ids: idconv_url(DEFAULT_IDCONV_URL, ids, "pmid", IDENTITY), IDCONV_MAX_IDS),
    ],
)
def test_a_batch_holds_one_to_two_hundred_ids(build: Any, limit: int) -> None:
    assert build([str(n) for n in range(1, limit + 1)])
    with pytest.raises(ValueError, match="1 to 200"):
        build([str(n) for n in range(1, limit + 2)])
    with pytest.raises(ValueError, match="1 to 200"):
        build([])


def test_batches_drop_repeats_and_cut_at_the_limit() -> None:
    ids = [str(n) for n in range(1, 451)] + ["1", "2"]
    cut = batches(ids, IDCONV_MAX_IDS)
    assert [len(batch) for batch in cut] == [200, 200, 50]
    assert cut[0][0] == "1"
    assert cut[-1][-1] == "450"


def test_parse_esummary_reads_a_recorded_summary_with_its_doi_and_pmcid() -> None:
    answer = parse_esummary(load("esummary_pubmed_27933103.json"), ["27933103"])
    work = answer.works["27933103"]
    assert answer.not_found == []
    assert (
        work.title
        == "Programmatic conversion of crystal structures into 3D printable files using Jmol"
    )
    assert work.authors[0] == Author(family="Scalfani", given="VF")
    assert len(work.authors) == 8
    assert (work.doi, work.pmid, work.pmcid) == (
        "10.1186/s13321-016-0181-z",
        "27933103",
        "PMC5122160",
    )
    assert (work.year, work.container_title, work.type) == (
        2016,
        "Journal of cheminformatics",
        "journal-article",
    )
    assert (work.registry, work.source, work.url) == (
        "pubmed",
        "pubmed",
        "https://doi.org/10.1186/s13321-016-0181-z",
    )


def test_parse_esummary_batch_finds_each_and_lists_the_unknown() -> None:
    pmids = ["27933103", "34813072", "30089069", "99999999"]
    answer = parse_esummary(load("esummary_pubmed_batch.json"), pmids)
    assert sorted(answer.works) == ["27933103", "30089069", "34813072"]
    assert answer.not_found == ["99999999"]
    nejm = answer.works["30089069"]
    assert (nejm.title, nejm.authors, nejm.doi, nejm.pmcid) == (
        "Acute Viral Encephalitis",
        (Author(family="Tyler", given="KL"),),
        "10.1056/nejmra1708714",
        None,
    )
    assert (nejm.year, nejm.container_title) == (2018, "The New England journal of medicine")
    chapter = answer.works["34813072"]
    assert chapter.authors[3] == Author(family="O'Connor", given="KE")
    assert (chapter.year, chapter.doi) == (2022, "10.1007/978-1-0716-1826-4_17")


def test_parse_esummary_reads_an_unknown_pmid_as_not_found() -> None:
    answer = parse_esummary(load("esummary_pubmed_unknown_40482261.json"), ["40482261"])
    assert (answer.works, answer.not_found) == ({}, ["40482261"])


def test_parse_esummary_counts_a_pmid_missing_from_the_result_as_not_found() -> None:
    answer = parse_esummary(load("esummary_pubmed_27933103.json"), ["27933103", "1"])
    assert (sorted(answer.works), answer.not_found) == (["27933103"], ["1"])


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("eutils_429_rate_limit.json", "API rate limit exceeded"),
        ("esummary_invalid_uid.json", "Invalid uid"),
    ],
)
def test_parse_esummary_refuses_an_answer_without_documents(name: str, reason: str) -> None:
    payload = load(name)
    if name == "esummary_invalid_uid.json":
        payload.pop("result")  # an answer with neither a result nor documents
    with pytest.raises(RegistryError, match=reason):
        parse_esummary(payload, ["1"])


def test_work_from_esummary_handles_collective_and_single_names_and_no_doi() -> None:
    document = {
        "uid": "1",
        "title": "Is this a question?",
        "pubdate": "2019 Winter",
        "source": "J Test",
        "authors": [
            {"name": "WHO Study Group", "authtype": "CollectiveName"},
            {"name": "van der Berg CD", "authtype": "Author"},
            {"name": "Aristotle", "authtype": "Author"},
        ],
        "articleids": [{"idtype": "pubmed", "value": "1"}, {"idtype": "doi", "value": "junk"}],
        "doctype": "book",
    }
    work = work_from_esummary(document, "1")
    assert work.authors == (
        Author(name="WHO Study Group"),
        Author(family="van der Berg", given="CD"),
        Author(family="Aristotle"),
    )
    assert (work.title, work.year, work.container_title, work.type) == (
        "Is this a question?",
        2019,
        "J Test",
        "book",
    )
    assert (work.doi, work.url) == (None, "https://pubmed.ncbi.nlm.nih.gov/1/")


def test_parse_idconv_maps_pmids_to_pmcids_and_dois() -> None:
    pmids = ["30003000", "30003001", "30003002", "99999999"]
    answer = parse_idconv(load("idconv_pmids_30003000.json"), pmids, "pmid")
    assert answer.found["30003000"] == IdconvRecord(
        pmcid="PMC6039336", pmid="30003000", doi="10.1007/s13205-018-1330-z"
    )
    assert sorted(answer.found) == ["30003000", "30003001", "30003002"]
    assert answer.not_found == {"99999999": "Identifier not found in PMC"}


def test_parse_idconv_maps_pmcids_and_reports_the_unknown() -> None:
    pmcids = ["PMC3531190", "PMC3531191123"]
    answer = parse_idconv(load("idconv_pmcids_PMC3531190.json"), pmcids, "pmcid")
    assert answer.found == {
        "PMC3531190": IdconvRecord(pmcid="PMC3531190", pmid="23193287", doi="10.1093/nar/gks1195")
    }
    assert answer.not_found == {"PMC3531191123": "Identifier not found in PMC"}


def test_parse_idconv_reads_a_doi_that_is_not_in_pmc() -> None:
    answer = parse_idconv(load("idconv_doi_not_in_pmc.json"), ["10.1056/nejmoa1504720"], "doi")
    assert (answer.found, answer.not_found) == (
        {},
        {"10.1056/nejmoa1504720": "Identifier not found in PMC"},
    )


def test_parse_idconv_reads_the_legacy_answer_without_requested_id() -> None:
    answer = parse_idconv(load("idconv_v1.0_legacy_PMC2883744.json"), ["PMC2883744"], "pmcid")
    assert answer.found == {
        "PMC2883744": IdconvRecord(pmcid="PMC2883744", pmid="20495566", doi="10.1038/ng.590")
    }


def test_parse_idconv_notes_an_id_the_answer_left_out() -> None:
    answer = parse_idconv({"status": "ok", "records": []}, ["PMC1"], "pmcid")
    assert answer.not_found == {"PMC1": "the ID Converter gave no record for it"}


def test_parse_idconv_refuses_an_answer_without_records() -> None:
    with pytest.raises(RegistryError, match="without records"):
        parse_idconv({"status": "error", "errmsg": "too many ids"}, ["1"], "pmid")


def test_ncbi_identity_without_email_sends_the_tool_alone() -> None:
    assert NcbiIdentity(tool="cco_enrich").params() == [("tool", "cco_enrich")]


def test_parse_esummary_refuses_a_body_that_is_not_an_object() -> None:
    with pytest.raises(RegistryError, match="unreadable body"):
        parse_esummary("<html>502</html>", ["1"])


def test_work_from_esummary_falls_back_on_elocationid_and_prose_pmcid() -> None:
    document = {
        "uid": "2",
        "pubdate": "",
        "epubdate": "",
        "sortpubdate": "2001/05/01 00:00",
        "authors": [{"name": "", "authtype": "Author"}, {"name": "Kim Y", "authtype": "Author"}],
        "articleids": [
            {"idtype": "pubmed", "value": 2},
            {"idtype": "pmcid", "value": "pmc-id: PMC77;"},
        ],
        "elocationid": "pii: S0001. doi: 10.1000/ABC",
        "doctype": "chapter",
    }
    work = work_from_esummary(document, "2")
    assert (work.doi, work.pmcid, work.title, work.year, work.type) == (
        "10.1000/abc",
        "PMC77",
        None,
        2001,
        "book-chapter",
    )
    assert work.authors == (Author(family="Kim", given="Y"),)


def test_parse_idconv_reads_legacy_errors_and_ignores_records_not_asked_for() -> None:
    payload = {
        "status": "ok",
        "records": [
            {"pmid": "22222", "errmsg": "invalid article id"},
            {"pmid": "33333", "pmcid": "PMC3", "requested-id": "33333"},
        ],
    }
    answer = parse_idconv(payload, ["22222"], "pmid")
    assert (answer.found, answer.not_found) == ({}, {"22222": "invalid article id"})

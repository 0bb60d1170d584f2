"""IdentifierListIngestor: every input format, merging, statuses, errors and limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cco_enrich.errors import InputError, InputTooLargeError
from cco_enrich.ingest import (
    BIBTEX_NO_DOI,
    IdentifierListIngestor,
    IngestResult,
    build_resource,
)
from cco_enrich.models import ResourceStatus

DATA = Path(__file__).parent.parent / "data"
SICI = "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"


@pytest.fixture
def ingestor() -> IdentifierListIngestor:
    return IdentifierListIngestor(max_identifiers=100, max_bytes=100_000)


@pytest.fixture
def gommapps_input() -> dict[str, Any]:
    with (DATA / "cco" / "gommapps_input.json").open(encoding="utf-8") as file:
        document: dict[str, Any] = json.load(file)
    return document


def identifiers(result: IngestResult) -> list[str]:
    return [resource.identifier for resource in result.resources]


# --- JSON -----------------------------------------------------------------------------------


def test_ingest_json_reads_the_real_cco_input_document(
    ingestor: IdentifierListIngestor, gommapps_input: dict[str, Any]
) -> None:
    result = ingestor.ingest_json(gommapps_input)
    assert identifiers(result) == gommapps_input["resource_pids"]
    assert (result.total, result.dois, result.skipped, result.invalid) == (38, 6, 0, 0)
    assert result.duplicates == 0
    assert result.metadata == gommapps_input["cco_metadata"]
    dois = [r for r in result.resources if r.doi]
    assert [r.doi for r in dois][:2] == ["10.82144/e98987b1", "10.82144/3fe3d440"]
    assert {r.status for r in dois} == {ResourceStatus.PENDING}
    assert all(r.doi.startswith("10.82144/") for r in dois if r.doi)


def test_ingest_json_makes_urls_pending_landing_pages(
    ingestor: IdentifierListIngestor, gommapps_input: dict[str, Any]
) -> None:
    first = ingestor.ingest_json(gommapps_input).resources[0]
    assert first.identifier == "https://www.ncei.noaa.gov/archive/accession/GOMMAPPS"
    assert (first.status, first.doi, first.error) == (ResourceStatus.PENDING, None, None)
    assert (first.scheme, first.pid) == ("url", first.identifier)


def test_ingest_json_reads_identifiers_metadata_and_callback(
    ingestor: IdentifierListIngestor,
) -> None:
    result = ingestor.ingest_json(
        {
            "identifiers": ["10.1000/a", "https://example.org/b"],
            "metadata": {"title": "T"},
            "callback_url": "https://hooks.example.org/done",
        }
    )
    assert identifiers(result) == ["10.1000/a", "https://example.org/b"]
    assert result.metadata == {"title": "T"}
    assert result.callback_url == "https://hooks.example.org/done"


def test_ingest_json_without_metadata_or_callback(ingestor: IdentifierListIngestor) -> None:
    result = ingestor.ingest_json({"identifiers": ["10.1000/a"], "metadata": None})
    assert (result.metadata, result.callback_url) == ({}, None)


def test_ingest_json_merges_one_doi_in_several_spellings(ingestor: IdentifierListIngestor) -> None:
    """The first spelling, trimmed, names the resource; the others count as duplicates."""
    result = ingestor.ingest_json(
        {
            "identifiers": [
                "  10.1000/ABC  ",
                "https://doi.org/10.1000/abc",
                "10.1000/other",
                "doi:10.1000/Abc",
                "http://dx.doi.org/10.1000%2FABC",
            ]
        }
    )
    assert identifiers(result) == ["10.1000/ABC", "10.1000/other"]
    assert result.resources[0].doi == "10.1000/abc"
    assert (result.total, result.dois, result.duplicates) == (2, 2, 3)


def test_ingest_json_merges_a_repeated_url(ingestor: IdentifierListIngestor) -> None:
    result = ingestor.ingest_json({"identifiers": ["https://x.org/a", " https://x.org/a"]})
    assert (result.total, result.duplicates) == (1, 1)


def test_ingest_json_marks_non_identifiers_invalid_naming_the_value(
    ingestor: IdentifierListIngestor,
) -> None:
    result = ingestor.ingest_json({"identifiers": ["10.1000/a", "not a doi", "10.12/short"]})
    invalid = result.resources[1]
    assert (invalid.status, invalid.doi) == (ResourceStatus.INVALID, None)
    assert "'not a doi' is not a DOI" in (invalid.error or "")
    assert (result.total, result.dois, result.invalid) == (3, 1, 2)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (["10.1000/a"], "expected a JSON object, got a list"),
        ("10.1000/a", "expected a JSON object, got a string"),
        ({"identifiers": "10.1000/a"}, "'identifiers' must be a list"),
        ({"identifiers": ["10.1000/a", 42]}, r"identifiers\[1\] is a number \(42\)"),
        ({"identifiers": ["10.1000/a", {"doi": "x"}]}, r"identifiers\[1\] is an object"),
        ({"identifiers": [None]}, r"identifiers\[0\] is null"),
        ({"identifiers": [True]}, r"identifiers\[0\] is a boolean"),
        ({"identifiers": ["  "]}, r"identifiers\[0\] is a blank string"),
        ({"resource_pids": ["x", 1.5]}, r"resource_pids\[1\] is a number"),
        ({"identifiers": ["10.1000/a"], "metadata": []}, "'metadata' must be a JSON object"),
        ({"identifiers": ["10.1000/a"], "callback_url": 1}, "'callback_url' must be a string"),
        ({"identifiers": ["10.1000/a"], "metdata": {}}, "unexpected key.*'metdata'"),
        ({"resource_pids": ["10.1000/a"], "identifiers": []}, "unexpected key.*'identifiers'"),
        ({}, "'identifiers' must be a list"),
    ],
)
def test_ingest_json_rejects_a_malformed_body(
    ingestor: IdentifierListIngestor, payload: Any, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        ingestor.ingest_json(payload)


def test_ingest_json_rejects_an_empty_list(ingestor: IdentifierListIngestor) -> None:
    with pytest.raises(InputError, match=r"^no identifiers found; 'identifiers' is empty"):
        ingestor.ingest_json({"identifiers": []})


# --- text -----------------------------------------------------------------------------------


def test_ingest_text_reads_one_identifier_a_line(ingestor: IdentifierListIngestor) -> None:
    text = "\ufeff# my list\r\n10.1000/a\r\n\r\n   \n  # indented comment\nDOI: 10.1000/B\n"
    result = ingestor.ingest_text(text + "https://example.org/x\t\n")
    assert identifiers(result) == ["10.1000/a", "DOI: 10.1000/B", "https://example.org/x"]
    assert [r.doi for r in result.resources] == ["10.1000/a", "10.1000/b", None]


def test_ingest_text_never_splits_a_line(ingestor: IdentifierListIngestor) -> None:
    """A DOI may hold ';' and ',', and two words on a line are reported, not guessed at."""
    result = ingestor.ingest_text(f"{SICI}\n10.1000/a,b\n10.1000/x 10.1000/y\n")
    assert identifiers(result) == [SICI, "10.1000/a,b", "10.1000/x 10.1000/y"]
    assert [r.status for r in result.resources][-1] is ResourceStatus.INVALID


def test_ingest_text_with_only_comments_has_no_identifiers(
    ingestor: IdentifierListIngestor,
) -> None:
    with pytest.raises(InputError, match=r"^no identifiers found; give one identifier a line"):
        ingestor.ingest_text("# nothing here\n\n")


# --- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "title,DOI,year\nA,10.1000/a,2020\nB,https://doi.org/10.1000/b,2021\n",
        "title;doi;year\nA;10.1000/a;2020\nB;https://doi.org/10.1000/b;2021\n",
        "title\tIdentifier\nA\t10.1000/a\nB\thttps://doi.org/10.1000/b\n",
        "\ufeffPID,note\r\n10.1000/a,x\r\nhttps://doi.org/10.1000/b,y\r\n",
        "url , id\nhttps://example.org,10.1000/a\nhttps://example.org,https://doi.org/10.1000/b\n",
    ],
)
def test_ingest_csv_reads_the_named_identifier_column(
    ingestor: IdentifierListIngestor, text: str
) -> None:
    result = ingestor.ingest_csv(text)
    assert [r.doi for r in result.resources] == ["10.1000/a", "10.1000/b"]


def test_ingest_csv_reads_quoted_fields(ingestor: IdentifierListIngestor) -> None:
    text = f'Title,DOI\n"Smith, J.: A ""quoted"" title","{SICI}"\n"B",10.1000/b\n'
    assert identifiers(ingestor.ingest_csv(text)) == [SICI, "10.1000/b"]


def test_ingest_csv_without_header_reads_the_first_column(
    ingestor: IdentifierListIngestor,
) -> None:
    result = ingestor.ingest_csv("10.1000/a,First title\n10.1000/b,Second title\n")
    assert identifiers(result) == ["10.1000/a", "10.1000/b"]


def test_ingest_csv_reads_a_single_column_without_header(
    ingestor: IdentifierListIngestor,
) -> None:
    result = ingestor.ingest_csv("10.1000/a\nhttps://example.org/x\n")
    assert identifiers(result) == ["10.1000/a", "https://example.org/x"]


def test_ingest_csv_never_cuts_an_unquoted_sici_doi(ingestor: IdentifierListIngestor) -> None:
    """One SICI DOI a line looks like ';'-separated columns to the sniffer; it is not."""
    other = SICI.replace("693", "694")
    assert identifiers(ingestor.ingest_csv(f"{SICI}\n{other}\n")) == [SICI, other]


def test_ingest_csv_reports_a_row_without_identifier(ingestor: IdentifierListIngestor) -> None:
    result = ingestor.ingest_csv("doi,title\n,Lost title\n10.1000/a,Kept\n")
    missing = result.resources[0]
    assert (missing.identifier, missing.status) == (",Lost title", ResourceStatus.INVALID)
    assert missing.error == "CSV row ending on line 2 has no identifier in column 'doi'."
    assert result.total == 2


def test_ingest_csv_with_only_a_header_has_no_identifiers(
    ingestor: IdentifierListIngestor,
) -> None:
    with pytest.raises(InputError, match=r"^no identifiers found; the CSV file"):
        ingestor.ingest_csv("doi,title\n\n")


# --- BibTeX ---------------------------------------------------------------------------------

BIBTEX = r"""
@string{plos = "PLoS ONE"}
@comment{exported by hand}
% a line comment
@article{sadasivan2012,
  title = {Methylphenidate Exposure Induces {Dopamine} Neuron Loss},
  author = {Sadasivan, Shankar and Pond, Brooks B.},
  journal = plos,
  year = 2012,
  DOI = {10.1371/journal.pone.0033693},
}
@misc{diercks2015, title = "Clinical Symptoms", url = {https://doi.org/10.1007/978-3-662-46370-3\_13}}
@misc{seamap, title = {{OBIS-SEAMAP} data from {G}o{MMAPPS}},
  url = {https://seamap.env.duke.edu/dataset/1970}}
@book{notes, title = {M{\"u}ller's \textit{Field} Notes \& Maps}}
@misc{bad, title = {Bad}, doi = {n/a}}
@article{sadasivan2012, title = {Same key again}, doi = {10.1101/2020.12.01.406702}}
"""


def test_ingest_bibtex_reads_doi_fields_then_doi_urls(ingestor: IdentifierListIngestor) -> None:
    result = ingestor.ingest_bibtex(BIBTEX)
    assert [r.doi for r in result.resources] == [
        "10.1371/journal.pone.0033693",
        "10.1007/978-3-662-46370-3_13",
        None,
        None,
        None,
        "10.1101/2020.12.01.406702",
    ]
    assert (result.total, result.dois, result.skipped, result.invalid) == (6, 3, 2, 1)


def test_ingest_bibtex_keeps_an_entry_without_doi_as_skipped(
    ingestor: IdentifierListIngestor,
) -> None:
    """The entry's URL names it when it has one, else its citation key; its title is kept."""
    skipped = [r for r in ingestor.ingest_bibtex(BIBTEX).resources if r.status == "skipped"]
    assert [(r.identifier, r.title, r.error) for r in skipped] == [
        (
            "https://seamap.env.duke.edu/dataset/1970",
            "OBIS-SEAMAP data from GoMMAPPS",
            BIBTEX_NO_DOI,
        ),
        ("notes", "Müller's Field Notes & Maps", BIBTEX_NO_DOI),
    ]


def test_ingest_bibtex_reports_an_invalid_doi_field(ingestor: IdentifierListIngestor) -> None:
    bad = ingestor.ingest_bibtex(BIBTEX).resources[4]
    assert (bad.identifier, bad.status, bad.title) == ("n/a", ResourceStatus.INVALID, "Bad")
    assert "'n/a' is not a DOI" in (bad.error or "")


def test_ingest_bibtex_reports_an_entry_it_cannot_parse(ingestor: IdentifierListIngestor) -> None:
    text = "@article{broken, title = {unclosed\n@misc{after, doi = {10.5555/after}}\n"
    result = ingestor.ingest_bibtex(text)
    broken, after = result.resources
    assert (broken.identifier, broken.status) == ("@article{broken, title = {unclosed", "invalid")
    assert (broken.error or "").startswith("BibTeX entry at line 1 ")
    assert after.doi == "10.5555/after"


@pytest.mark.parametrize(
    ("latex", "plain"),
    [
        (r"{\'E}cole -- na{\"\i}ve \c{c}a", "École – naïve ça"),
        (r"Gr\"{o}\ss e Bj{\o}rk~\v{S}koda", "Größe Bjørk Škoda"),
        (r"50\% of \$5 \{set\} \_x \#1", "50% of $5 {set} _x #1"),
        (r"\emph{In vitro}\\ and $\alpha$ ---  more", "In vitro and — more"),
    ],
)
def test_ingest_bibtex_turns_latex_titles_into_plain_text(
    ingestor: IdentifierListIngestor, latex: str, plain: str
) -> None:
    result = ingestor.ingest_bibtex(f"@misc{{key, title = {{{latex}}}}}")
    assert result.resources[0].title == plain


def test_ingest_bibtex_without_entries_has_no_identifiers(
    ingestor: IdentifierListIngestor,
) -> None:
    with pytest.raises(InputError, match=r"^no identifiers found; the BibTeX file has no entries"):
        ingestor.ingest_bibtex("10.1000/a\n@comment{nothing}\n")


# --- uploads and bodies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("list.txt", b"10.1000/a\n10.1000/b\n"),
        ("LIST.TXT", b"\xef\xbb\xbf10.1000/a\n10.1000/b\n"),
        ("table.csv", b"doi,title\n10.1000/a,A\n10.1000/b,B\n"),
        ("table.tsv", b"doi\ttitle\n10.1000/a\tA\n10.1000/b\tB\n"),
        ("refs.bib", b"@misc{a, doi={10.1000/a}}\n@misc{b, doi={10.1000/b}}\n"),
        ("cco.json", b'{"identifiers": ["10.1000/a", "10.1000/b"]}'),
    ],
)
def test_ingest_upload_reads_a_file_by_its_extension(
    ingestor: IdentifierListIngestor, filename: str, content: bytes
) -> None:
    result = ingestor.ingest_upload(filename, content)
    assert [r.doi for r in result.resources] == ["10.1000/a", "10.1000/b"]


def test_ingest_upload_reads_the_real_cco_input_file(ingestor: IdentifierListIngestor) -> None:
    content = (DATA / "cco" / "gommapps_input.json").read_bytes()
    result = ingestor.ingest_upload("gommapps_input.json", content)
    assert (result.total, result.dois, result.metadata["output_filename_slug"]) == (
        38,
        6,
        "GOMMAPPSCCO",
    )


def test_ingest_upload_decodes_utf8_text(ingestor: IdentifierListIngestor) -> None:
    result = ingestor.ingest_upload("list.txt", "10.1000/ÉCOLE\n".encode())
    assert result.resources[0].doi == "10.1000/École"


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("list.xlsx", b"PK\x03\x04", r"cannot read 'list.xlsx': unsupported file type '.xlsx'"),
        ("README", b"10.1000/a", r"unsupported file type '\(none\)'"),
        ("latin1.txt", "10.1000/é\n".encode("latin-1"), "'latin1.txt' is not UTF-8 text"),
        ("broken.json", b'{"identifiers": [', "'broken.json' is not valid JSON: .* line 1"),
    ],
)
def test_ingest_upload_rejects_what_it_cannot_read(
    ingestor: IdentifierListIngestor, filename: str, content: bytes, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        ingestor.ingest_upload(filename, content)


@pytest.mark.parametrize(
    ("media_type", "content"),
    [
        ("application/json; charset=utf-8", b'{"identifiers": ["10.1000/a"]}'),
        ("text/plain", b"10.1000/a\n"),
        ("TEXT/CSV", b"doi\n10.1000/a\n"),
        ("application/x-bibtex", b"@misc{a, doi={10.1000/a}}"),
    ],
)
def test_ingest_body_reads_by_media_type(
    ingestor: IdentifierListIngestor, media_type: str, content: bytes
) -> None:
    assert ingestor.ingest_body(content, media_type).resources[0].doi == "10.1000/a"


def test_ingest_body_rejects_an_unknown_media_type(ingestor: IdentifierListIngestor) -> None:
    with pytest.raises(InputError, match="cannot read a 'application/xml' body; send one of"):
        ingestor.ingest_body(b"<doi/>", "application/xml")


# --- limits ---------------------------------------------------------------------------------


def test_input_over_max_bytes_is_too_large() -> None:
    ingestor = IdentifierListIngestor(max_identifiers=100, max_bytes=20)
    with pytest.raises(
        InputTooLargeError, match=r"21 bytes, over the limit of 20 .*CCO_MAX_UPLOAD"
    ):
        ingestor.ingest_upload("list.txt", b"10.1000/a\n10.1000/bc\n")


@pytest.mark.parametrize("read", ["ingest_text", "ingest_csv", "ingest_bibtex"])
def test_text_over_max_bytes_is_too_large(read: str) -> None:
    ingestor = IdentifierListIngestor(max_identifiers=100, max_bytes=10)
    with pytest.raises(InputTooLargeError, match="CCO_MAX_UPLOAD_BYTES"):
        getattr(ingestor, read)("10.1000/abcdef")


def test_input_at_max_bytes_is_read() -> None:
    ingestor = IdentifierListIngestor(max_identifiers=100, max_bytes=10)
    assert ingestor.ingest_upload("a.txt", b"10.1000/ab").total == 1


def test_more_than_max_identifiers_is_too_large() -> None:
    ingestor = IdentifierListIngestor(max_identifiers=2, max_bytes=1000)
    with pytest.raises(InputTooLargeError, match=r"more than 2 identifiers.*CCO_MAX_IDENTIFIERS"):
        ingestor.ingest_json({"identifiers": ["10.1000/a", "10.1000/b", "10.1000/c"]})


def test_duplicates_do_not_count_towards_max_identifiers() -> None:
    ingestor = IdentifierListIngestor(max_identifiers=2, max_bytes=1000)
    result = ingestor.ingest_text("10.1000/a\n10.1000/b\ndoi:10.1000/A\n")
    assert (result.total, result.duplicates) == (2, 1)


def test_build_resource_trims_invisible_characters() -> None:
    resource = build_resource("\u200b https://example.org/x \ufeff")
    assert (resource.identifier, resource.status) == ("https://example.org/x", "pending")

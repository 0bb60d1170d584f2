"""normalise_doi() and classify_identifier(): every DOI spelling people paste, and non-DOIs."""

from __future__ import annotations

import pytest

from cco_enrich.doi import IdentifierKind, classify_identifier, doi_prefix, normalise_doi
from cco_enrich.errors import InvalidDOIError

SICI = "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"
SICI_NORMALISED = "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0"


@pytest.mark.parametrize(
    "raw",
    [
        "10.1000/abc",
        "doi:10.1000/abc",
        "DOI:10.1000/abc",
        "DOI: 10.1000/abc",
        "doi :10.1000/abc",
        "info:doi/10.1000/abc",
        "urn:doi:10.1000/abc",
        "https://doi.org/10.1000/abc",
        "http://doi.org/10.1000/abc",
        "http://dx.doi.org/10.1000/abc",
        "https://dx.doi.org/10.1000/abc",
        "https://www.doi.org/10.1000/abc",
        "HTTPS://DOI.ORG/10.1000/ABC",
        "doi.org/10.1000/abc",
        "dx.doi.org/10.1000/abc",
    ],
)
def test_normalise_doi_strips_resolver_prefix(raw: str) -> None:
    assert normalise_doi(raw) == "10.1000/abc"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://doi.org/10.1000%2Fabc", "10.1000/abc"),
        ("https://doi.org/10.1000/abc%3Bdef", "10.1000/abc;def"),
        (
            "https://doi.org/10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-0",
            SICI_NORMALISED,
        ),
    ],
)
def test_normalise_doi_decodes_percent_encoded_resolver_url(raw: str, expected: str) -> None:
    assert normalise_doi(raw) == expected


def test_normalise_doi_decodes_a_resolver_url_only_once() -> None:
    """'%252F' is an encoded '%2F', which is what the DOI really contains."""
    assert normalise_doi("https://doi.org/10.1000/a%252Fb") == "10.1000/a%2fb"


def test_normalise_doi_keeps_percent_signs_of_a_bare_doi() -> None:
    assert normalise_doi("10.1000/100%25") == "10.1000/100%25"


@pytest.mark.parametrize(
    "raw",
    [
        "  10.1000/abc  ",
        "\t10.1000/abc\r\n",
        "\u200b10.1000/abc\u200b",
        "\ufeff10.1000/abc",
        "10.1000/\u2060abc\u00ad",
        "\u00a010.1000/abc\u00a0",
        "10.1000/a\u200dbc",
    ],
)
def test_normalise_doi_removes_white_space_and_invisible_characters(raw: str) -> None:
    assert normalise_doi(raw) == "10.1000/abc"


@pytest.mark.parametrize(
    "raw",
    [
        "10.1000/abc.",
        "10.1000/abc,",
        "10.1000/abc;",
        "10.1000/abc:",
        "10.1000/abc).",
        "doi: 10.1000/abc;",
        "(10.1000/abc).",
        "(10.1000/abc)",
        "[10.1000/abc]",
        "{10.1000/abc}",
        "<10.1000/abc>",
        '"10.1000/abc"',
        "'10.1000/abc',",
        "(https://doi.org/10.1000/abc)",
    ],
)
def test_normalise_doi_drops_prose_punctuation_and_wrapping_brackets(raw: str) -> None:
    assert normalise_doi(raw) == "10.1000/abc"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1000/abc\\_def", "10.1000/abc_def"),
        ("10.1000/a\\&b", "10.1000/a&b"),
        ("10.1000/50\\%", "10.1000/50%"),
    ],
)
def test_normalise_doi_unescapes_latex(raw: str, expected: str) -> None:
    assert normalise_doi(raw) == expected


def test_normalise_doi_lower_cases_ascii_only() -> None:
    """DOIs are case-insensitive for ASCII letters only (DOI Handbook 2.4)."""
    assert normalise_doi("10.1000/ÉCOLE-Ünï") == "10.1000/École-Ünï"


def test_normalise_doi_composes_decomposed_unicode() -> None:
    assert normalise_doi("10.1000/E\u0301cole") == "10.1000/\u00c9cole"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (SICI, SICI_NORMALISED),
        (f"{SICI}.", SICI_NORMALISED),
        (f"({SICI})", SICI_NORMALISED),
        (f"<{SICI}>", SICI_NORMALISED),
        ("10.1002/(SICI)1521-3773(20000103)39:1<1::AID-ANIE1>3.0.CO;2-#", None),
        ("10.1000/a(b)", "10.1000/a(b)"),
        ("10.1000/a[1]", "10.1000/a[1]"),
    ],
)
def test_normalise_doi_keeps_sici_brackets_and_punctuation(raw: str, expected: str | None) -> None:
    assert normalise_doi(raw) == (expected or raw.lower())


def test_normalise_doi_is_idempotent() -> None:
    once = normalise_doi(f"https://doi.org/{SICI}")
    assert normalise_doi(once) == once


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "hello",
        "10.1000",
        "10.1000/",
        "10.12/abc",
        "11.1000/abc",
        "10.1000/a b",
        "doi:",
        "https://doi.org/",
        "https://doi.org/not-a-doi",
        "https://example.org/10.1000/abc",
        "urn:isbn:9780262033848",
    ],
)
def test_normalise_doi_rejects_what_is_not_a_doi(raw: str) -> None:
    with pytest.raises(InvalidDOIError, match="is not a DOI"):
        normalise_doi(raw)


def test_invalid_doi_error_names_the_trimmed_value() -> None:
    with pytest.raises(InvalidDOIError) as caught:
        normalise_doi("  nonsense \n")
    assert caught.value.raw == "nonsense"
    assert str(caught.value) == (
        "'nonsense' is not a DOI; expected something like '10.5555/12345678'."
    )


@pytest.mark.parametrize(
    ("raw", "kind", "doi"),
    [
        ("10.1000/ABC", IdentifierKind.DOI, "10.1000/abc"),
        ("https://doi.org/10.1000/ABC", IdentifierKind.DOI, "10.1000/abc"),
        ("https://www.ncei.noaa.gov/archive/accession/242273", IdentifierKind.URL, None),
        ("https://seamap.env.duke.edu/?", IdentifierKind.URL, None),
        ("https://portal.atn.ioos.us/#metadata/6af10e97/project", IdentifierKind.URL, None),
        ("ftp://example.org/data.csv", IdentifierKind.URL, None),
        ("  https://example.org/x  ", IdentifierKind.URL, None),
        ("https://doi.org/not-a-doi", IdentifierKind.INVALID, None),
        ("www.example.org/x", IdentifierKind.INVALID, None),
        ("urn:isbn:9780262033848", IdentifierKind.INVALID, None),
        ("hello world", IdentifierKind.INVALID, None),
        ("", IdentifierKind.INVALID, None),
    ],
)
def test_classify_identifier(raw: str, kind: IdentifierKind, doi: str | None) -> None:
    assert classify_identifier(raw) == (kind, doi)


def test_doi_prefix_is_the_registrant_part() -> None:
    assert doi_prefix(normalise_doi("10.82144/e98987b1")) == "10.82144"

"""parse_identifier(): every spelling of every scheme, precedence between them, and non-matches."""

from __future__ import annotations

import pytest

from cco_enrich.errors import InvalidIdentifierError
from cco_enrich.identifiers import (
    InvalidIdentifier,
    ParsedIdentifier,
    Scheme,
    normalise_identifier,
    parse_identifier,
)
from cco_enrich.identifiers.arxiv import arxiv_id_of_doi
from cco_enrich.identifiers.isbn import isbn10_to_isbn13

ARXIV_DOI = "10.48550/arxiv.2101.00001"
ARXIV = {"doi": ARXIV_DOI, "arxiv": "2101.00001"}
DIA = {"doi": "10.58052/dia0000yl"}

# (as given, scheme, pid, the ids it tells: doi/arxiv/pmid/pmcid/isbn, handle to resolve)
VALID: list[tuple[str, Scheme, str, dict[str, str], str | None]] = [
    # DOIs, in every spelling, including the ones that look like other schemes
    ("10.1000/ABC", Scheme.DOI, "10.1000/abc", {"doi": "10.1000/abc"}, None),
    ("doi:10.1000/abc", Scheme.DOI, "10.1000/abc", {"doi": "10.1000/abc"}, None),
    ("https://doi.org/10.1000/abc", Scheme.DOI, "10.1000/abc", {"doi": "10.1000/abc"}, None),
    ("http://dx.doi.org/10.1000/abc", Scheme.DOI, "10.1000/abc", {"doi": "10.1000/abc"}, None),
    ("hdl:10.1000/182", Scheme.DOI, "10.1000/182", {"doi": "10.1000/182"}, None),
    ("https://hdl.handle.net/10.1000/182", Scheme.DOI, "10.1000/182", {"doi": "10.1000/182"}, None),
    ("10.58052/DIA0000YL", Scheme.DOI, "10.58052/dia0000yl", DIA, None),
    ("igsn:10.58052/DIA0000YL", Scheme.DOI, "10.58052/dia0000yl", DIA, None),
    ("https://igsn.org/10.58052/DIA0000YL", Scheme.DOI, "10.58052/dia0000yl", DIA, None),
    ("https://doi.org/10.48550/arXiv.2101.00001", Scheme.DOI, ARXIV_DOI,
     ARXIV, None),
    ("doi:10.48550/arXiv.hep-th/9901001", Scheme.DOI, "10.48550/arxiv.hep-th/9901001",
     {"doi": "10.48550/arxiv.hep-th/9901001", "arxiv": "hep-th/9901001"}, None),
    # arXiv: version kept in the pid, dropped from the DOI
    ("arXiv:2101.00001", Scheme.ARXIV, "2101.00001", ARXIV, None),
    ("arXiv:2101.00001v2", Scheme.ARXIV, "2101.00001v2",
     {"doi": ARXIV_DOI, "arxiv": "2101.00001v2"}, None),
    ("arxiv:2101.00001", Scheme.ARXIV, "2101.00001", ARXIV, None),
    ("ARXIV: 2101.00001", Scheme.ARXIV, "2101.00001", ARXIV, None),
    ("arXiv 2101.00001", Scheme.ARXIV, "2101.00001", ARXIV, None),
    ("arXiv:0704.0001", Scheme.ARXIV, "0704.0001",
     {"doi": "10.48550/arxiv.0704.0001", "arxiv": "0704.0001"}, None),
    ("arxiv.org/abs/1412.7878", Scheme.ARXIV, "1412.7878",
     {"doi": "10.48550/arxiv.1412.7878", "arxiv": "1412.7878"}, None),
    ("https://arxiv.org/abs/2101.00001", Scheme.ARXIV, "2101.00001",
     ARXIV, None),
    ("https://arxiv.org/abs/2101.00001v2", Scheme.ARXIV, "2101.00001v2",
     {"doi": ARXIV_DOI, "arxiv": "2101.00001v2"}, None),
    ("https://arxiv.org/abs/2101.00001?context=cs", Scheme.ARXIV, "2101.00001",
     ARXIV, None),
    ("http://arxiv.org/pdf/2101.00001", Scheme.ARXIV, "2101.00001",
     ARXIV, None),
    ("https://arxiv.org/pdf/2101.00001v3.pdf", Scheme.ARXIV, "2101.00001v3",
     {"doi": ARXIV_DOI, "arxiv": "2101.00001v3"}, None),
    ("https://export.arxiv.org/abs/2101.00001", Scheme.ARXIV, "2101.00001",
     ARXIV, None),
    ("hep-th/9901001", Scheme.ARXIV, "hep-th/9901001",
     {"doi": "10.48550/arxiv.hep-th/9901001", "arxiv": "hep-th/9901001"}, None),
    ("arXiv:hep-th/9901001v1", Scheme.ARXIV, "hep-th/9901001v1",
     {"doi": "10.48550/arxiv.hep-th/9901001", "arxiv": "hep-th/9901001v1"}, None),
    ("math.GT/0309136", Scheme.ARXIV, "math/0309136",
     {"doi": "10.48550/arxiv.math/0309136", "arxiv": "math/0309136"}, None),
    ("arXiv:math.GT/0309136v2", Scheme.ARXIV, "math/0309136v2",
     {"doi": "10.48550/arxiv.math/0309136", "arxiv": "math/0309136v2"}, None),
    ("https://www.arxiv.org/abs/math.GT/0309136", Scheme.ARXIV, "math/0309136",
     {"doi": "10.48550/arxiv.math/0309136", "arxiv": "math/0309136"}, None),
    # PubMed
    ("PMID: 123", Scheme.PMID, "123", {"pmid": "123"}, None),
    ("PMID:123", Scheme.PMID, "123", {"pmid": "123"}, None),
    ("pmid:123", Scheme.PMID, "123", {"pmid": "123"}, None),
    ("PMID 31036960", Scheme.PMID, "31036960", {"pmid": "31036960"}, None),
    ("PMID: 000123", Scheme.PMID, "123", {"pmid": "123"}, None),
    ("pubmed:123", Scheme.PMID, "123", {"pmid": "123"}, None),
    ("https://pubmed.ncbi.nlm.nih.gov/123/", Scheme.PMID, "123", {"pmid": "123"}, None),
    ("https://pubmed.ncbi.nlm.nih.gov/123", Scheme.PMID, "123", {"pmid": "123"}, None),
    ("pubmed.ncbi.nlm.nih.gov/123/", Scheme.PMID, "123", {"pmid": "123"}, None),
    ("https://www.ncbi.nlm.nih.gov/pubmed/123", Scheme.PMID, "123", {"pmid": "123"}, None),
    ("https://europepmc.org/article/MED/123", Scheme.PMID, "123", {"pmid": "123"}, None),
    # PubMed Central
    ("PMC1234567", Scheme.PMCID, "PMC1234567", {"pmcid": "PMC1234567"}, None),
    ("pmc1234567", Scheme.PMCID, "PMC1234567", {"pmcid": "PMC1234567"}, None),
    ("PMC1234567.1", Scheme.PMCID, "PMC1234567", {"pmcid": "PMC1234567"}, None),
    ("pmcid:PMC1234567", Scheme.PMCID, "PMC1234567", {"pmcid": "PMC1234567"}, None),
    ("PMCID: PMC1234567", Scheme.PMCID, "PMC1234567", {"pmcid": "PMC1234567"}, None),
    ("pmcid: 1234567", Scheme.PMCID, "PMC1234567", {"pmcid": "PMC1234567"}, None),
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1234567/", Scheme.PMCID, "PMC1234567",
     {"pmcid": "PMC1234567"}, None),
    ("https://pmc.ncbi.nlm.nih.gov/articles/PMC1234567/", Scheme.PMCID, "PMC1234567",
     {"pmcid": "PMC1234567"}, None),
    ("https://pmc.ncbi.nlm.nih.gov/articles/PMC1234567/pdf/main.pdf", Scheme.PMCID, "PMC1234567",
     {"pmcid": "PMC1234567"}, None),
    ("https://europepmc.org/article/PMC/PMC1234567", Scheme.PMCID, "PMC1234567",
     {"pmcid": "PMC1234567"}, None),
    # ISBN: always ISBN-13, checked
    ("978-0-306-40615-7", Scheme.ISBN, "9780306406157", {"isbn": "9780306406157"}, None),
    ("9780306406157", Scheme.ISBN, "9780306406157", {"isbn": "9780306406157"}, None),
    ("978 0 306 40615 7", Scheme.ISBN, "9780306406157", {"isbn": "9780306406157"}, None),
    ("isbn:9780306406157", Scheme.ISBN, "9780306406157", {"isbn": "9780306406157"}, None),
    ("ISBN 978-0-306-40615-7", Scheme.ISBN, "9780306406157", {"isbn": "9780306406157"}, None),
    ("ISBN: 978-0-306-40615-7", Scheme.ISBN, "9780306406157", {"isbn": "9780306406157"}, None),
    ("ISBN-13: 978-0-306-40615-7", Scheme.ISBN, "9780306406157", {"isbn": "9780306406157"}, None),
    ("ISBN13: 9780306406157", Scheme.ISBN, "9780306406157", {"isbn": "9780306406157"}, None),
    ("urn:isbn:9780306406157", Scheme.ISBN, "9780306406157", {"isbn": "9780306406157"}, None),
    ("0-306-40615-2", Scheme.ISBN, "9780306406157", {"isbn": "9780306406157"}, None),
    ("0306406152", Scheme.ISBN, "9780306406157", {"isbn": "9780306406157"}, None),
    ("ISBN-10: 0-306-40615-2", Scheme.ISBN, "9780306406157", {"isbn": "9780306406157"}, None),
    ("ISBN 0-8044-2957-X", Scheme.ISBN, "9780804429573", {"isbn": "9780804429573"}, None),
    ("080442957x", Scheme.ISBN, "9780804429573", {"isbn": "9780804429573"}, None),
    ("979-10-90636-07-1", Scheme.ISBN, "9791090636071", {"isbn": "9791090636071"}, None),
    # Handles
    ("hdl:20.500.1234/5", Scheme.HANDLE, "20.500.1234/5", {}, "20.500.1234/5"),
    ("HDL:20.500.1234/5", Scheme.HANDLE, "20.500.1234/5", {}, "20.500.1234/5"),
    ("info:hdl/20.500.1234/5", Scheme.HANDLE, "20.500.1234/5", {}, "20.500.1234/5"),
    ("https://hdl.handle.net/20.500.1234/5", Scheme.HANDLE, "20.500.1234/5", {}, "20.500.1234/5"),
    ("https://hdl.handle.net/20.500.1234/5?noredirect", Scheme.HANDLE, "20.500.1234/5", {},
     "20.500.1234/5"),
    ("http://hdl.handle.net/2027/mdp.39015078566719", Scheme.HANDLE, "2027/mdp.39015078566719",
     {}, "2027/mdp.39015078566719"),
    ("hdl.handle.net/1887/12345", Scheme.HANDLE, "1887/12345", {}, "1887/12345"),
    # IGSNs: the Handle 10273/<IGSN>, upper-case
    ("igsn:IECUR0097", Scheme.IGSN, "IECUR0097", {}, "10273/IECUR0097"),
    ("IGSN IECUR0097", Scheme.IGSN, "IECUR0097", {}, "10273/IECUR0097"),
    ("IGSN: IECUR0097", Scheme.IGSN, "IECUR0097", {}, "10273/IECUR0097"),
    ("IGSN:iecur0097", Scheme.IGSN, "IECUR0097", {}, "10273/IECUR0097"),
    ("https://igsn.org/IECUR0097", Scheme.IGSN, "IECUR0097", {}, "10273/IECUR0097"),
    ("http://igsn.org/IECUR0097/", Scheme.IGSN, "IECUR0097", {}, "10273/IECUR0097"),
    ("hdl:10273/IECUR0097", Scheme.IGSN, "IECUR0097", {}, "10273/IECUR0097"),
    ("https://hdl.handle.net/10273/IECUR0097", Scheme.IGSN, "IECUR0097", {}, "10273/IECUR0097"),
    # ARKs: one normal form, without the slash after "ark:"
    ("ark:/13030/tf5p30086k", Scheme.ARK, "ark:13030/tf5p30086k", {}, None),
    ("ark:13030/tf5p30086k", Scheme.ARK, "ark:13030/tf5p30086k", {}, None),
    ("ARK:/13030/tf5p30086k", Scheme.ARK, "ark:13030/tf5p30086k", {}, None),
    ("ark:/13030/tf5p30086k?", Scheme.ARK, "ark:13030/tf5p30086k", {}, None),
    ("ark:/12148/btv1b8449691v/f29", Scheme.ARK, "ark:12148/btv1b8449691v/f29", {}, None),
    ("https://n2t.net/ark:/13030/tf5p30086k", Scheme.ARK, "ark:13030/tf5p30086k", {}, None),
    ("http://n2t.net/ark:13030/tf5p30086k", Scheme.ARK, "ark:13030/tf5p30086k", {}, None),
    ("https://arks.org/ark:/13030/tf5p30086k", Scheme.ARK, "ark:13030/tf5p30086k", {}, None),
    # URLs: anything else with a scheme, kept as given
    ("https://example.org/x", Scheme.URL, "https://example.org/x", {}, None),
    ("https://example.org/x#part-2", Scheme.URL, "https://example.org/x#part-2", {}, None),
    ("ftp://ftp.example.org/data.csv", Scheme.URL, "ftp://ftp.example.org/data.csv", {}, None),
    ("https://arxiv.org/list/hep-th/new", Scheme.URL, "https://arxiv.org/list/hep-th/new", {},
     None),
    ("https://pubmed.ncbi.nlm.nih.gov/?term=cancer", Scheme.URL,
     "https://pubmed.ncbi.nlm.nih.gov/?term=cancer", {}, None),
    ("https://www.ncbi.nlm.nih.gov/pmc/", Scheme.URL, "https://www.ncbi.nlm.nih.gov/pmc/", {},
     None),
    ("https://www.oac.cdlib.org/findaid/ark:/13030/tf5p30086k", Scheme.URL,
     "https://www.oac.cdlib.org/findaid/ark:/13030/tf5p30086k", {}, None),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "scheme", "pid", "ids", "handle"), VALID)
def test_parse_identifier_recognises_and_normalises(
    raw: str, scheme: Scheme, pid: str, ids: dict[str, str], handle: str | None
) -> None:
    parsed = parse_identifier(raw)
    assert isinstance(parsed, ParsedIdentifier), parsed
    assert (parsed.scheme, parsed.pid, parsed.ids(), parsed.handle) == (scheme, pid, ids, handle)
    assert parsed.raw == raw


# (as given, words the message must hold, the scheme it was taken for)
INVALID: list[tuple[str, str, Scheme | None]] = [
    ("", "blank", None),
    ("   ", "blank", None),
    ("nonsense", "'nonsense' is not a DOI", None),
    ("12345678", "PMID: 31036960", None),  # a bare number could be anything: say what we read
    ("2101.00001", "arXiv:2101.00001", None),  # a new-style id needs its "arXiv:" label
    ("www.example.org/page", "is not a DOI", None),  # no scheme: not a URL
    ("javascript:alert(1)", "is not a DOI", None),
    ("foo-bar/9901001", "is not a DOI", None),  # not an arXiv archive
    ("hep-th/0801001", "is not a DOI", None),  # old style ended in March 2007
    ("pubmed.ncbi.nlm.nih.gov/abc/", "is not a DOI", None),
    ("https://doi.org/not-a-doi", "is not a DOI", Scheme.DOI),
    ("https://doi.org/", "is not a DOI", Scheme.DOI),
    ("arXiv:2101.0001", "not an arXiv identifier", None),  # five digits since 2015
    ("arXiv:1412.00001", "not an arXiv identifier", None),  # four digits until 2014
    ("arXiv:0612.1234", "not an arXiv identifier", None),  # new style began in April 2007
    ("arXiv:2113.00001", "not an arXiv identifier", None),  # month 13
    ("arXiv:2101.00001v0", "not an arXiv identifier", None),
    ("arXiv:hep-th/9107001", "not an arXiv identifier", None),  # before August 1991
    ("https://arxiv.org/abs/garbage", "not an arXiv identifier", None),
    ("PMID: abc", "is not a PMID", None),
    ("PMID: 0", "is not a PMID", None),
    ("PMID: 1234567890", "is not a PMID", None),
    ("PMCID: PMCabc", "is not a PMCID", None),
    ("ISBN 978-0-306-40615-8", "check digit is '8' but the other digits need '7'", Scheme.ISBN),
    ("978-0-306-40615-8", "check digit", Scheme.ISBN),
    ("ISBN-10: 0-306-40615-3", "check digit is '3' but the other digits need '2'", Scheme.ISBN),
    ("ISBN 12345", "expected 10 digits", Scheme.ISBN),
    ("ISBN 0-306-4061X-2", "expected 10 digits", Scheme.ISBN),
    ("ISBN 978030640615X", "expected 10 digits", Scheme.ISBN),
    ("ISBN 9770306406157", "starts with 978 or 979", Scheme.ISBN),
    ("hdl:nonsense", "is not a Handle", None),
    ("hdl:20.500.1234", "is not a Handle", None),
    ("hdl:20.500.1234/", "is not a Handle", None),
    ("hdl:10.1000/", "is not a Handle", None),
    ("hdl:10.1/x", "is not a DOI", Scheme.DOI),  # a DOI prefix has four digits or more
    ("igsn:", "is not an IGSN", None),
    ("IGSN: has space", "is not an IGSN", None),
    ("ark:/123/x", "is not an ARK", None),
    ("ark:/13030/", "is not an ARK", None),
]


@pytest.mark.parametrize(("raw", "message", "scheme"), INVALID)
def test_parse_identifier_says_why_it_cannot_read(
    raw: str, message: str, scheme: Scheme | None
) -> None:
    parsed = parse_identifier(raw)
    assert isinstance(parsed, InvalidIdentifier), parsed
    assert message in parsed.message
    assert parsed.scheme is scheme


@pytest.mark.parametrize(
    ("raw", "iri"),
    [
        ("10.1000/a<b>", "https://doi.org/10.1000/a%3Cb%3E"),
        ("https://example.org/x?a=1", "https://example.org/x?a=1"),
        ("hdl:20.500.1234/5", "https://hdl.handle.net/20.500.1234/5"),
        ("igsn:IECUR0097", "https://igsn.org/IECUR0097"),
        ("ark:/13030/tf5p30086k", "https://n2t.net/ark:13030/tf5p30086k"),
        ("arXiv:2101.00001v2", "https://arxiv.org/abs/2101.00001v2"),
        ("PMID: 123", "https://pubmed.ncbi.nlm.nih.gov/123/"),
        ("PMC1234567", "https://pmc.ncbi.nlm.nih.gov/articles/PMC1234567/"),
        ("0-306-40615-2", "urn:isbn:9780306406157"),
    ],
)
def test_iri_is_the_canonical_link_of_each_scheme(raw: str, iri: str) -> None:
    parsed = normalise_identifier(raw)
    assert parsed.iri == iri


def test_parse_identifier_drops_invisible_characters_and_outer_space() -> None:
    parsed = parse_identifier("\ufeff  PMID:\u200b123 \n")
    assert isinstance(parsed, ParsedIdentifier)
    assert (parsed.raw, parsed.pid) == ("PMID:123", "123")


def test_normalise_identifier_raises_with_the_reason() -> None:
    with pytest.raises(InvalidIdentifierError, match="check digit") as caught:
        normalise_identifier("ISBN 978-0-306-40615-8")
    assert caught.value.raw == "ISBN 978-0-306-40615-8"


def test_arxiv_versions_share_one_doi() -> None:
    """Two versions of one preprint are one DataCite record: the DOI has no version."""
    v1, v2 = normalise_identifier("arXiv:2101.00001v1"), normalise_identifier("arXiv:2101.00001v2")
    assert v1.doi == v2.doi == ARXIV_DOI
    assert (v1.pid, v2.pid) == ("2101.00001v1", "2101.00001v2")


@pytest.mark.parametrize(
    ("doi", "arxiv"),
    [
        ("10.48550/arxiv.2101.00001", "2101.00001"),
        ("10.48550/arxiv.math/0309136", "math/0309136"),
        ("10.48550/arxiv.nonsense", None),
        ("10.1000/arxiv.2101.00001", None),
    ],
)
def test_arxiv_id_of_doi(doi: str, arxiv: str | None) -> None:
    assert arxiv_id_of_doi(doi) == arxiv


def test_isbn10_to_isbn13_recomputes_the_check_digit() -> None:
    assert isbn10_to_isbn13("080442957X") == "9780804429573"

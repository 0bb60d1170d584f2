"""parse_identifier(): which scheme an identifier is written in, and its normal form. Pure.

model.py     Scheme, ParsedIdentifier, InvalidIdentifier
arxiv.py     arXiv ids and their DOIs        pubmed.py   PMIDs and PMCIDs
isbn.py      ISBN-10/13, check digits         handles.py  Handles, IGSNs, ARKs
urls.py      the same ids written as URLs of the services that resolve them

Precedence, first match wins: a DOI in any spelling (doi.org URLs, `doi:`, `hdl:10.…`);
a labelled identifier (`arXiv:`, `PMID:`, `PMCID:`, `ISBN`, `hdl:`, `IGSN`, `ark:`); a URL of
a known resolver (arxiv.org, PubMed, PMC, Europe PMC, hdl.handle.net, igsn.org, n2t.net);
an unlabelled id distinctive enough to stand alone (`PMC123`, `hep-th/9901001`, an ISBN with
its check digit); any other URL; else invalid. Bare numbers and new-style arXiv ids without
`arXiv:` are not guessed at: `12345678` could be a PMID, a page or a typo.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from cco_enrich.doi import normalise_doi
from cco_enrich.errors import InvalidDOIError, InvalidIdentifierError
from cco_enrich.identifiers.arxiv import doi_identifier, is_old_style_arxiv_id, parse_arxiv
from cco_enrich.identifiers.handles import parse_ark, parse_handle, parse_igsn
from cco_enrich.identifiers.isbn import PREFIX as ISBN_PREFIX
from cco_enrich.identifiers.isbn import parse_isbn
from cco_enrich.identifiers.model import InvalidIdentifier, ParsedIdentifier, Scheme
from cco_enrich.identifiers.pubmed import BARE_PMCID, parse_pmcid, parse_pmid
from cco_enrich.identifiers.urls import parse_service_url

__all__ = [
    "InvalidIdentifier",
    "ParsedIdentifier",
    "Scheme",
    "normalise_identifier",
    "parse_identifier",
]

Parsed = ParsedIdentifier | InvalidIdentifier

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_ANY_URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)
EXPECTED = (
    "other identifiers we read look like 'https://example.org/page', 'arXiv:2101.00001', "
    "'PMID: 31036960', 'PMC5122160', 'ISBN 978-0-306-40615-7', 'hdl:20.500.1234/5', "
    "'IGSN IECUR0097' or 'ark:/13030/tf5p30086k'."
)


def _isbn(raw: str, body: str) -> Parsed:
    parsed = parse_isbn(raw, body, prefixed=True)
    return parsed if parsed is not None else InvalidIdentifier(raw, "not an ISBN", Scheme.ISBN)


_LABELS: tuple[tuple[re.Pattern[str], Callable[[str, str], Parsed]], ...] = (
    (re.compile(r"^arxiv\s*(?::\s*|\s+)", re.IGNORECASE), parse_arxiv),
    (re.compile(r"^(?:pmid|pubmed)\s*(?::\s*|\s+)", re.IGNORECASE), parse_pmid),
    (re.compile(r"^(?:pmcid|pmc)\s*(?::\s*|\s+)", re.IGNORECASE), parse_pmcid),
    (ISBN_PREFIX, _isbn),
    (re.compile(r"^(?:hdl:|info:hdl/|handle:)\s*", re.IGNORECASE), parse_handle),
    (re.compile(r"^igsn\s*(?::\s*|\s+)", re.IGNORECASE), parse_igsn),
    (re.compile(r"^ark:", re.IGNORECASE), parse_ark),
)


def parse_identifier(raw: str) -> ParsedIdentifier | InvalidIdentifier:
    """The scheme and normal form of one identifier as given, or why it cannot be read."""
    text = unicodedata.normalize("NFC", raw).translate(_INVISIBLE).strip()
    if not text:
        return InvalidIdentifier(raw, f"the identifier is blank; {EXPECTED}")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        return InvalidIdentifier(text, f"{text!r} holds control characters; {EXPECTED}")
    try:
        return doi_identifier(text, normalise_doi(text))
    except InvalidDOIError:
        pass
    for label, parse in _LABELS:
        match = label.match(text)
        if match is not None:
            return parse(text, text[match.end() :])
    parsed = parse_service_url(text, text) or _parse_unlabelled(text)
    if parsed is not None:
        return parsed
    if _ANY_URL.match(text):
        return ParsedIdentifier(raw=text, scheme=Scheme.URL, pid=text)
    return InvalidIdentifier(text, f"{InvalidDOIError(text)} Or, {EXPECTED}")


def normalise_identifier(raw: str) -> ParsedIdentifier:
    """Like parse_identifier(), raising for what cannot be read.

    Raises:
        InvalidIdentifierError: `raw` is not an identifier of any scheme we read.
    """
    parsed = parse_identifier(raw)
    if isinstance(parsed, InvalidIdentifier):
        raise InvalidIdentifierError(parsed.raw, parsed.message)
    return parsed


def _parse_unlabelled(text: str) -> Parsed | None:
    if BARE_PMCID.match(text):
        return parse_pmcid(text, text)
    if is_old_style_arxiv_id(text):
        return parse_arxiv(text, text)
    return parse_isbn(text, text, prefixed=False)

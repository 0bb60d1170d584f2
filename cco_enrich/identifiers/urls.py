"""Identifiers written as URLs of the services that resolve them (arxiv.org, PubMed, ...). Pure.

A URL of one of these hosts whose path names no identifier (a listing, a search) is left to
the caller as a plain URL; a doi.org URL reaching here is a DOI that failed to parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from cco_enrich.errors import InvalidDOIError
from cco_enrich.identifiers.arxiv import parse_arxiv
from cco_enrich.identifiers.handles import parse_ark, parse_handle, parse_igsn
from cco_enrich.identifiers.model import InvalidIdentifier, ParsedIdentifier, Scheme
from cco_enrich.identifiers.pubmed import parse_pmcid, parse_pmid

Parsed = ParsedIdentifier | InvalidIdentifier
_Route = Callable[[str, str], Parsed | None]

_ARXIV_PATH = re.compile(r"^/(?:abs|pdf|html)/(?P<id>.+?)(?:\.pdf)?/?$")
_PUBMED_PATH = re.compile(r"^/(?P<pmid>\d+)/?$")
_NCBI_PATH = re.compile(r"^/(?:pubmed/(?P<pmid>\d+)/?|pmc/articles/(?P<pmcid>PMC\d+)(?:/.*)?)$")
_PMC_PATH = re.compile(r"^/articles/(?P<pmcid>PMC\d+)(?:/.*)?$")
_EUROPEPMC_PATH = re.compile(
    r"^/(?:article|abstract)/(?:MED/(?P<pmid>\d+)|PMC/(?P<pmcid>PMC\d+))/?$", re.IGNORECASE
)
_ARK_PATH = re.compile(r"^/ark:(?P<ark>.+)$", re.IGNORECASE)


def parse_service_url(raw: str, text: str) -> Parsed | None:
    """The identifier a URL of a known resolver names; None for any other URL.

    The scheme may be left out (`pubmed.ncbi.nlm.nih.gov/123/`); query and fragment are
    ignored, since they never change which identifier the path names.
    """
    if any(ch.isspace() for ch in text):
        return None
    try:
        parts = urlsplit(text if "://" in text else "https://" + text)
    except ValueError:  # "Invalid IPv6 URL": an unbalanced bracket is no resolver's URL
        return None
    route = _ROUTES.get((parts.hostname or "").lower())
    if route is None or parts.scheme.lower() not in ("http", "https"):
        return None
    return route(raw, unquote(parts.path))


def _arxiv(raw: str, path: str) -> Parsed | None:
    match = _ARXIV_PATH.match(path)
    return parse_arxiv(raw, match["id"]) if match else None


def _pubmed(raw: str, path: str) -> Parsed | None:
    match = _PUBMED_PATH.match(path)
    return parse_pmid(raw, match["pmid"]) if match else None


def _pmid_or_pmcid(pattern: re.Pattern[str]) -> _Route:
    def route(raw: str, path: str) -> Parsed | None:
        match = pattern.match(path)
        if match is None:
            return None
        return parse_pmid(raw, match["pmid"]) if match["pmid"] else parse_pmcid(raw, match["pmcid"])

    return route


def _pmc(raw: str, path: str) -> Parsed | None:
    match = _PMC_PATH.match(path)
    return parse_pmcid(raw, match["pmcid"]) if match else None


def _handle(raw: str, path: str) -> Parsed | None:
    handle = path.lstrip("/")
    return parse_handle(raw, handle) if handle else None


def _igsn(raw: str, path: str) -> Parsed | None:
    igsn = path.strip("/")
    return parse_igsn(raw, igsn) if igsn else None


def _ark(raw: str, path: str) -> Parsed | None:
    match = _ARK_PATH.match(path)
    return parse_ark(raw, match["ark"]) if match else None


def _broken_doi(raw: str, path: str) -> Parsed:
    return InvalidIdentifier(raw, str(InvalidDOIError(raw)), Scheme.DOI)


_ROUTES: dict[str, _Route] = {
    **dict.fromkeys(("arxiv.org", "www.arxiv.org", "export.arxiv.org"), _arxiv),
    "pubmed.ncbi.nlm.nih.gov": _pubmed,
    **dict.fromkeys(("www.ncbi.nlm.nih.gov", "ncbi.nlm.nih.gov"), _pmid_or_pmcid(_NCBI_PATH)),
    "pmc.ncbi.nlm.nih.gov": _pmc,
    **dict.fromkeys(("europepmc.org", "www.europepmc.org"), _pmid_or_pmcid(_EUROPEPMC_PATH)),
    "hdl.handle.net": _handle,
    **dict.fromkeys(("igsn.org", "www.igsn.org"), _igsn),
    **dict.fromkeys(("n2t.net", "arks.org"), _ark),
    **dict.fromkeys(("doi.org", "dx.doi.org", "www.doi.org"), _broken_doi),
}

"""Scheme, ParsedIdentifier and InvalidIdentifier: what parse_identifier() answers. Pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from cco_enrich.doi import DOI, doi_url

HANDLE_PROXY = "https://hdl.handle.net/"
ARK_RESOLVER = "https://n2t.net/"
IGSN_HANDLE_PREFIX = "10273"
"""IGSNs registered before DataCite took over are Handles under this prefix: 10273/<IGSN>."""


class Scheme(StrEnum):
    DOI = "doi"
    URL = "url"
    HANDLE = "handle"
    IGSN = "igsn"
    ARK = "ark"
    ARXIV = "arxiv"
    PMID = "pmid"
    PMCID = "pmcid"
    ISBN = "isbn"


@dataclass(frozen=True, slots=True)
class ParsedIdentifier:
    """One identifier recognised in its scheme, normalised, with every id it already tells us.

    `pid` is the normalised identifier in its scheme: `10.1000/x`, the URL, `20.500.1/2`,
    `IECUR0097` (an IGSN), `ark:12345/x`, `2101.00001v2`, `123`, `PMC123`, `9780306406157`.
    `doi` is the DOI when one is known without a lookup (a DOI, or an arXiv id's DOI);
    `handle` is the Handle to resolve through the Handle proxy (Handles and IGSNs).
    """

    raw: str
    scheme: Scheme
    pid: str
    doi: DOI | None = None
    handle: str | None = None
    arxiv: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    isbn: str | None = None

    @property
    def iri(self) -> str:
        """The canonical IRI of the PID: a resolver link, the URL itself, or a URN."""
        return _IRI[self.scheme](self)

    def ids(self) -> dict[str, str]:
        """The ids a resource takes from this identifier: doi, arxiv, pmid, pmcid, isbn."""
        found = {
            "doi": self.doi,
            "arxiv": self.arxiv,
            "pmid": self.pmid,
            "pmcid": self.pmcid,
            "isbn": self.isbn,
        }
        return {name: value for name, value in found.items() if value is not None}


@dataclass(frozen=True, slots=True)
class InvalidIdentifier:
    """An identifier we could not read, and a message saying why and what we expected.

    `scheme` names the scheme it claimed or resembled (a bad ISBN check digit), if any.
    """

    raw: str
    message: str
    scheme: Scheme | None = None


_IRI: dict[Scheme, Callable[[ParsedIdentifier], str]] = {
    Scheme.DOI: lambda p: doi_url(p.pid),
    Scheme.URL: lambda p: p.pid,
    Scheme.HANDLE: lambda p: HANDLE_PROXY + quote(p.pid, safe="/:;.-_~!$&'()*+,=@"),
    Scheme.IGSN: lambda p: "https://igsn.org/" + quote(p.pid, safe=""),
    Scheme.ARK: lambda p: ARK_RESOLVER + quote(p.pid, safe="/:.-_~=+*@$!"),
    Scheme.ARXIV: lambda p: "https://arxiv.org/abs/" + p.pid,
    Scheme.PMID: lambda p: f"https://pubmed.ncbi.nlm.nih.gov/{p.pid}/",
    Scheme.PMCID: lambda p: f"https://pmc.ncbi.nlm.nih.gov/articles/{p.pid}/",
    Scheme.ISBN: lambda p: "urn:isbn:" + p.pid,
}

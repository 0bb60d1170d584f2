"""arXiv identifiers, new (2101.00001v2) and old style (hep-th/9901001), and their DOIs. Pure.

arXiv's own rules (info.arxiv.org/help/arxiv_identifier): since April 2007 `YYMM.NNNN`, five
digits since January 2015; before that `archive[.SC]/YYMMNNN`, where the subject class `.SC` is
not part of the identifier (`math.GT/0309136` is `math/0309136`). `vN` names one version.
"""

from __future__ import annotations

import re

from cco_enrich.doi import DOI, normalise_doi
from cco_enrich.identifiers.model import InvalidIdentifier, ParsedIdentifier, Scheme

ARXIV_DOI_PREFIX = "10.48550/arxiv."

# The archives of the old scheme (1991 to March 2007), from arXiv's list of archives.
OLD_ARCHIVES = frozenset(
    {
        "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an",
        "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an",
        "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin",
        "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "quant-ph",
        "solv-int", "supr-con",
    }
)  # fmt: skip
_NEW = re.compile(r"^(?P<yy>\d\d)(?P<mm>\d\d)\.(?P<number>\d{4,5})(?P<version>v\d+)?$")
_OLD = re.compile(
    r"^(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[a-z]{2})?/(?P<yy>\d\d)(?P<mm>\d\d)(?P<number>\d{3})"
    r"(?P<version>v\d+)?$",
    re.IGNORECASE,
)
_EXAMPLE = "expected something like 'arXiv:2101.00001', 'arXiv:2101.00001v2' or 'hep-th/9901001'"


def split_arxiv_id(text: str) -> tuple[str, str] | None:
    """(id without version, version or '') of an arXiv id, or None when it is not one."""
    new = _NEW.match(text)
    if new is not None:
        yymm, digits = int(new["yy"] + new["mm"]), len(new["number"])
        valid_month = 1 <= int(new["mm"]) <= 12
        # Four digits from 0704 to 1412, five from 1501 on.
        valid_length = (704 <= yymm <= 1412 and digits == 4) or (yymm >= 1501 and digits == 5)
        if not (valid_month and valid_length and _is_version(new["version"])):
            return None
        return f"{new['yy']}{new['mm']}.{new['number']}", new["version"] or ""
    old = _OLD.match(text)
    if old is None or old["archive"].lower() not in OLD_ARCHIVES:
        return None
    year = int(old["yy"]) + (1900 if int(old["yy"]) >= 91 else 2000)
    month = int(old["mm"])
    # The old scheme ran from August 1991 to March 2007.
    in_range = 1 <= month <= 12 and (1991, 8) <= (year, month) <= (2007, 3)
    if not (in_range and _is_version(old["version"])):
        return None
    return f"{old['archive'].lower()}/{old['yy']}{old['mm']}{old['number']}", old["version"] or ""


def is_old_style_arxiv_id(text: str) -> bool:
    """Whether `text` is a bare old-style id (`hep-th/9901001`): distinctive enough unprefixed."""
    return _OLD.match(text) is not None and split_arxiv_id(text) is not None


def arxiv_doi(arxiv_id: str) -> DOI:
    """The DOI DataCite holds for an arXiv id (version dropped): 10.48550/arxiv.<id>."""
    return normalise_doi(ARXIV_DOI_PREFIX + split_version(arxiv_id))


def split_version(arxiv_id: str) -> str:
    """An arXiv id without its version: `2101.00001v2` -> `2101.00001`."""
    return re.sub(r"v\d+$", "", arxiv_id)


def arxiv_id_of_doi(doi: str) -> str | None:
    """The arXiv id an arXiv DOI names (`10.48550/arxiv.2101.00001` -> `2101.00001`), or None."""
    if not doi.lower().startswith(ARXIV_DOI_PREFIX):
        return None
    parts = split_arxiv_id(doi[len(ARXIV_DOI_PREFIX) :])
    return parts[0] if parts is not None and not parts[1] else None


def doi_identifier(raw: str, doi: DOI) -> ParsedIdentifier:
    """A DOI as a parsed identifier; an arXiv DOI also tells its arXiv id."""
    return ParsedIdentifier(
        raw=raw, scheme=Scheme.DOI, pid=doi, doi=doi, arxiv=arxiv_id_of_doi(doi)
    )


def parse_arxiv(raw: str, text: str) -> ParsedIdentifier | InvalidIdentifier:
    """`text` (after "arXiv:" or from an arxiv.org URL) as an arXiv identifier."""
    parts = split_arxiv_id(text.strip())
    if parts is None:
        return InvalidIdentifier(raw, f"{raw!r} is not an arXiv identifier; {_EXAMPLE}.")
    pid = parts[0] + parts[1]
    return ParsedIdentifier(
        raw=raw, scheme=Scheme.ARXIV, pid=pid, doi=arxiv_doi(parts[0]), arxiv=pid
    )


def _is_version(version: str | None) -> bool:
    return version is None or int(version[1:]) >= 1

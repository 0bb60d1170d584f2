"""PubMed ids (PMID) and PubMed Central ids (PMCID): spellings and normal forms. Pure."""

from __future__ import annotations

import re

from cco_enrich.identifiers.model import InvalidIdentifier, ParsedIdentifier, Scheme

# PMIDs are positive integers, eight digits today; nine leaves room to grow.
_PMID = re.compile(r"^0*(?P<number>[1-9]\d{0,8})$")
# A PMCID may carry an article version (PMC1234567.1); the article is the same.
_PMCID = re.compile(r"^(?:pmc)?0*(?P<number>[1-9]\d{0,9})(?:\.\d+)?$", re.IGNORECASE)
BARE_PMCID = re.compile(r"^pmc\d+(?:\.\d+)?$", re.IGNORECASE)


def normalise_pmid(text: str) -> str | None:
    """The PMID written in `text` (digits, leading zeros dropped), or None."""
    match = _PMID.match(text.strip())
    return match["number"] if match else None


def normalise_pmcid(text: str) -> str | None:
    """The PMCID written in `text` as `PMC<digits>` (with or without PMC, no version), or None."""
    match = _PMCID.match(text.strip())
    return f"PMC{match['number']}" if match else None


def parse_pmid(raw: str, text: str) -> ParsedIdentifier | InvalidIdentifier:
    """`text` (after "PMID:" or from a PubMed URL) as a PMID."""
    pmid = normalise_pmid(text)
    if pmid is None:
        return InvalidIdentifier(
            raw, f"{raw!r} is not a PMID; expected a number such as 'PMID: 31036960'."
        )
    return ParsedIdentifier(raw=raw, scheme=Scheme.PMID, pid=pmid, pmid=pmid)


def parse_pmcid(raw: str, text: str) -> ParsedIdentifier | InvalidIdentifier:
    """`text` (after "PMCID:", bare, or from a PMC URL) as a PMCID."""
    pmcid = normalise_pmcid(text)
    if pmcid is None:
        return InvalidIdentifier(
            raw, f"{raw!r} is not a PMCID; expected 'PMC' and digits such as 'PMC5122160'."
        )
    return ParsedIdentifier(raw=raw, scheme=Scheme.PMCID, pid=pmcid, pmcid=pmcid)

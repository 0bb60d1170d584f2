"""Handles, IGSNs (Handles under 10273) and ARKs: spellings and normal forms. Pure.

A Handle whose prefix starts with `10.` is a DOI, and an IGSN written as a DOI
(`10.58052/DIA0000YL`, registered with DataCite) is a DOI too: both are returned as DOIs.
"""

from __future__ import annotations

import re

from cco_enrich.doi import normalise_doi
from cco_enrich.errors import InvalidDOIError
from cco_enrich.identifiers.arxiv import doi_identifier
from cco_enrich.identifiers.model import (
    IGSN_HANDLE_PREFIX,
    InvalidIdentifier,
    ParsedIdentifier,
    Scheme,
)

_HANDLE = re.compile(r"^(?P<prefix>[0-9][0-9A-Za-z]*(?:\.[0-9A-Za-z]+)*)/(?P<suffix>\S+)$")
_IGSN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# NAANs are five or more "betanumeric" characters (digits and consonants but l).
_ARK = re.compile(r"^/?(?P<naan>[0-9bcdfghjkmnpqrstvwxz]{5,})/(?P<name>\S+?)\?{0,2}$")
_DOI_LIKE = re.compile(r"^10\.\d+")


def parse_handle(raw: str, text: str) -> ParsedIdentifier | InvalidIdentifier:
    """`text` (after "hdl:" or from an hdl.handle.net URL) as a Handle, an IGSN or a DOI."""
    text = text.strip()
    match = _HANDLE.match(text)
    if match is None:
        return InvalidIdentifier(
            raw, f"{raw!r} is not a Handle; expected prefix/suffix such as 'hdl:20.500.1234/5'."
        )
    if _DOI_LIKE.match(match["prefix"]):
        return _as_doi(raw, text)
    if match["prefix"] == IGSN_HANDLE_PREFIX:
        return parse_igsn(raw, match["suffix"])
    return ParsedIdentifier(raw=raw, scheme=Scheme.HANDLE, pid=text, handle=text)


def parse_igsn(raw: str, text: str) -> ParsedIdentifier | InvalidIdentifier:
    """`text` (after "IGSN" or from an igsn.org URL) as an IGSN, or as a DOI when it is one."""
    text = text.strip()
    if _DOI_LIKE.match(text) and "/" in text:
        return _as_doi(raw, text)
    if not _IGSN.match(text):
        return InvalidIdentifier(
            raw, f"{raw!r} is not an IGSN; expected letters and digits such as 'IGSN IECUR0097'."
        )
    igsn = text.upper()  # IGSNs are case-insensitive; their registries write them upper-case
    return ParsedIdentifier(
        raw=raw, scheme=Scheme.IGSN, pid=igsn, handle=f"{IGSN_HANDLE_PREFIX}/{igsn}"
    )


def parse_ark(raw: str, text: str) -> ParsedIdentifier | InvalidIdentifier:
    """`text` (after "ark:") as an ARK, normalised to `ark:NAAN/name`.

    The ARK spec treats `ark:/12345/x` and `ark:12345/x` as one ARK and prefers the form
    without the slash; a trailing `?` or `??` asks for metadata and is not part of it.
    """
    match = _ARK.match(text.strip())
    if match is None:
        return InvalidIdentifier(
            raw,
            f"{raw!r} is not an ARK; expected 'ark:/NAAN/name' such as 'ark:/13030/tf5p30086k'.",
        )
    return ParsedIdentifier(raw=raw, scheme=Scheme.ARK, pid=f"ark:{match['naan']}/{match['name']}")


def _as_doi(raw: str, text: str) -> ParsedIdentifier | InvalidIdentifier:
    try:
        doi = normalise_doi(text)
    except InvalidDOIError as exc:
        return InvalidIdentifier(raw, str(exc), Scheme.DOI)
    return doi_identifier(raw, doi)

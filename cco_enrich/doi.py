"""The DOI type and normalise_doi(): one clean, lower-case spelling per DOI. Pure."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from urllib.parse import quote, unquote

from cco_enrich.errors import InvalidDOIError
from cco_enrich.models import DOI

__all__ = ["DOI", "IdentifierKind", "classify_identifier", "doi_prefix", "doi_url", "normalise_doi"]

# Permissive on purpose: Crossref's own "strict" regex misses 0.7% of real DOIs (SICI DOIs
# with <>;() and friends), so we accept any non-blank suffix after a numeric prefix.
# ASCII digits only (fullwidth or Arabic-Indic look-alikes make no prefix), no control characters.
_DOI_SYNTAX = re.compile(r"^10\.[0-9]{4,}(?:\.[0-9]+)*/[^\s\x00-\x1f\x7f-\x9f]+$")
# The scheme is optional: people paste "doi.org/10.1000/x" as often as the full URL.
_RESOLVER_URL = re.compile(r"^(?:https?://)?(?:dx\.|www\.)?doi\.org/", re.IGNORECASE)
_SCHEME_PREFIX = re.compile(r"^(?:doi\s*:\s*|info:doi/|urn:doi:)", re.IGNORECASE)
_ANY_URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:"
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}


class IdentifierKind(StrEnum):
    DOI = "doi"
    URL = "url"
    INVALID = "invalid"


def _lower_ascii(text: str) -> str:
    # DOIs are case-insensitive for ASCII letters only (DOI Handbook 2.4): "É" stays "É".
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


def _strip_unbalanced_tail(text: str) -> str:
    """Drop trailing punctuation picked up from prose, keeping balanced SICI brackets."""
    while text:
        last = text[-1]
        is_prose = last in _TRAILING_PUNCTUATION or last in "\"'"
        is_unbalanced = last in _CLOSERS and text.count(last) > text.count(_CLOSERS[last])
        if not (is_prose or is_unbalanced):
            break
        text = text[:-1]
    return text


def normalise_doi(raw: str) -> DOI:
    """The DOI written in `raw`, without resolver prefix or prose punctuation, ASCII lower-cased.

    Raises:
        InvalidDOIError: `raw` is not a DOI (a URL elsewhere, free text, a bare prefix).
    """
    text = unicodedata.normalize("NFC", raw).translate(_INVISIBLE).strip()
    # A DOI starts with "10.", so leading brackets and quotes come from prose: "(10.1000/x)."
    text = text.lstrip("<([{\"'")
    if _RESOLVER_URL.match(text):
        # A resolver URL carries the DOI percent-encoded ("%2F", "%3C"): decode it once.
        text = unquote(_RESOLVER_URL.sub("", text, count=1))
    text = _SCHEME_PREFIX.sub("", text, count=1).strip()
    text = text.replace("\\_", "_").replace("\\&", "&").replace("\\%", "%")
    text = _strip_unbalanced_tail(text)
    if not _DOI_SYNTAX.match(text):
        raise InvalidDOIError(raw.strip())
    return DOI(_lower_ascii(text))


def classify_identifier(raw: str) -> tuple[IdentifierKind, DOI | None]:
    """Whether `raw` is a DOI (and which), a non-DOI URL to keep as given, or invalid."""
    try:
        return IdentifierKind.DOI, normalise_doi(raw)
    except InvalidDOIError:
        pass
    text = raw.strip()
    if _ANY_URL.match(text) and not _RESOLVER_URL.match(text):
        return IdentifierKind.URL, None
    return IdentifierKind.INVALID, None


def doi_prefix(doi: DOI) -> str:
    """The registrant prefix of a DOI: '10.1234' of '10.1234/abc'."""
    return doi.split("/", 1)[0]


# DOI Handbook, "Encoding rules for URL presentation": % " # space ? must be encoded, and
# < > { } ^ [ ] ` | \ + should be; everything else a DOI holds may stand as it is.
_URL_SAFE = "/:;()._-,~!$&'*=@"


def doi_url(doi: str) -> str:
    """The https://doi.org/ link of a DOI, percent-encoded where a browser would misread it."""
    return "https://doi.org/" + quote(doi, safe=_URL_SAFE)

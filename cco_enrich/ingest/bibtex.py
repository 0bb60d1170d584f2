"""BibTeX entries -> resources: the `doi` field, else another id it holds, else the entry as given.

Field text is decoded from LaTeX (accents composed, commands and braces dropped) so that a title
read from a .bib file is plain Unicode like every other title.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from bibtexparser.entrypoint import parse_string
from bibtexparser.model import Block, Entry, ParsingFailedBlock

from cco_enrich.identifiers import ParsedIdentifier, Scheme, parse_identifier
from cco_enrich.ingest.resources import TRIM, build_resource
from cco_enrich.models import Resource, ResourceStatus

BIBTEX_NO_DOI = "BibTeX entry has no DOI"

_LATEX_ACCENTS = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "r": "\u030a",
    "k": "\u0328",
}  # fmt: skip
_LATEX_LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
    "aa": "å", "AA": "Å", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ",
}  # fmt: skip
_LATEX_TOKEN = re.compile(
    r"""
      \\([&%$\#_{}])                                              # escaped symbol: kept
    | \\([."'`^~=]|[cvuHrk](?![A-Za-z]))\s*\{?\s*\\?([A-Za-z])\}?  # accent on a letter
    | \\(ss|ae|AE|oe|OE|aa|AA|[oOlLij])(?![A-Za-z])\s*            # letter made by a command
    | \\[A-Za-z]+\*?\s*                                           # other command: text stays
    | \\\\ | [{}$~]                                               # line break, groups, math, tie
    """,
    re.VERBOSE,
)


def bibtex_resources(text: str) -> Iterator[Resource]:
    """One resource per entry of a BibTeX file, in order (@string, @preamble, comments: none)."""
    for block in parse_string(text).blocks:
        resource = _bibtex_resource(block)
        if resource is not None:
            yield resource


def _bibtex_resource(block: Block) -> Resource | None:
    """The resource for one BibTeX block; None for @string, @preamble and comments."""
    if isinstance(block, ParsingFailedBlock):
        if isinstance(block.ignore_error_block, Entry):
            # A duplicate key or field: the entry itself was read, so its DOI still counts.
            return _bibtex_resource(block.ignore_error_block)
        line = block.start_line + 1 if block.start_line is not None else "?"
        raw_lines = (block.raw or "").strip(TRIM).splitlines() or ["?"]
        reason = str(block.error) or type(block.error).__name__
        return Resource(
            identifier=raw_lines[0][:120],
            status=ResourceStatus.INVALID,
            error=f"BibTeX entry at line {line} could not be parsed ({reason}); check its braces.",
        )
    if not isinstance(block, Entry):
        return None
    fields = {field.key.lower(): str(field.value) for field in block.fields}
    title = _decode_latex(fields["title"]) if fields.get("title") else None
    url = fields.get("url", "").strip(TRIM)
    raw_doi = fields.get("doi", "").strip(TRIM)
    if raw_doi:
        resource = build_resource(raw_doi)
        if resource.status is ResourceStatus.INVALID:
            return resource.model_copy(update={"title": title})
        return resource
    for candidate in filter(None, (url, *_bibtex_pids(fields))):
        parsed = parse_identifier(candidate)
        if isinstance(parsed, ParsedIdentifier) and parsed.scheme is not Scheme.URL:
            return build_resource(candidate)
    # A URL means something outside this file; a citation key does not, so it comes second.
    return Resource(
        identifier=url or block.key,
        status=ResourceStatus.SKIPPED,
        title=title or None,
        error=BIBTEX_NO_DOI,
    )


def _bibtex_pids(fields: dict[str, str]) -> list[str]:
    """Identifiers other than a DOI an entry may hold: arXiv `eprint`, `pmid`, `pmcid`, `isbn`."""
    pids = []
    eprint = fields.get("eprint", "").strip(TRIM)
    if eprint and fields.get("archiveprefix", "arXiv").strip(TRIM).lower() == "arxiv":
        pids.append(f"arXiv:{eprint}")
    for name, label in (("pmid", "PMID:"), ("pmcid", "PMCID:"), ("isbn", "ISBN ")):
        if fields.get(name, "").strip(TRIM):
            pids.append(label + fields[name].strip(TRIM))
    return pids


def _decode_latex(value: str) -> str:
    """BibTeX field text as plain Unicode: accents composed, commands and braces dropped."""

    def replace(match: re.Match[str]) -> str:
        symbol, accent, letter, named = match.group(1, 2, 3, 4)
        if symbol:
            return symbol
        if accent:
            # \'{\i} is an accented dotless i, which Unicode spells as an accented plain i.
            return letter + _LATEX_ACCENTS[accent]
        if named:
            return _LATEX_LETTERS[named]
        return " " if match.group() in ("~", "\\\\") else ""

    text = _LATEX_TOKEN.sub(replace, value).replace("---", "\u2014").replace("--", "\u2013")
    return " ".join(unicodedata.normalize("NFC", text).split())

"""The session as BibTeX: one entry per resource with a unique key; not-enriched ones as @misc."""

from __future__ import annotations

from cco_enrich.exports.vocab import citation_keys, resource_url, status_note, type_names
from cco_enrich.models import Author, Resource, ResourceStatus, Session

_ESCAPES = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
)
# Where the container title goes, by entry type; anything else puts it in `howpublished`.
_CONTAINER_FIELDS = {
    "article": "journal",
    "incollection": "booktitle",
    "inproceedings": "booktitle",
}
_PUBLISHER_FIELDS = {"techreport": "institution", "phdthesis": "school"}
_ID_FIELDS = ("pmid", "pmcid", "isbn")


def render_bibtex(session: Session) -> str:
    """Every resource as a BibTeX entry, UTF-8, with keys shared with the CSL-JSON export."""
    keys = citation_keys(session.resources)
    entries = [bibtex_entry(r, key) for r, key in zip(session.resources, keys, strict=True)]
    return "\n".join(entries)


def bibtex_entry(resource: Resource, key: str) -> str:
    """One entry: text fields LaTeX-escaped, `doi` and `url` verbatim (as biblatex reads them)."""
    entry_type = type_names(resource).bibtex
    if resource.status is not ResourceStatus.ENRICHED:
        entry_type = "misc"
    fields: list[tuple[str, str]] = []
    if resource.title:
        fields.append(("title", protect_capitals(resource.title)))
    if resource.authors:
        fields.append(("author", " and ".join(_name(author) for author in resource.authors)))
    if resource.year:
        fields.append(("year", str(resource.year)))
    if resource.container_title:
        field = _CONTAINER_FIELDS.get(entry_type, "howpublished")
        fields.append((field, escape_latex(resource.container_title)))
    if resource.publisher:
        field = _PUBLISHER_FIELDS.get(entry_type, "publisher")
        fields.append((field, escape_latex(resource.publisher)))
    if resource.doi:
        fields.append(("doi", _verbatim(resource.doi)))
    if resource.arxiv:
        # biblatex's eprint fields; BibTeX styles that know arXiv read the same two.
        fields += [("eprint", _verbatim(resource.arxiv)), ("archiveprefix", "arXiv")]
    fields += [
        (name, _verbatim(value)) for name in _ID_FIELDS if (value := getattr(resource, name))
    ]
    url = resource_url(resource)
    if url:
        fields.append(("url", _verbatim(url)))
    note = status_note(resource)
    if note:
        fields.append(("note", escape_latex(note)))
    body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
    return f"@{entry_type}{{{key},\n{body}}}\n"


def protect_capitals(title: str) -> str:
    """A title LaTeX-escaped, each word a classic style would lower-case kept in braces.

    Styles such as `plain` lower-case a title but for its first letter and what is braced, so
    `CO2` would print as `co2` and `Weddell Sea` as `weddell sea`: every word with a capital
    letter (after the title's first letter) is braced, `{CO2}`, `{Weddell}`, as Zotero does.
    """
    return " ".join(_protect(word, is_first=i == 0) for i, word in enumerate(title.split()))


def _protect(word: str, *, is_first: bool) -> str:
    escaped = escape_latex(word)
    capitals = word[1:] if is_first else word
    return f"{{{escaped}}}" if any(c.isupper() for c in capitals) else escaped


def escape_latex(text: str) -> str:
    """`text` with LaTeX's special characters escaped and white space collapsed."""
    return " ".join(text.split()).translate(_ESCAPES)


def _name(author: Author) -> str:
    if author.family:
        family = escape_latex(author.family)
        return f"{family}, {escape_latex(author.given)}" if author.given else f"{{{family}}}"
    # Braces keep an organisation whole, or BibTeX reads its last word as a family name.
    return f"{{{escape_latex(author.name or author.given or '')}}}"


def _verbatim(text: str) -> str:
    # doi and url are verbatim fields, but an unbalanced brace would still end the value early.
    return " ".join(text.split()).replace("{", "%7B").replace("}", "%7D")

"""BibTeX: parses back with bibtexparser, prints right in pybtex's classic styles, ingests back."""

from __future__ import annotations

import pytest
from bibtexparser.entrypoint import parse_string
from pybtex.database import parse_string as pybtex_parse
from pybtex.plugin import find_plugin

from cco_enrich.exports.bibtex import protect_capitals, render_bibtex
from cco_enrich.exports.vocab import citation_keys
from cco_enrich.ingest import IdentifierListIngestor
from cco_enrich.models import Author, Outcome, Resource, Session, Work
from tests.exports.sample import SICI, WORKS


def formatted(text: str, style: str = "plain") -> list[str]:
    """The entries as pybtex's `style` prints them, as plain text."""
    bibliography = find_plugin("pybtex.style.formatting", style)().format_bibliography(
        pybtex_parse(text, "bibtex")
    )
    return [entry.text.render_as("text") for entry in bibliography.entries]


def unbraced(text: str) -> str:
    return text.replace("{", "").replace("}", "")


def test_bibtex_parses_back_with_every_entry_doi_and_title(session: Session) -> None:
    library = parse_string(render_bibtex(session))
    assert not library.failed_blocks
    assert len(library.entries) == len(session.resources)
    assert [entry.key for entry in library.entries] == citation_keys(session.resources)
    dois = [entry.fields_dict["doi"].value if "doi" in entry else None for entry in library.entries]
    assert dois == [resource.doi for resource in session.resources]
    titles = [unbraced(entry["title"]) for entry in library.entries[:4]]
    assert titles == [work.title for work in WORKS[:4]]


@pytest.mark.parametrize("style", ["plain", "unsrt", "alpha"])
def test_bibtex_titles_keep_their_capitals_in_classic_styles(style: str) -> None:
    work = Work(
        doi="10.5555/co2",
        registry="crossref",
        title="Rising CO2 in the Weddell Sea: a GoMMAPPS-style survey",
        authors=(Author(given="Jane", family="Doe"),),
        year=2020,
        container_title="Nature",
        type="journal-article",
    )
    resource = Resource(identifier=work.doi or "", doi=work.doi).with_outcome(
        Outcome.enriched(work)
    )
    (entry,) = formatted(render_bibtex(Session(id="s" * 8, resources=[resource])), style)
    assert "Rising CO2 in the Weddell Sea: a GoMMAPPS-style survey." in entry


def test_protect_capitals_braces_each_word_a_style_would_lower() -> None:
    assert protect_capitals("Rising CO2 in the Weddell Sea") == (
        "Rising {CO2} in the {Weddell} {Sea}"
    )
    assert protect_capitals("DNA & the x_1") == r"{DNA} \& the x\_1"


def test_bibtex_escapes_latex_special_characters(session: Session) -> None:
    entry = parse_string(render_bibtex(session)).entries[4]
    assert entry["title"] == (
        r"Costs \& benefits: 50\% of \$x\_1\$ \{braces\} \#tag \textasciitilde{} "
        r"\textasciicircum{} back\textbackslash{}slash"
    )
    assert entry["author"] == r'{Nature} and {=HYPERLINK("http://evil")}'


def test_bibtex_maps_types_fields_and_unique_keys(session: Session) -> None:
    entries = parse_string(render_bibtex(session)).entries
    assert [(e.entry_type, e.key) for e in entries[:6]] == [
        ("article", "sadasivan2012methylphenidate"),
        ("misc", "joyce2020identification"),
        ("incollection", "diercks2015clinical"),
        ("misc", "arnathau2011data"),
        ("article", "nature2020costs"),
        ("article", "nature2020costsa"),
    ]
    assert entries[0]["journal"] == "PLoS ONE"
    assert entries[0]["author"] == "Sadasivan, Shankar and Pond, Brooks B."
    assert entries[2]["booktitle"] == "Shoulder Stiffness"
    assert entries[1]["author"] == "Joyce, Luke R. and Mendonça, Jéssica da C."


def test_bibtex_carries_arxiv_pubmed_and_isbn_ids() -> None:
    preprint = Resource(
        identifier="arXiv:1902.02534v2",
        doi="10.48550/arxiv.1902.02534",
        arxiv="1902.02534v2",
        title="Crowdsourcing open citations",
    )
    article = Resource(identifier="PMID: 31036960", pmid="31036960", pmcid="PMC5122160", title="A")
    book = Resource(identifier="ISBN 978-0-306-40615-7", isbn="9780306406157", title="B")
    session = Session(id="s" * 8, resources=[preprint, article, book])
    first, second, third = parse_string(render_bibtex(session)).entries
    assert (first["eprint"], first["archiveprefix"]) == ("1902.02534v2", "arXiv")
    assert (second["pmid"], second["pmcid"]) == ("31036960", "PMC5122160")
    assert third["isbn"] == "9780306406157"


def test_bibtex_keeps_a_resource_not_enriched_as_misc_with_a_note(session: Session) -> None:
    entries = parse_string(render_bibtex(session)).entries
    not_found, url, invalid = entries[6], entries[9], entries[10]
    assert (not_found.entry_type, not_found["doi"]) == ("misc", SICI)
    assert not_found["note"].startswith(r"cco\_enrich: 10.1002/(SICI)")
    assert url["url"] == "https://seamap.env.duke.edu/?"
    assert invalid["note"] == r"cco\_enrich: not a doi is invalid: 'not a doi' is not a DOI"


def test_bibtex_export_ingests_back_to_the_same_dois(session: Session) -> None:
    ingestor = IdentifierListIngestor(max_identifiers=100, max_bytes=100_000)
    result = ingestor.ingest_bibtex(render_bibtex(session))
    assert [r.doi for r in result.resources] == [r.doi for r in session.resources]

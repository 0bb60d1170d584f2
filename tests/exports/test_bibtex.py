"""BibTeX: parses back with bibtexparser, escapes LaTeX, and ingests back to the same DOIs."""

from __future__ import annotations

from bibtexparser.entrypoint import parse_string

from cco_enrich.exports.bibtex import render_bibtex
from cco_enrich.exports.vocab import citation_keys
from cco_enrich.ingest import IdentifierListIngestor
from cco_enrich.models import Session
from tests.exports.sample import SICI, WORKS


def test_bibtex_parses_back_with_every_entry_doi_and_title(session: Session) -> None:
    library = parse_string(render_bibtex(session))
    assert not library.failed_blocks
    assert len(library.entries) == len(session.resources)
    assert [entry.key for entry in library.entries] == citation_keys(session.resources)
    dois = [entry.fields_dict["doi"].value if "doi" in entry else None for entry in library.entries]
    assert dois == [resource.doi for resource in session.resources]
    titles = [entry["title"] for entry in library.entries[:4]]
    assert titles == [work.title for work in WORKS[:4]]


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

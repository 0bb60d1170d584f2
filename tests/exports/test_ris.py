"""RIS: one well-formed record per resource, with RIS types and tags, as rispy reads it."""

from __future__ import annotations

import rispy

from cco_enrich.exports.ris import render_ris
from cco_enrich.models import Resource, Session
from tests.exports.readers import read_ris
from tests.exports.sample import WORKS


def test_ris_parses_back_with_one_record_per_resource(session: Session) -> None:
    records = read_ris(render_ris(session))
    assert len(records) == len(session.resources)
    assert [r.get("DO", [None])[0] for r in records] == [r.doi for r in session.resources]
    assert [r["TY"][0] for r in records] == [
        "JOUR", "UNPB", "CHAP", "DATA", "JOUR", "JOUR", "GEN", "GEN", "GEN", "GEN", "GEN",
    ]  # fmt: skip


def test_rispy_reads_every_record_with_its_title_and_authors(session: Session) -> None:
    entries = rispy.loads(render_ris(session))
    assert len(entries) == len(session.resources)
    assert entries[1]["title"] == WORKS[1].title
    assert entries[1]["authors"] == ["Joyce, Luke R.", "Mendonça, Jéssica da C."]
    assert entries[0]["journal_name"] == "PLoS ONE"


def test_ris_maps_fields(session: Session) -> None:
    article, preprint, chapter = read_ris(render_ris(session))[:3]
    assert article == {
        "TY": ["JOUR"],
        "ID": ["sadasivan2012methylphenidate"],
        "TI": [WORKS[0].title],
        "AU": ["Sadasivan, Shankar", "Pond, Brooks B."],
        "PY": ["2012"],
        "JO": ["PLoS ONE"],
        "PB": ["Public Library of Science (PLoS)"],
        "DO": ["10.1371/journal.pone.0033693"],
        "UR": ["https://doi.org/10.1371/journal.pone.0033693"],
    }
    assert preprint["AU"][1] == "Mendonça, Jéssica da C."
    assert chapter["T2"] == ["Shoulder Stiffness"]


def test_ris_carries_the_isbn_in_sn_and_the_pmid_in_an() -> None:
    book = Resource(identifier="ISBN 978-0-306-40615-7", isbn="9780306406157", title="B")
    article = Resource(identifier="PMID: 31036960", pmid="31036960", title="A")
    first, second = rispy.loads(render_ris(Session(id="s" * 8, resources=[book, article])))
    assert first["issn"] == "9780306406157"  # rispy names SN after its other use
    assert second["accession_number"] == "31036960"


def test_ris_keeps_a_resource_not_enriched_as_gen_with_a_note(session: Session) -> None:
    records = read_ris(render_ris(session))
    failed, url = records[7], records[9]
    assert failed["N1"] == [
        "cco_enrich: 10.5555/gone is failed: gave up after 6 attempts: HTTP 503"
    ]
    assert url["UR"] == ["https://seamap.env.duke.edu/?"]

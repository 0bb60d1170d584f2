"""RIS: one well-formed record per resource, with RIS types and tags."""

from __future__ import annotations

from cco_enrich.exports.ris import render_ris
from cco_enrich.models import Session
from tests.exports.readers import read_ris
from tests.exports.sample import WORKS


def test_ris_parses_back_with_one_record_per_resource(session: Session) -> None:
    records = read_ris(render_ris(session))
    assert len(records) == len(session.resources)
    assert [r.get("DO", [None])[0] for r in records] == [r.doi for r in session.resources]
    assert [r["TY"][0] for r in records] == [
        "JOUR", "UNPB", "CHAP", "DATA", "JOUR", "JOUR", "GEN", "GEN", "GEN", "GEN", "GEN",
    ]  # fmt: skip


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


def test_ris_keeps_a_resource_not_enriched_as_gen_with_a_note(session: Session) -> None:
    records = read_ris(render_ris(session))
    failed, url = records[7], records[9]
    assert failed["N1"] == [
        "cco_enrich: 10.5555/gone is failed: gave up after 6 attempts: HTTP 503"
    ]
    assert url["UR"] == ["https://seamap.env.duke.edu/?"]

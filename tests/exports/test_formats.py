"""What every format shares: the format table, file names, render_export, no resource lost."""

from __future__ import annotations

import pytest

from cco_enrich.errors import EnrichError, UnknownFormatError
from cco_enrich.exports import EXPORT_FORMATS, export_filename, render_export
from cco_enrich.exports.bibtex import render_bibtex
from cco_enrich.models import Session
from tests.exports.readers import count_records


def test_export_formats_are_registered_with_media_type_and_extension() -> None:
    assert {name: (f.media_type, f.extension) for name, f in EXPORT_FORMATS.items()} == {
        "jsonld": ("application/ld+json", "jsonld"),
        "csl-json": ("application/vnd.citationstyles.csl+json", "json"),
        "bibtex": ("application/x-bibtex", "bib"),
        "ris": ("application/x-research-info-systems", "ris"),
        "csv": ("text/csv; charset=utf-8", "csv"),
    }


def test_render_export_gives_text_media_type_and_file_name(session: Session) -> None:
    text, media_type, filename = render_export(session, " BibTeX ", include_all=True)
    assert text == render_bibtex(session)
    assert (media_type, filename) == ("application/x-bibtex", "Test-CCO-u.bib")


def test_render_export_rejects_an_unknown_format_listing_the_valid_ones(session: Session) -> None:
    with pytest.raises(UnknownFormatError) as caught:
        render_export(session, "xml")
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, EnrichError)
    assert str(caught.value) == (
        "Unknown export format 'xml'; use one of: jsonld, csl-json, bibtex, ris, csv."
    )


@pytest.mark.parametrize(
    ("slug", "filename"),
    [
        ("GOMMAPPSCCO", "GOMMAPPSCCO.jsonld"),
        ("../../etc/passwd", "etc-passwd.jsonld"),
        ("Ünïcode slug!", "Unicode-slug.jsonld"),
        ("///", "cco-01234567.jsonld"),
        (None, "cco-01234567.jsonld"),
        (42, "cco-01234567.jsonld"),
    ],
)
def test_export_filename_uses_a_sanitised_slug_or_the_session_id(
    slug: object, filename: str
) -> None:
    session = Session(id="0123456789abcdef", metadata={"output_filename_slug": slug})
    assert export_filename(session, "jsonld") == filename


def test_every_format_renders_an_empty_session() -> None:
    session = Session(id="empty")
    for export in EXPORT_FORMATS.values():
        assert isinstance(export.render(session), str)


@pytest.mark.parametrize("name", list(EXPORT_FORMATS))
def test_every_format_keeps_every_resource_of_the_real_cco_when_asked(
    gommapps: Session, name: str
) -> None:
    text, _, filename = render_export(gommapps, name, include_all=True)
    assert filename == f"GOMMAPPSCCO.{EXPORT_FORMATS[name].extension}"
    assert count_records(name, text) == 38
    assert all(resource.identifier in text for resource in gommapps.resources)


@pytest.mark.parametrize(
    ("name", "records"),
    [("jsonld", 38), ("csv", 38), ("csl-json", 1), ("bibtex", 1), ("ris", 1)],
)
def test_citation_formats_leave_out_resources_without_metadata(
    gommapps: Session, name: str, records: int
) -> None:
    """Only one resource of the ingested real CCO has a title: citations hold only that one."""
    text, _, _ = render_export(gommapps, name)
    assert count_records(name, text) == records


def test_a_resource_with_a_title_but_no_lookup_is_still_cited(session: Session) -> None:
    titled = session.resources[-1].model_copy(update={"title": "From the BibTeX file"})
    session = session.model_copy(update={"resources": [*session.resources[:6], titled]})
    text, _, _ = render_export(session, "csl-json")
    assert count_records("csl-json", text) == 7

"""Every recorded registry response, mapped by the rules of docs/metadata-mapping.md."""

from __future__ import annotations

from typing import Any

import pytest

from cco_enrich.models import Author
from cco_enrich.registries.parse import (
    clean_text,
    normalise_orcid,
    work_from_crossref,
    work_from_csl,
    work_from_datacite,
)
from tests.fakes import load


def crossref_message(name: str) -> dict[str, Any]:
    message: dict[str, Any] = load(name)["message"]
    return message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Plain", "Plain"),
        ("  Line\n      broken\tand   spaced  ", "Line broken and spaced"),
        ("CO<jats:sub>2</jats:sub> uptake in <i>E. coli</i>", "CO2 uptake in E. coli"),
        ("Tom &amp; Jerry &lt;3", "Tom & Jerry <3"),
        ("a < b > c", "a < b > c"),
        ('<span class="x">kept</span>', "kept"),
        ("", None),
        ("  \n ", None),
        ("<i></i>", None),
        (None, None),
    ],
)
def test_clean_text(raw: str | None, expected: str | None) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "https://orcid.org/0000-0002-1825-0097",
        "http://orcid.org/0000-0002-1825-0097",
        "0000-0002-1825-0097",
        " orcid.org/0000-0002-1825-0097 ",
    ],
)
def test_normalise_orcid_always_gives_the_https_url(raw: str) -> None:
    assert normalise_orcid(raw) == "https://orcid.org/0000-0002-1825-0097"


def test_normalise_orcid_upper_cases_the_check_digit_and_rejects_junk() -> None:
    assert normalise_orcid("0000-0002-9346-671x") == "https://orcid.org/0000-0002-9346-671X"
    assert normalise_orcid("not an orcid") is None
    assert normalise_orcid(42) is None


def test_crossref_typical_article() -> None:
    work = work_from_crossref(
        crossref_message("crossref_work_pone-0033693.json"), "10.1371/journal.pone.0033693"
    )
    assert work.title == (
        "Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia"
        " in the Basal Ganglia of Mice"
    )
    assert work.authors[0] == Author(given="Shankar", family="Sadasivan")
    assert len(work.authors) == 6
    assert (work.year, work.container_title, work.type) == (2012, "PLoS ONE", "journal-article")
    assert work.publisher == "Public Library of Science (PLoS)"
    assert work.url == "https://doi.org/10.1371/journal.pone.0033693"
    assert work.registry == "crossref"


def test_crossref_title_markup_and_newlines_are_cleaned() -> None:
    work = work_from_crossref(
        crossref_message("crossref_work_jclinpath-2020-206745.json"),
        "10.1136/jclinpath-2020-206745",
    )
    assert work.title == (
        "Construction of a reference material panel for detecting KRAS / NRAS / EGFR / BRAF / MET"
        " mutations in plasma ctDNA"
    )
    assert len(work.authors) == 15
    assert work.year == 2020  # issued, not published-print (2021)


def test_crossref_non_ascii_names_orcids_and_empty_container() -> None:
    work = work_from_crossref(
        crossref_message("crossref_work_biorxiv-2020-12-01-406702.json"),
        "10.1101/2020.12.01.406702",
    )
    assert work.title is not None
    assert work.title.startswith("Identification of a novel")
    assert "Streptococcus agalactiae that contributes" in work.title
    mendonca = work.authors[2]
    assert (mendonca.given, mendonca.family) == ("Jéssica da C.", "Mendonça")
    assert all(a.orcid and a.orcid.startswith("https://orcid.org/") for a in work.authors)
    assert work.authors[0].orcid == "https://orcid.org/0000-0002-9346-671X"
    assert (work.container_title, work.type, work.publisher) == (None, "posted-content", "openRxiv")


def test_crossref_book_chapter_with_year_only_date() -> None:
    work = work_from_crossref(
        crossref_message("crossref_work_book-chapter_978-3-662-46370-3_13.json"),
        "10.1007/978-3-662-46370-3_13",
    )
    assert (work.type, work.year, work.container_title) == (
        "book-chapter",
        2015,
        "Shoulder Stiffness",
    )
    assert [a.family for a in work.authors] == ["Diercks", "Ludvigsen"]


def test_crossref_component_without_author_title_or_date() -> None:
    work = work_from_crossref(
        crossref_message("crossref_work_component_pmed-0030277-g001.json"),
        "10.1371/journal.pmed.0030277.g001",
    )
    assert (work.title, work.authors, work.year, work.container_title) == (None, (), None, None)
    assert work.type == "component"


def test_crossref_family_only_authors_are_kept() -> None:
    work = work_from_crossref(
        crossref_message("crossref_work_family-only-authors_d41586-020-02761-z.json"),
        "10.1038/d41586-020-02761-z",
    )
    assert work.authors == (Author(family="Sheherazade"), Author(family="Ardiantiono"))
    assert work.year == 2020  # from issued; the record also has published-online


def test_crossref_batch_items_each_map_to_a_work() -> None:
    items = load("crossref_works_filter_3.json")["message"]["items"]
    works = {w.doi: w for w in (work_from_crossref(i, i["DOI"].lower()) for i in items)}
    journal = works["10.1007/10452.1573-5125"]
    assert (journal.title, journal.authors, journal.year, journal.type) == (
        "Aquatic Ecology",
        (),
        None,
        "journal",
    )
    qss = works["10.1162/qss_a_00348"]
    assert qss.authors[0].orcid == "https://orcid.org/0000-0001-5105-1463"
    assert (qss.year, qss.container_title) == (2025, "Quantitative Science Studies")


def test_crossref_year_falls_back_to_published_dates_in_order() -> None:
    record = {
        "issued": {"date-parts": [[None]]},
        "published-print": {"date-parts": [[2019, 3]]},
        "published-online": {"date-parts": [[2018]]},
    }
    assert work_from_crossref(record, "10.1/x").year == 2019


def test_crossref_first_non_empty_title_and_empty_authors_dropped() -> None:
    record = {
        "title": ["", "  ", "<b>Second</b>"],
        "author": [{"given": "", "family": " "}, {"name": "The Consortium"}, "junk"],
        "container-title": ["  Journal\n of Things "],
    }
    work = work_from_crossref(record, "10.1/x")
    assert work.title == "Second"
    assert work.authors == (Author(name="The Consortium"),)
    assert work.container_title == "Journal of Things"


def test_crossref_malformed_fields_are_treated_as_missing() -> None:
    record = {"title": "not a list", "author": {"given": "x"}, "issued": {"date-parts": [["2020"]]}}
    work = work_from_crossref(record, "10.1/x")
    assert (work.title, work.authors, work.year) == (None, (), None)


def test_datacite_dataset_with_non_ascii_creators() -> None:
    attributes = load("datacite_doi_dryad-8515.json")["data"]["attributes"]
    work = work_from_datacite(attributes, "10.5061/dryad.8515")
    assert work.title == "Data from: A new malaria agent in African hominids."
    assert len(work.authors) == 8
    assert work.authors[0] == Author(given="Benjamin", family="Ollomo")
    assert any(a.given == "Céline" for a in work.authors)
    assert (work.year, work.type, work.publisher) == (2011, "dataset", "Dryad")
    assert (work.container_title, work.registry) == (None, "datacite")
    assert work.url == "https://doi.org/10.5061/dryad.8515"


def test_datacite_preprint() -> None:
    attributes = load("datacite_doi_arxiv-1902-02534.json")["data"]["attributes"]
    work = work_from_datacite(attributes, "10.48550/arxiv.1902.02534")
    assert work.title is not None
    assert work.title.startswith("Crowdsourcing open citations")
    assert [a.family for a in work.authors] == ["Heibi", "Peroni", "Shotton"]
    assert (work.year, work.type, work.publisher) == (2019, "preprint", "arXiv")


def test_datacite_organisations_orcids_titles_and_publisher_object() -> None:
    attributes = {
        "titles": [
            {"title": "A subtitle", "titleType": "Subtitle"},
            {"title": "The <i>main</i> title"},
        ],
        "creators": [
            {"name": "CERN", "nameType": "Organizational", "givenName": None},
            {
                "name": "Doe, Jane",
                "nameType": "Personal",
                "givenName": "Jane",
                "familyName": "Doe",
                "nameIdentifiers": [
                    {"nameIdentifier": "0000-0002-1825-0097", "nameIdentifierScheme": "ORCID"}
                ],
            },
            {"name": "Mononym"},
            {"name": ""},
        ],
        "publicationYear": "2004",
        "types": {"resourceTypeGeneral": "JournalArticle"},
        "publisher": {"name": "Zenodo", "publisherIdentifier": "x"},
        "container": {"title": "Series of Things", "type": "Series"},
    }
    work = work_from_datacite(attributes, "10.5281/zenodo.1")
    assert work.title == "The main title"
    assert work.authors == (
        Author(name="CERN"),
        Author(given="Jane", family="Doe", orcid="https://orcid.org/0000-0002-1825-0097"),
        Author(name="Mononym"),
    )
    assert (work.year, work.type, work.publisher) == (2004, "journal-article", "Zenodo")
    assert work.container_title == "Series of Things"


def test_datacite_title_falls_back_to_the_first_and_bad_year_is_none() -> None:
    attributes = {
        "titles": [{"title": "Only a subtitle", "titleType": "Subtitle"}],
        "publicationYear": "n.d.",
        "types": {"resourceTypeGeneral": "ConferencePaper"},
    }
    work = work_from_datacite(attributes, "10.5281/zenodo.2")
    assert (work.title, work.year, work.type) == ("Only a subtitle", None, "conference-paper")


def test_datacite_record_without_titles_or_types() -> None:
    work = work_from_datacite({"titles": [], "types": {"resourceType": "x"}}, "10.5281/zenodo.3")
    assert (work.title, work.type, work.authors) == (None, None, ())


def test_csl_from_crossref_content_negotiation() -> None:
    record = load("crossref_csl_science-169-3946-635.json")
    work = work_from_csl(record, "10.1126/science.169.3946.635", "mEDRA")
    assert work.title == "The Structure of Ordinary Water"
    assert work.authors == (Author(given="Henry S.", family="Frank"),)
    assert (work.year, work.container_title, work.type) == (1970, "Science", "journal-article")
    assert work.publisher == "American Association for the Advancement of Science (AAAS)"
    assert (work.registry, work.url) == ("medra", "https://doi.org/10.1126/science.169.3946.635")


def test_csl_list_titles_and_literal_names() -> None:
    record = {
        "title": ["First", "Second"],
        "container-title": [],
        "author": [{"literal": "Research Group"}, {"family": "Solo"}],
        "issued": {"date-parts": [[1999, 1]]},
    }
    work = work_from_csl(record, "10.1/x", "JaLC")
    assert (work.title, work.container_title, work.year) == ("First", None, 1999)
    assert work.authors == (Author(name="Research Group"), Author(family="Solo"))
    assert work.registry == "jalc"


ORG = "US Dept. of the Interior, Bureau of Ocean Energy Management"


@pytest.mark.parametrize(
    ("name", "name_type", "author"),
    [
        ("Arnathau, Céline", "Personal", Author(given="Céline", family="Arnathau")),
        ("Arnathau, Céline", None, Author(given="Céline", family="Arnathau")),
        ("Ishikawa Mayumi", "Personal", Author(name="Ishikawa Mayumi")),
        (ORG, None, Author(name=ORG)),
        ("University of Bremen, Germany", None, Author(name="University of Bremen, Germany")),
        ("NOAA, NCEI", None, Author(name="NOAA, NCEI")),
        ("Arnathau, Céline", "Organizational", Author(name="Arnathau, Céline")),
    ],
)
def test_datacite_creator_given_only_as_a_name(
    name: str, name_type: str | None, author: Author
) -> None:
    """`Family, Given` (nameType Personal, or no nameType but a comma) is a person, not an org."""
    creator = {"name": name} if name_type is None else {"name": name, "nameType": name_type}
    work = work_from_datacite({"creators": [creator]}, "10.5281/zenodo.4")
    assert work.authors == (author,)

"""The cleaning every syntax shares: dates, intervals, types, names, DOIs, relation targets."""

from __future__ import annotations

import pytest

from cco_enrich.landing.fields import (
    PageFields,
    author_from_text,
    doi_in,
    keywords_from,
    merge_fields,
    normalise_date,
    normalise_interval,
    relation_target,
    work_type,
)
from cco_enrich.models import Author, Relation

BASE = "https://data.example.org/dataset/3300"


@pytest.mark.parametrize(
    ("raw", "date"),
    [
        ("2021-10-04", "2021-10-04"),
        ("2021-10-04T12:30:00Z", "2021-10-04"),
        ("2021-10-04 12:30", "2021-10-04"),
        ("2021-1-4", "2021-01-04"),
        ("2021-10", "2021-10"),
        ("2021", "2021"),
        ("2017/05/03", "2017-05-03"),
        ("2017/05", "2017-05"),
        ("May 3, 2017", "2017-05-03"),
        ("3 May 2017", "2017-05-03"),
        ("Oct 4, 2021", "2021-10-04"),
        ("10/05/2022", "2022-10-05"),
        ("20221005", "2022-10-05"),
        ("2021-13-01", None),
        ("2021-02-40", None),
        ("last Tuesday", None),
        ("", None),
        (None, None),
        (2021, None),
    ],
)
def test_normalise_date(raw: object, date: str | None) -> None:
    assert normalise_date(raw) == date


@pytest.mark.parametrize(
    ("raw", "interval"),
    [
        ("2003-06-12/2020-02-12", "2003-06-12/2020-02-12"),
        ("2018-01-18T00:00:00Z/2018-03-14T23:59:59Z", "2018-01-18/2018-03-14"),
        ("start=2017-06-29; end=2018-11-28", "2017-06-29/2018-11-28"),
        ("start=2017-06-29;", "2017-06-29/.."),
        ("2019-01-01/..", "2019-01-01/.."),
        ("../2019-01-01", "../2019-01-01"),
        ("2017", "2017/2017"),
        ("2017/05/03", "2017-05-03/2017-05-03"),
        ("../..", None),
        ("sometime/later", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_interval(raw: object, interval: str | None) -> None:
    assert normalise_interval(raw) == interval


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("Dataset", "dataset"),
        ("https://schema.org/DataCatalog", "collection"),
        ("http://purl.org/dc/dcmitype/Collection", "collection"),
        ("schema:ScholarlyArticle", "journal-article"),
        ("StillImage", "image"),
        ("Map", "map"),
        ("PhysicalObject", "physical-object"),
        ("Interactive Resource", "interactive-resource"),
        ("", None),
        (None, None),
    ],
)
def test_work_type(raw: str | None, kind: str | None) -> None:
    assert work_type(raw) == kind


@pytest.mark.parametrize(
    ("raw", "is_person", "author"),
    [
        ("Garrison, Lance P.", False, Author(given="Lance P.", family="Garrison")),
        ("Lance P. Garrison", True, Author(given="Lance P.", family="Garrison")),
        ("Lance P. Garrison", False, Author(name="Lance P. Garrison")),
        ("Laura Dias, A.", True, Author(given="A.", family="Laura Dias")),
        (
            "US Dept. of Commerce, National Oceanic and Atmospheric Administration",
            True,
            Author(name="US Dept. of Commerce, National Oceanic and Atmospheric Administration"),
        ),
        ("OBIS-SEAMAP", True, Author(name="OBIS-SEAMAP")),
        ("Madonna", True, Author(name="Madonna")),
        ("Smith, John, Jr.", True, Author(name="Smith, John, Jr.")),
        ("  ", True, None),
        (None, True, None),
    ],
)
def test_author_from_text(raw: str | None, is_person: bool, author: Author | None) -> None:
    assert author_from_text(raw, is_person=is_person) == author


@pytest.mark.parametrize(
    ("raw", "target"),
    [
        ("https://seamap.env.duke.edu/?", "https://seamap.env.duke.edu/?"),
        ("/dataset/1", "https://data.example.org/dataset/1"),
        ("../other", "https://data.example.org/other"),
        ("doi:10.1575/1912/X", "https://doi.org/10.1575/1912/x"),
        ("https://dx.doi.org/10.5281/ZENODO.1", "https://doi.org/10.5281/zenodo.1"),
        ("gov.noaa.nodc:0242273", "gov.noaa.nodc:0242273"),
        ("two words", None),
        ("", None),
        (None, None),
        ({"@id": "x"}, None),
    ],
)
def test_relation_target(raw: object, target: str | None) -> None:
    assert relation_target(raw, BASE) == target


def test_doi_in_reads_every_spelling_and_nothing_else() -> None:
    assert doi_in("https://doi.org/10.82144/E98987B1") == "10.82144/e98987b1"
    assert doi_in("doi: 10.82144/e98987b1") == "10.82144/e98987b1"
    assert doi_in("https://seamap.env.duke.edu/dataset/1970") is None
    assert doi_in("") is None
    assert doi_in(None) is None


def test_keywords_are_split_deduplicated_and_hierarchies_kept_whole() -> None:
    assert keywords_from(["a, b; c", "b", "EARTH SCIENCE > OCEANS, COASTS", 3]) == (
        "a",
        "b",
        "c",
        "EARTH SCIENCE > OCEANS, COASTS",
    )


def test_merge_takes_the_first_value_per_field_and_every_relation() -> None:
    part = Relation(type="HasPart", identifier="https://x.org/1")
    parent = Relation(type="IsPartOf", identifier="https://x.org/c")
    merged = merge_fields(
        [
            PageFields(title="From JSON-LD", relations=(part,)),
            PageFields(title="From Highwire", doi="10.1/x", relations=(part, parent)),
            PageFields(publisher="From OpenGraph", keywords=("k",)),
        ]
    )
    assert (merged.title, merged.doi, merged.publisher) == (
        "From JSON-LD",
        "10.1/x",
        "From OpenGraph",
    )
    assert merged.keywords == ("k",)
    assert merged.relations == (part, parent)

"""extract_work(): each metadata style yields its fields, in the documented precedence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cco_enrich.landing import SOURCE, extract_work
from cco_enrich.landing.markup import RDFA_MAX_ELEMENTS
from cco_enrich.models import Author, Relation, Work

DATA = Path(__file__).resolve().parent.parent / "data"
PAGES = DATA / "landing"
GOMMAPPS = json.loads((DATA / "cco" / "gommapps_output.json").read_text())
EXPECTED = {r["identifier"]["@id"]: r for r in GOMMAPPS["ore:describes"]["ore:aggregates"]}
NCEI_COLLECTION = "https://www.ncei.noaa.gov/archive/accession/GOMMAPPS"
ATN_PROJECT = "https://portal.atn.ioos.us/#metadata/6af10e97-4668-4dd0-9868-5ca029cb2f7a/project"


def work_of(page: str, url: str, **kwargs: Any) -> Work:
    work = extract_work((PAGES / page).read_bytes(), url, **kwargs)
    assert work is not None
    return work


def test_jsonld_dataset_in_a_graph_gives_every_field_and_its_relations() -> None:
    work = work_of("styles/jsonld_relations.html", "https://data.example.org/dataset/3300")
    assert work.title is not None
    assert work.title.startswith("Removal of organic carbon by natural bacterioplankton")
    assert work.type == "dataset"
    assert work.authors == (
        Author(given="Jane Q.", family="Doe", orcid="https://orcid.org/0000-0002-1825-0097"),
        Author(given="Luis", family="Martínez", orcid="https://orcid.org/0000-0001-5109-3700"),
        Author(name="Woods Hole Oceanographic Institution"),
    )
    assert work.contributors == (Author(given="Ana", family="Silva"),)
    assert work.publisher == "Biological and Chemical Oceanography Data Management Office (BCO-DMO)"
    assert (work.date_published, work.date_created, work.date_modified) == (
        "2017-03-02",
        "2016-11-30",
        "2019-06-21",
    )
    assert work.year == 2017
    assert work.temporal_coverage == "2012-01-15/2016-08-30"
    assert work.keywords == ("dissolved organic carbon", "bacterioplankton", "ocean acidification")
    assert work.relations == (
        Relation(type="IsPartOf", identifier="https://data.example.org/project/2242"),
        Relation(type="HasPart", identifier="https://data.example.org/dataset/3300/incubations"),
        Relation(type="HasPart", identifier="https://data.example.org/dataset/3300/bottle-data"),
        Relation(type="HasPart", identifier="https://doi.org/10.1575/1912/bco-dmo.3300.1"),
    )
    assert work.doi is None
    assert (work.source, work.registry, work.scheme) == (SOURCE, SOURCE, "url")
    assert work.pid == work.url == "https://data.example.org/dataset/3300"


def test_jsonld_naming_its_doi_by_id_identifier_and_same_as() -> None:
    work = work_of("styles/jsonld_doi.html", "https://zenodo.example/records/7654321")
    assert work.doi == "10.5281/zenodo.7654321"
    assert work.authors == (
        Author(given="Kristen", family="Hart"),
        Author(given="Michael", family="Cherkiss"),
    )
    assert work.description is not None
    assert "<p>" not in work.description


def test_highwire_tags_win_over_dublin_core_and_opengraph() -> None:
    work = work_of("styles/highwire_article.html", "https://journal.example/articles/x")
    assert work.title == "Abundance and distribution of sea turtles in the Gulf of Mexico"
    assert work.doi == "10.3389/fmars.2023.1234567"
    assert work.type == "journal-article"
    assert work.container_title == "Frontiers in Marine Science"
    assert work.date_published == "2023-05-03"
    assert [a.display_name for a in work.authors] == [
        "Lance P. Garrison",
        "Gina Rappucci",
        "Laura A. Dias",
    ]
    assert work.keywords == ("sea turtles", "line-transect", "density surface model")


def test_microdata_dataset_with_a_relative_is_part_of() -> None:
    work = work_of("styles/microdata.html", "https://portal.example.org/dataset/riceswhale-2019")
    assert work.title == "Aerial survey of Rice's whale habitat, 2019"
    assert work.type == "dataset"
    assert work.authors == (
        Author(given="Lance", family="Garrison", orcid="https://orcid.org/0000-0002-1825-0097"),
        Author(name="Southeast Fisheries Science Center"),
    )
    assert work.temporal_coverage == "2019-05-01/2019-06-15"
    assert work.relations == (
        Relation(type="IsPartOf", identifier="https://portal.example.org/collection/gommapps"),
    )


def test_rdfa_dataset() -> None:
    work = work_of("styles/rdfa.html", "https://catalog.example.gov/dataset/seabirds-2017-2019")
    assert (
        work.title
        == "Seabird observations from NOAA vessels in the northern Gulf of Mexico, 2017-2019"
    )
    assert work.type == "dataset"
    assert work.authors == (Author(given="Allison", family="Sussman"),)
    assert work.publisher == "US Geological Survey"
    assert work.date_modified == "2021-03-04"
    assert set(work.keywords) == {"seabirds", "line-transect"}
    assert work.relations == (
        Relation(type="IsPartOf", identifier="https://catalog.example.gov/collection/gommapps"),
    )


def test_opengraph_alone_gives_title_date_site_and_type() -> None:
    work = work_of("styles/opengraph_only.html", "https://blog.example.org/2021/07/tagging")
    assert work.title == "Tagging green turtles off Florida"  # og:title, not the <title>
    assert (work.type, work.publisher, work.date_published) == (
        "article",
        "Field Notes",
        "2021-07-19",
    )
    assert work.authors == ()  # article:author is a profile URL, not a name


def test_title_alone_is_enough() -> None:
    work = work_of("seamap/models_SEFSC_GOM.html", "https://seamap.env.duke.edu/models/SEFSC/GOM/")
    assert work.title == "Density of Cetaceans and Turtles in the Gulf of Mexico"
    assert work.type is None


@pytest.mark.parametrize("page", ["styles/nothing.html", "styles/soft_404.html"])
def test_a_page_without_usable_metadata_gives_nothing(page: str) -> None:
    assert extract_work((PAGES / page).read_bytes(), "https://pages.example.org/x") is None


@pytest.mark.parametrize("html", [b"", b"   ", b"\x00\x01binary", "<p>text only</p>"])
def test_empty_and_garbage_bodies_give_nothing(html: bytes | str) -> None:
    assert extract_work(html, "https://pages.example.org/x") is None


def test_an_app_shell_describes_no_fragment_route() -> None:
    """The ATN portal serves one script-driven page for every `#metadata/...` route."""
    html = (PAGES / "atn" / "portal.html").read_bytes()
    assert extract_work(html, ATN_PROJECT) is None
    site = extract_work(html, "https://portal.atn.ioos.us/")
    assert site is not None
    assert site.title == "ATN Data Portal"


def test_broken_jsonld_falls_back_to_the_next_syntax() -> None:
    html = (
        b'<html><head><script type="application/ld+json">{"@type": "Dataset", "name": </script>'
        b'<meta name="DC.title" content="From Dublin Core"></head></html>'
    )
    work = extract_work(html, "https://pages.example.org/x")
    assert work is not None
    assert work.title == "From Dublin Core"


def test_the_declared_charset_is_used() -> None:
    html = "<html><head><title>Mâcon données</title></head></html>".encode("latin-1")
    work = extract_work(html, "https://pages.example.org/x", encoding="iso-8859-1")
    assert work is not None
    assert work.title == "Mâcon données"


def test_only_organisations_and_people_are_main_nodes() -> None:
    html = b"""<script type="application/ld+json">[
      {"@context": "https://schema.org", "@type": "Organization", "name": "NOAA"},
      {"@context": "https://schema.org", "@type": "WebSite", "name": "Site"},
      {"@context": "https://schema.org", "@type": "WebPage", "name": "Page",
       "mainEntity": {"@type": "Dataset", "name": "The data", "isPartOf": "https://x.org/c"}}
    ]</script>"""
    work = extract_work(html, "https://pages.example.org/x")
    assert work is not None
    assert work.title == "The data"
    assert work.relations == (Relation(type="IsPartOf", identifier="https://x.org/c"),)


# The real example: every recorded page yields the example output's title, type and parts.

NCEI_PAGES = sorted(p.name for p in (PAGES / "ncei").glob("accession_*.html"))


def _ncei_url(page: str) -> str:
    accession = page.removeprefix("accession_").removesuffix(".html")
    matches = [u for u in EXPECTED if u.rsplit("/", 1)[-1].lstrip("0") == accession.lstrip("0")]
    assert len(matches) == 1
    return matches[0]


@pytest.mark.parametrize("page", NCEI_PAGES)
def test_ncei_pages_match_the_example_output(page: str) -> None:
    url = _ncei_url(page)
    expected = EXPECTED[url]
    work = work_of(f"ncei/{page}", url)
    assert work.title == expected["dc:title"]
    assert work.type == expected["@type"][1].lower()
    assert [a.name for a in work.authors] == [expected["dc:creator"]["foaf:name"]]
    parts = [r.identifier for r in work.relations if r.type == "HasPart"]
    assert parts == expected.get("hasPart", [])
    parents = [r.identifier for r in work.relations if r.type == "IsPartOf"]
    assert parents == ([expected["isPartOf"]["@id"]] if "isPartOf" in expected else [])


def test_the_ncei_collection_carries_its_dates_and_coverage() -> None:
    work = work_of("ncei/accession_GOMMAPPS.html", NCEI_COLLECTION)
    expected = EXPECTED[NCEI_COLLECTION]
    assert work.date_created == expected["datecreated"]
    assert work.date_modified == expected["datemodified"]
    start, end = (
        expected["dcterms:temporal"][0]["dcterms:start"],
        expected["dcterms:temporal"][1]["dcterms:end"],
    )
    assert work.temporal_coverage == f"{start}/{end}"


def test_inport_dublin_core_matches_the_example_output() -> None:
    url = "https://www.fisheries.noaa.gov/inport/item/70316"
    expected = EXPECTED[url]
    work = work_of("inport/item_70316.html", url)
    assert work.title == expected["dc:title"]
    assert work.type == "collection"
    assert [a.name for a in work.authors] == [expected["dc:creator"]["foaf:name"]]
    assert work.date_created == expected["dc:created"]
    assert [r.identifier for r in work.relations if r.type == "HasPart"] == expected[
        "dcterms:haspart"
    ]


@pytest.mark.parametrize("path", sorted(p.name for p in (PAGES / "seamap").glob("dataset_*.html")))
def test_seamap_dataset_pages_name_the_doi_of_the_example_resource(path: str) -> None:
    number = path.removeprefix("dataset_").removesuffix(".html")
    landing = f"https://seamap.env.duke.edu/dataset/{number}"
    (doi,) = [d for d, r in EXPECTED.items() if r.get("foaf:page") == landing]
    work = work_of(f"seamap/{path}", landing)
    assert work.doi == doi
    assert work.title == EXPECTED[doi]["dc:title"]
    temporal = EXPECTED[doi]["dcterms:temporal"]
    assert work.temporal_coverage == f"{temporal[0]['dcterms:start']}/{temporal[1]['dcterms:end']}"
    assert work.relations == (
        Relation(type="IsPartOf", identifier="https://seamap.env.duke.edu/?"),
    )


def test_schema_org_in_its_less_common_shapes() -> None:
    """Full IRIs as keys, @list creators, a Person known only by name, a periodical parent,
    DefinedTerm keywords, a numeric name, a DOI as a PropertyValue."""
    html = b"""<script type="application/ld+json">{
      "@context": "https://schema.org",
      "@type": "https://schema.org/ScholarlyArticle",
      "https://schema.org/headline": 1984,
      "author": {"@list": [
        {"@type": "Person", "name": "Kristen Hart"},
        {"@type": "GovernmentOrganization", "legalName": "US Geological Survey"},
        {"@type": "Person", "name": "Cherkiss, Michael", "sameAs": "https://orcid.org/0000-0001-5109-3700"}
      ]},
      "isPartOf": {"@type": "Periodical", "name": "Marine Ecology Progress Series"},
      "keywords": [{"@type": "DefinedTerm", "name": "telemetry"}, "turtles"],
      "identifier": {"@type": "PropertyValue", "propertyID": "DOI", "value": "10.3354/meps316239"}
    }</script>"""
    work = extract_work(html, "https://journal.example/a")
    assert work is not None
    assert (work.title, work.type, work.doi) == ("1984", "journal-article", "10.3354/meps316239")
    assert work.authors == (
        Author(given="Kristen", family="Hart"),
        Author(name="US Geological Survey"),
        Author(given="Michael", family="Cherkiss", orcid="https://orcid.org/0000-0001-5109-3700"),
    )
    assert work.container_title == "Marine Ecology Progress Series"
    assert work.keywords == ("telemetry", "turtles")


def test_the_node_whose_id_is_the_page_wins_among_equals() -> None:
    html = b"""<script type="application/ld+json">{"@graph": [
      {"@type": "Dataset", "@id": "https://x.org/other", "name": "Another dataset"},
      {"@type": "Dataset", "@id": "https://x.org/this", "name": "This dataset"},
      {"@type": "Event", "name": "An event"}
    ]}</script>"""
    work = extract_work(html, "https://x.org/this")
    assert work is not None
    assert work.title == "This dataset"


def test_a_page_with_too_much_rdfa_is_read_without_it() -> None:
    """pyRdfa needs seconds for thousands of nodes: past RDFA_MAX_ELEMENTS it is not run."""
    filler = b"".join(
        b'<div typeof="Thing"><span property="name">n%d</span></div>' % i
        for i in range(RDFA_MAX_ELEMENTS)
    )
    html = (PAGES / "styles" / "rdfa.html").read_bytes().replace(b"</body>", filler + b"</body>")
    work = extract_work(html, "https://catalog.example.gov/dataset/seabirds-2017-2019")
    assert work is not None
    assert work.title == "Seabird observations from NOAA vessels, 2017-2019"  # the <title>
    assert work.type is None

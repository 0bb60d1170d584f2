"""Matching relations inside a CCO: any shared identifier, URLs loosely, fragments strictly."""

from __future__ import annotations

import pytest

from cco_enrich.exports.links import cco_links, match_key, part_tree, pid_iri
from cco_enrich.ingest import build_resource
from cco_enrich.models import Relation, Resource

ATN = "https://portal.atn.ioos.us/#metadata/6af10e97/project"


def with_relations(identifier: str, *relations: tuple[str, str]) -> Resource:
    resource = build_resource(identifier)
    links = tuple(Relation(type=kind, identifier=target) for kind, target in relations)
    return resource.model_copy(update={"relations": links})


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://doi.org/10.82144/E98987B1", "doi:10.82144/e98987b1"),
        ("http://WWW.ncei.noaa.gov/archive/accession/GOMMAPPS/", "https://www.ncei.noaa.gov/archive/accession/GOMMAPPS"),
        ("https://pubmed.ncbi.nlm.nih.gov/31036960/", "PMID: 31036960"),
        ("https://arxiv.org/abs/1902.02534", "https://doi.org/10.48550/arXiv.1902.02534"),
        ("https://hdl.handle.net/20.500.12345/abc", "hdl:20.500.12345/abc"),
    ],
)  # fmt: skip
def test_two_spellings_of_one_identifier_match(one: str, other: str) -> None:
    assert match_key(one) == match_key(other) is not None


def test_urls_that_differ_after_the_fragment_do_not_match() -> None:
    assert match_key(ATN) != match_key(ATN + "/258f1f67/platform")


def test_a_part_is_found_by_any_of_its_ids_and_linked_both_ways() -> None:
    resources = [
        with_relations("https://example.org/collection", ("HasPart", "https://doi.org/10.5555/A")),
        build_resource("PMID: 31036960").model_copy(update={"doi": "10.5555/a"}),
        with_relations(ATN + "/x/platform", ("IsPartOf", "http://example.org/collection/")),
    ]
    links = cco_links(resources)
    assert links.children == {0: [1, 2]}
    assert links.parents == {1: [0], 2: [0]}
    assert part_tree(resources) == {"0": [1, 2]}


def test_a_part_outside_the_cco_and_any_other_relation_stay_related_links() -> None:
    resources = [
        with_relations(
            "10.5555/a",
            ("HasPart", "https://doi.org/10.5555/outside"),
            ("IsVersionOf", "https://doi.org/10.5555/b"),
            ("IsPartOf", "https://doi.org/10.5555/a"),  # itself: no link at all
        ),
        build_resource("10.5555/b"),
    ]
    links = cco_links(resources)
    assert links.children == {}
    assert [(r.type, r.position) for r in links.related[0]] == [
        ("HasPart", None),
        ("IsVersionOf", 1),
    ]


def test_a_landing_page_url_matches_only_what_no_identifier_names() -> None:
    """Every ATN dataset loads the same page: the identifiers given win over that URL."""
    shared = "https://portal.atn.ioos.us/"
    dataset = build_resource(ATN).model_copy(update={"url": shared})
    home = build_resource(shared)
    collection = with_relations("https://example.org/c", ("HasPart", shared))
    assert part_tree([dataset, home, collection]) == {"2": [1]}
    assert part_tree([dataset, collection]) == {"1": [0]}  # no one else: the page URL counts


def test_pid_iri_is_the_dois_link_else_the_pids() -> None:
    assert pid_iri(build_resource("PMID: 31036960")) == "https://pubmed.ncbi.nlm.nih.gov/31036960/"
    assert pid_iri(build_resource("ISBN 978-0-306-40615-7")) == "urn:isbn:9780306406157"
    assert pid_iri(build_resource("arXiv:1902.02534")) == (
        "https://doi.org/10.48550/arxiv.1902.02534"
    )
    assert pid_iri(build_resource("not an identifier")) is None

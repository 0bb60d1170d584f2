"""Re-ingest: a finished CCO (ore:ResourceMap) comes back as a session to edit and re-enrich."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, Namespace, URIRef

from cco_enrich.errors import InputError
from cco_enrich.exports.jsonld import render_jsonld
from cco_enrich.exports.links import part_tree
from cco_enrich.ingest import IdentifierListIngestor, IngestResult
from cco_enrich.models import Author, Relation, ResourceStatus, Session

DATA = Path(__file__).parent.parent / "data"
SCHEMA = Namespace("https://schema.org/")
DC = Namespace("http://purl.org/dc/elements/1.1/")
ORE = Namespace("http://www.openarchives.org/ore/terms/")
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


@pytest.fixture
def ingestor() -> IdentifierListIngestor:
    return IdentifierListIngestor(max_identifiers=100, max_bytes=1_000_000)


@pytest.fixture
def example() -> dict[str, Any]:
    with (DATA / "cco" / "gommapps_output.json").open(encoding="utf-8") as file:
        document: dict[str, Any] = json.load(file)
    return document


def as_session(result: IngestResult) -> Session:
    return Session(id="r" * 16, metadata=result.metadata, resources=result.resources)


def part_links(graph: Graph) -> set[tuple[str, str]]:
    """(parent, part) for every part link, whichever way it is written."""
    has = {(str(s), str(o)) for s, o in graph.subject_objects(SCHEMA.hasPart)}
    return has | {(str(o), str(s)) for s, o in graph.subject_objects(SCHEMA.isPartOf)}


def example_iri(entry: dict[str, Any]) -> str:
    given = entry["identifier"]["@id"]
    return given if entry["identifier"]["propertyID"] == "URL" else f"https://doi.org/{given}"


def test_the_real_cco_comes_back_with_every_resource_enriched(
    ingestor: IdentifierListIngestor, example: dict[str, Any]
) -> None:
    result = ingestor.ingest_json(example)
    entries = example["ore:describes"]["ore:aggregates"]
    assert result.total == 38
    assert {r.status for r in result.resources} == {ResourceStatus.ENRICHED}
    assert [r.title for r in result.resources] == [e["dc:title"] for e in entries]
    assert next(r.doi for r in result.resources if r.doi) == "10.82144/e98987b1"
    assert result.resources[13].identifier == "https://seamap.env.duke.edu/?"


def test_the_real_cco_keeps_its_metadata(
    ingestor: IdentifierListIngestor, example: dict[str, Any]
) -> None:
    assert ingestor.ingest_json(example).metadata == {
        "title": example["ore:describes"]["name"],
        "project_name": example["name"],
        "landing_page": "https://www.boem.gov/GOMMAPPS/",
        "creator": {
            "name": "US Dept. of the Interior, Bureau of Ocean Energy Management",
            "ror_id": "https://ror.org/03tzscr25",
        },
        "version": "1.2",
        "created_by": example["dc:creator"]["foaf:name"],
        "date_created": "2025-11-12",
        "resource_map_id": "http://opendata.boem.gov/GOMMAPPSCCO.json",
        "output_filename_slug": "GOMMAPPSCCO",
    }


def test_the_real_cco_keeps_each_resource_s_descriptive_fields(
    ingestor: IdentifierListIngestor,
    example: dict[str, Any],
) -> None:
    collection, dataset = ingestor.ingest_json(example).resources[:2]
    assert (collection.type, collection.date_created, collection.date_modified) == (
        "collection",
        "2021-10-04",
        "2022-08-01",
    )
    assert collection.temporal_coverage == "2003-06-12/2020-02-12"
    assert collection.authors == (
        Author(
            name="US Dept. of Commerce, National Oceanic and Atmospheric Administration, "
            "National Centers for Environmental Information"
        ),
    )
    assert dataset.contributors == (
        Author(
            name="Gina Rappucci; US DOC; NOAA; NMFS; Southeast Fisheries Science Center; "
            "Miami, FL Laboratory"
        ),
    )
    assert dataset.url == "https://www.ncei.noaa.gov/archive/accession/242273"
    assert Relation(type="IsPartOf", identifier=collection.identifier) in dataset.relations


def test_links_outside_the_cco_are_kept_but_make_no_parts(
    ingestor: IdentifierListIngestor, example: dict[str, Any]
) -> None:
    """InPort's `dcterms:haspart` items are not in the CCO: kept, never nested."""
    resources = ingestor.ingest_json(example).resources
    inport = resources[21]
    assert inport.identifier == "https://www.fisheries.noaa.gov/inport/item/70316"
    assert len(inport.relations) == 19
    assert {r.type for r in inport.relations} == {"HasPart"}
    assert "21" not in part_tree(resources)


def test_the_part_tree_of_the_real_cco_nests_its_three_collections(
    ingestor: IdentifierListIngestor, example: dict[str, Any]
) -> None:
    tree = part_tree(ingestor.ingest_json(example).resources)
    assert {parent: len(parts) for parent, parts in tree.items()} == {"0": 9, "13": 6, "22": 15}


def test_exporting_a_re_ingested_cco_keeps_identifiers_titles_and_part_links(
    ingestor: IdentifierListIngestor, example: dict[str, Any]
) -> None:
    exported = render_jsonld(as_session(ingestor.ingest_json(example)))
    graph = Graph().parse(data=exported, format="json-ld")
    entries = example["ore:describes"]["ore:aggregates"]
    nodes = set(graph.objects(None, ORE.aggregates))
    assert nodes == {URIRef(example_iri(entry)) for entry in entries}
    titles = {str(node): str(graph.value(node, DC.title)) for node in nodes}
    assert titles == {example_iri(entry): entry["dc:title"] for entry in entries}
    expected = {(example_iri(e), p) for e in entries for p in e.get("hasPart", [])} | {
        (e["isPartOf"]["@id"], example_iri(e)) for e in entries if "isPartOf" in e
    }
    assert len(expected) == 30
    assert part_links(graph) == expected
    document = json.loads(exported)
    assert (document["@id"], document["dc:creator"], document["dc:created"]) == (
        example["@id"],
        example["dc:creator"],
        example["dc:created"],
    )


def test_our_own_export_round_trips(
    ingestor: IdentifierListIngestor, example: dict[str, Any]
) -> None:
    first = ingestor.ingest_json(example)
    again = ingestor.ingest_json(json.loads(render_jsonld(as_session(first))))
    assert again.metadata == first.metadata
    assert [r.identifier for r in again.resources] == [r.identifier for r in first.resources]
    assert [r.title for r in again.resources] == [r.title for r in first.resources]
    assert part_tree(again.resources) == part_tree(first.resources)
    assert [r.temporal_coverage for r in again.resources] == [
        r.temporal_coverage for r in first.resources
    ]


def test_a_hollow_resource_is_pending_so_enrich_fills_it(ingestor: IdentifierListIngestor) -> None:
    document = {
        "@type": "ore:ResourceMap",
        "@id": "urn:cco-enrich:session:old",
        "ore:describes": {
            "ore:aggregates": [
                {"identifier": {"propertyID": "URL", "@id": "https://example.org/a"}},
                {
                    "@id": "https://doi.org/10.5555/b",
                    "identifier": [
                        {"propertyID": "https://registry.identifiers.org/registry/doi",
                         "value": "10.5555/b"},
                        {"propertyID": "https://registry.identifiers.org/registry/pubmed",
                         "value": "31036960"},
                    ],
                    "dc:title": "B",
                    "author": [{"@type": "Person", "givenName": "Jane", "familyName": "Doe"}],
                    "datePublished": "2020-05-01",
                    "sdPublisher": {"@type": "Organization", "name": "Crossref"},
                },
                {"identifier": {"value": "not an identifier"}, "dc:title": "C"},
            ]
        },
    }  # fmt: skip
    result = ingestor.ingest_json(document)
    hollow, full, junk = result.resources
    assert (hollow.status, hollow.scheme) == (ResourceStatus.PENDING, "url")
    assert (full.status, full.doi, full.pmid, full.source) == (
        ResourceStatus.ENRICHED,
        "10.5555/b",
        "31036960",
        "crossref",
    )
    assert (full.year, full.date_published, full.authors) == (
        2020,
        "2020-05-01",
        (Author(given="Jane", family="Doe"),),
    )
    assert (junk.status, junk.title) == (ResourceStatus.INVALID, "C")
    assert "resource_map_id" not in result.metadata  # another session's URN is not kept


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"@type": "ore:ResourceMap"}, "needs 'ore:describes'"),
        ({"ore:describes": {"ore:aggregates": ["x"]}}, r"ore:aggregates\[0\] must be"),
        ({"ore:describes": {"ore:aggregates": []}}, "'ore:aggregates' is empty"),
    ],
)
def test_a_broken_map_is_refused_saying_what_is_missing(
    ingestor: IdentifierListIngestor, document: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        ingestor.ingest_json(document)


def test_a_map_is_read_from_an_upload_named_jsonld(
    ingestor: IdentifierListIngestor, example: dict[str, Any]
) -> None:
    result = ingestor.ingest_upload("GOMMAPPSCCO.jsonld", json.dumps(example).encode())
    assert result.total == 38

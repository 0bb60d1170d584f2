"""The OAI-ORE Resource Map (JSON-LD): linked data rdflib reads, shaped like the real CCO."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from cco_enrich.exports.jsonld import render_jsonld, resource_map_id
from cco_enrich.models import Session
from tests.exports.sample import COLLECTION, OUTSIDE, PART_DOI, PART_URL

ORE = Namespace("http://www.openarchives.org/ore/terms/")
SCHEMA = Namespace("https://schema.org/")
DC = Namespace("http://purl.org/dc/elements/1.1/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
# rdflib's JSON-LD parser builds a ConjunctiveGraph internally, which rdflib 7.6 deprecates.
RDFLIB_WARNING = "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
pytestmark = pytest.mark.filterwarnings(RDFLIB_WARNING)


def graph_of(session: Session) -> Graph:
    return Graph().parse(data=render_jsonld(session), format="json-ld")


def aggregated(graph: Graph) -> list[Any]:
    return list(graph.objects(None, ORE.aggregates))


def test_every_aggregated_resource_is_an_iri_with_its_title(session: Session) -> None:
    graph = graph_of(session)
    nodes = aggregated(graph)
    assert len(nodes) == len(session.resources)
    assert all(isinstance(node, URIRef) for node in nodes)
    titles = {str(graph.value(node, DC.title)) for node in nodes if graph.value(node, DC.title)}
    assert titles == {r.title for r in session.resources if r.title}
    sici_iri = URIRef(
        "https://doi.org/10.1002/(sici)1097-4571(199806)49:8%3C693::aid-asi4%3E3.0.co;2-0"
    )
    assert sici_iri in nodes
    assert URIRef("https://seamap.env.duke.edu/?") in nodes


def test_a_resource_without_an_iri_gets_one_inside_the_map(session: Session) -> None:
    nodes = aggregated(graph_of(session))
    assert URIRef("urn:cco-enrich:session:0123456789abcdef#resource-11") in nodes


def test_the_real_cco_names_each_resource_by_the_iri_of_its_pid(gommapps: Session) -> None:
    graph = graph_of(gommapps)
    nodes = set(aggregated(graph))
    assert len(nodes) == 38
    assert URIRef(f"https://doi.org/{PART_DOI}") in nodes
    atn = "https://portal.atn.ioos.us/#metadata/6af10e97-4668-4dd0-9868-5ca029cb2f7a/project"
    assert URIRef(atn) in nodes  # the fragment tells the ATN datasets apart
    enriched = URIRef(f"https://doi.org/{PART_DOI}")
    assert graph.value(enriched, DC.title) == Literal("SEFSC GoMMAPPS 2017 Summer Aerial Survey")
    assert (enriched, RDF.type, SCHEMA.Dataset) in graph


def test_parts_inside_the_cco_link_both_ways_by_iri(collection: Session) -> None:
    graph = graph_of(collection)
    nodes = set(aggregated(graph))
    parent = URIRef(COLLECTION)
    parts = set(graph.objects(parent, SCHEMA.hasPart))
    assert parts == {URIRef(PART_URL), URIRef(f"https://doi.org/{PART_DOI}")}
    assert all(part in nodes for part in parts)
    for part in parts:
        assert (part, SCHEMA.isPartOf, parent) in graph
    every_part_link = [o for p in (SCHEMA.hasPart, SCHEMA.isPartOf) for o in graph.objects(None, p)]
    assert len(every_part_link) == 4
    assert all(o in nodes for o in every_part_link)


def test_a_relation_outside_the_cco_is_a_plain_related_link(collection: Session) -> None:
    graph = graph_of(collection)
    outside = URIRef(OUTSIDE)
    assert (URIRef(COLLECTION), DCTERMS.relation, outside) in graph
    assert (None, SCHEMA.hasPart, outside) not in graph
    part = URIRef(f"https://doi.org/{PART_DOI}")
    assert (part, DCTERMS.isVersionOf, URIRef("https://doi.org/10.82144/older")) in graph


def test_proxies_are_ore_proxies_for_aggregated_resources(collection: Session) -> None:
    graph = graph_of(collection)
    aggregation = URIRef("https://www.boem.gov/GOMMAPPS/#Aggregation")
    proxies = list(graph.subjects(RDF.type, ORE.Proxy))
    assert len(proxies) == len(collection.resources)
    nodes = set(aggregated(graph))
    assert {graph.value(p, ORE.proxyFor) for p in proxies} == nodes
    assert {graph.value(p, ORE.proxyIn) for p in proxies} == {aggregation}


def test_a_pending_handle_is_named_by_its_proxy_link(collection: Session) -> None:
    entry = json.loads(render_jsonld(collection))["ore:describes"]["ore:aggregates"][3]
    assert entry["@id"] == "https://hdl.handle.net/20.500.12345/abc"
    assert entry["identifier"] == {
        "@type": "PropertyValue",
        "propertyID": "https://registry.identifiers.org/registry/hdl",
        "value": "20.500.12345/abc",
        "url": "https://hdl.handle.net/20.500.12345/abc",
    }
    assert entry["additionalProperty"]["value"] == "pending"


def test_landing_page_fields_are_exported(collection: Session) -> None:
    parent, _, part = json.loads(render_jsonld(collection))["ore:describes"]["ore:aggregates"][:3]
    assert parent["@type"] == ["ore:AggregatedResource", "Collection"]
    assert (parent["dateCreated"], parent["temporalCoverage"]) == (
        "2021-10-04",
        "2003-06-12/2020-02-12",
    )
    assert parent["sdPublisher"] == {"@type": "Organization", "name": "the landing page"}
    assert part["dc:contributor"] == ["Southeast Fisheries Science Center"]
    assert part["contributor"] == [
        {"@type": "Organization", "name": "Southeast Fisheries Science Center"}
    ]


def test_jsonld_has_the_shape_of_the_example_cco(
    gommapps: Session, example: dict[str, Any]
) -> None:
    document = json.loads(render_jsonld(gommapps))
    assert set(document) == set(example) - {"version"}
    assert document["@context"] == example["@context"]
    assert (document["@type"], document["additionalType"], document["name"]) == (
        example["@type"],
        example["additionalType"],
        example["name"],
    )
    aggregation, expected = document["ore:describes"], example["ore:describes"]
    assert set(aggregation) == set(expected)
    assert {key: aggregation[key] for key in ("@type", "name", "author", "foaf:page")} == {
        key: expected[key] for key in ("@type", "name", "author", "foaf:page")
    }
    assert aggregation["@id"] == f"{document['@id']}#Aggregation"
    assert (document["dc:created"], document["dc:modified"]) == ("2025-11-12", "2025-11-19")


def test_jsonld_identifies_resources_like_the_example(
    gommapps: Session, example: dict[str, Any]
) -> None:
    ours = json.loads(render_jsonld(gommapps))["ore:describes"]["ore:aggregates"]
    theirs = example["ore:describes"]["ore:aggregates"]
    assert [entry["identifier"]["propertyID"] for entry in ours] == [
        entry["identifier"]["propertyID"] for entry in theirs
    ]
    for mine, reference in zip(ours, theirs, strict=True):
        given = reference["identifier"]["@id"]
        if reference["identifier"]["propertyID"] == "URL":
            assert mine["@id"] == mine["identifier"]["url"] == given
        else:
            assert mine["identifier"]["value"] == given
            assert mine["@id"] == mine["identifier"]["url"] == f"https://doi.org/{given}"
    assert all(entry["@type"][0] == "ore:AggregatedResource" for entry in ours)


def test_jsonld_has_a_stable_proxy_per_resource_with_an_iri(
    gommapps: Session, example: dict[str, Any]
) -> None:
    proxies = json.loads(render_jsonld(gommapps))["ore:describes"]["ore:proxies"]
    assert len(proxies) == 38
    assert proxies == json.loads(render_jsonld(gommapps))["ore:describes"]["ore:proxies"]
    expected = {p["ore:proxyFor"] for p in example["ore:describes"]["ore:proxies"]}
    dois = [p["ore:proxyFor"]["@id"] for p in proxies if "10.82144" in p["ore:proxyFor"]["@id"]]
    assert len(dois) == 6
    assert set(dois) <= expected
    assert proxies[14]["name"] == (
        "Proxy for SEFSC GoMMAPPS 2017 Summer Aerial Survey in Cetacean, sea turtle, and "
        "seabird observations from the Gulf of Mexico Marine Assessment Program for Protected "
        "Species Program"
    )
    assert {(p["@type"], p["@id"][:9]) for p in proxies} == {("ore:Proxy", "urn:uuid:")}


def test_jsonld_gives_no_proxy_to_an_identifier_without_iri(session: Session) -> None:
    proxies = json.loads(render_jsonld(session))["ore:describes"]["ore:proxies"]
    assert len(proxies) == len(session.resources) - 1
    assert "not a doi" not in json.dumps(proxies)


def test_jsonld_describes_an_enriched_resource(session: Session) -> None:
    entries = json.loads(render_jsonld(session))["ore:describes"]["ore:aggregates"]
    preprint, chapter, dataset = entries[1], entries[2], entries[3]
    assert preprint["@type"] == ["ore:AggregatedResource", "ScholarlyArticle"]
    assert preprint["dc:creator"] == {"foaf:name": "Luke R. Joyce; Jéssica da C. Mendonça"}
    assert preprint["author"][1] == {
        "@type": "Person",
        "name": "Jéssica da C. Mendonça",
        "givenName": "Jéssica da C.",
        "familyName": "Mendonça",
        "identifier": {
            "@type": "PropertyValue",
            "propertyID": "https://registry.identifiers.org/registry/orcid",
            "value": "https://orcid.org/0000-0002-2555-4582",
        },
    }
    assert (preprint["datePublished"], preprint["publisher"]["name"]) == ("2020", "openRxiv")
    assert chapter["isPartOf"] == {"@type": "Book", "name": "Shoulder Stiffness"}
    assert dataset["@type"][1] == "Dataset"
    assert dataset["author"][1] == {"@type": "Organization", "name": "Dryad Digital Repository"}
    assert dataset["sdPublisher"] == {"@type": "Organization", "name": "DataCite"}
    assert "additionalProperty" not in dataset


def test_jsonld_notes_the_status_of_a_resource_not_enriched(session: Session) -> None:
    entries = json.loads(render_jsonld(session))["ore:describes"]["ore:aggregates"]
    failed, invalid = entries[7], entries[10]
    assert failed["additionalProperty"]["value"] == "failed"
    assert failed["additionalProperty"]["description"] == "gave up after 6 attempts: HTTP 503"
    assert failed["@type"] == ["ore:AggregatedResource", "CreativeWork"]
    assert invalid["identifier"] == {"@type": "PropertyValue", "value": "not a doi"}
    assert invalid["additionalProperty"]["value"] == "invalid"


@pytest.mark.parametrize(
    ("metadata", "map_id"),
    [
        ({"resource_map_id": "http://opendata.boem.gov/GOMMAPPSCCO.json"}, "http://opendata.boem.gov/GOMMAPPSCCO.json"),
        ({"landing_page": "https://www.boem.gov/GOMMAPPS/", "output_filename_slug": "G"}, "https://www.boem.gov/GOMMAPPS/G.jsonld"),
        ({"landing_page": "https://www.boem.gov/GOMMAPPS/"}, "https://www.boem.gov/GOMMAPPS/"),
        ({"output_filename_slug": "G"}, "urn:cco-enrich:session:s1"),
    ],
)  # fmt: skip
def test_resource_map_id_comes_from_metadata(metadata: dict[str, str], map_id: str) -> None:
    assert resource_map_id(Session(id="s1", metadata=metadata)) == map_id


def test_jsonld_accepts_several_creators() -> None:
    creators = [
        {"name": "A", "orcid": "https://orcid.org/0000-0002-1825-0097"},
        "B",
        {},
        {"name": "C"},
    ]
    session = Session(id="s1", metadata={"creator": creators, "version": "1.2"})
    document = json.loads(render_jsonld(session))
    authors = document["ore:describes"]["author"]
    assert [(a["@type"], a["name"]) for a in authors] == [
        ("Person", "A"),
        ("Organization", "B"),
        ("Organization", "C"),
    ]
    assert (document["dc:creator"]["foaf:name"], document["version"]) == ("A; B; C", "1.2")

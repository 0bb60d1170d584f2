"""The OAI-ORE Resource Map (JSON-LD): parses as RDF and has the shape of the published CCO."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rdflib import Graph, Namespace, URIRef

from cco_enrich.exports.jsonld import render_jsonld, resource_map_id
from cco_enrich.models import Session

ORE = Namespace("http://www.openarchives.org/ore/terms/")
SCHEMA = Namespace("https://schema.org/")
# rdflib's JSON-LD parser builds a ConjunctiveGraph internally, which rdflib 7.6 deprecates.
RDFLIB_WARNING = "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"


@pytest.mark.filterwarnings(RDFLIB_WARNING)
def test_jsonld_parses_as_rdf_with_one_aggregates_triple_per_resource(session: Session) -> None:
    graph = Graph().parse(data=render_jsonld(session), format="json-ld")
    aggregation = URIRef("urn:cco-enrich:session:0123456789abcdef#Aggregation")
    aggregated = list(graph.objects(aggregation, ORE.aggregates))
    assert len(aggregated) == len(session.resources)
    assert all((node, SCHEMA.identifier, None) in graph for node in aggregated)
    sici_iri = URIRef(
        "https://doi.org/10.1002/(sici)1097-4571(199806)49:8%3C693::aid-asi4%3E3.0.co;2-0"
    )
    assert (sici_iri, SCHEMA.propertyID, None) in graph


@pytest.mark.filterwarnings(RDFLIB_WARNING)
def test_jsonld_of_the_real_cco_parses_as_rdf(gommapps: Session) -> None:
    graph = Graph().parse(data=render_jsonld(gommapps), format="json-ld")
    assert len(list(graph.triples((None, ORE.aggregates, None)))) == 38


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
    urls = [(o["identifier"], t["identifier"]) for o, t in zip(ours, theirs, strict=True)]
    assert all(o == t for o, t in urls if t["propertyID"] == "URL")
    dois = [(o["identifier"], t["identifier"]) for o, t in zip(ours, theirs, strict=True)]
    assert all(
        o["value"] == t["@id"] and o["@id"] == f"https://doi.org/{t['@id']}"
        for o, t in dois
        if t["propertyID"] != "URL"
    )
    assert all(entry["@type"][0] == "ore:AggregatedResource" for entry in ours)


def test_jsonld_has_a_stable_proxy_per_resource_with_an_iri(
    gommapps: Session, example: dict[str, Any]
) -> None:
    proxies = json.loads(render_jsonld(gommapps))["ore:describes"]["ore:proxies"]
    assert len(proxies) == 38
    assert proxies == json.loads(render_jsonld(gommapps))["ore:describes"]["ore:proxies"]
    expected = {p["ore:proxyFor"] for p in example["ore:describes"]["ore:proxies"]}
    dois = [p["ore:proxyFor"] for p in proxies if "10.82144" in p["ore:proxyFor"]]
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

"""Exports: every format parses back with a real reader and never loses a resource."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bibtexparser.entrypoint import parse_string
from rdflib import Graph, Namespace, URIRef

from cco_enrich.errors import EnrichError
from cco_enrich.exports import (
    EXPORT_FORMATS,
    UnknownFormatError,
    export_filename,
    render_export,
)
from cco_enrich.exports.bibtex import render_bibtex
from cco_enrich.exports.csl import render_csl_json
from cco_enrich.exports.jsonld import render_jsonld, resource_map_id
from cco_enrich.exports.ris import render_ris
from cco_enrich.exports.table import COLUMNS, render_csv
from cco_enrich.exports.vocab import citation_keys
from cco_enrich.ingest import IdentifierListIngestor
from cco_enrich.models import Author, Outcome, ProcessingStatus, Resource, Session, Work

DATA = Path(__file__).parent / "data"
ORE = Namespace("http://www.openarchives.org/ore/terms/")
SCHEMA = Namespace("https://schema.org/")
SICI = "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0"
CREATED = datetime(2025, 11, 12, 9, 30, tzinfo=UTC)
MODIFIED = datetime(2025, 11, 19, 17, 0, tzinfo=UTC)
# rdflib's JSON-LD parser builds a ConjunctiveGraph internally, which rdflib 7.6 deprecates.
RDFLIB_WARNING = "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"

# Values from the recorded registry answers in tests/data/registry/.
WORKS = [
    Work(
        doi="10.1371/journal.pone.0033693",
        registry="crossref",
        title="Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia "
        "in the Basal Ganglia of Mice",
        authors=(
            Author(given="Shankar", family="Sadasivan"),
            Author(given="Brooks B.", family="Pond"),
        ),
        year=2012,
        container_title="PLoS ONE",
        type="journal-article",
        publisher="Public Library of Science (PLoS)",
        url="https://doi.org/10.1371/journal.pone.0033693",
    ),
    Work(
        doi="10.1101/2020.12.01.406702",
        registry="crossref",
        title="Identification of a novel cationic glycolipid in Streptococcus agalactiae that "
        "contributes to brain entry and meningitis",
        authors=(
            Author(given="Luke R.", family="Joyce", orcid="https://orcid.org/0000-0002-9346-671X"),
            Author(
                given="Jéssica da C.",
                family="Mendonça",
                orcid="https://orcid.org/0000-0002-2555-4582",
            ),
        ),
        year=2020,
        type="posted-content",
        publisher="openRxiv",
        url="https://doi.org/10.1101/2020.12.01.406702",
    ),
    Work(
        doi="10.1007/978-3-662-46370-3_13",
        registry="crossref",
        title="Clinical Symptoms and Physical Examinations",
        authors=(Author(given="Ronald L.", family="Diercks"),),
        year=2015,
        container_title="Shoulder Stiffness",
        type="book-chapter",
        publisher="Springer Berlin Heidelberg",
        url="https://doi.org/10.1007/978-3-662-46370-3_13",
    ),
    Work(
        doi="10.5061/dryad.8515",
        registry="datacite",
        title="Data from: A new malaria agent in African hominids.",
        authors=(
            Author(given="Céline", family="Arnathau"),
            Author(name="Dryad Digital Repository"),
        ),
        year=2011,
        type="dataset",
        publisher="Dryad",
        url="https://doi.org/10.5061/dryad.8515",
    ),
    Work(
        doi="10.1038/d41586-020-02761-z",
        registry="crossref",
        title="Costs & benefits: 50% of $x_1$ {braces} #tag ~ ^ back\\slash",
        authors=(Author(family="Nature"), Author(name='=HYPERLINK("http://evil")')),
        year=2020,
        container_title="-2+3",
        type="journal-article",
        publisher="@publisher",
        url="https://doi.org/10.1038/d41586-020-02761-z",
    ),
    Work(
        doi="10.1038/second",
        registry="crossref",
        title="Costs of everything",
        authors=(Author(family="Nature"),),
        year=2020,
        type="journal-article",
    ),
]


def enriched(work: Work) -> Resource:
    return Resource(identifier=work.doi.upper(), doi=work.doi).with_outcome(Outcome.enriched(work))


@pytest.fixture
def session() -> Session:
    """Every status: six enriched works, not_found (a SICI DOI), failed, pending, a URL, junk."""
    resources = [enriched(work) for work in WORKS] + [
        Resource(identifier=SICI.upper(), doi=SICI).with_outcome(Outcome.not_found(SICI)),
        Resource(identifier="10.5555/gone", doi="10.5555/gone").with_outcome(
            Outcome.failed("10.5555/gone", "gave up after 6 attempts: HTTP 503")
        ),
        Resource(identifier="https://doi.org/10.5555/later", doi="10.5555/later"),
        Resource(identifier="https://seamap.env.duke.edu/?", status="skipped", error="not a DOI"),
        Resource(identifier="not a doi", status="invalid", error="'not a doi' is not a DOI"),
    ]
    return Session(
        id="0123456789abcdef",
        metadata={"title": "Test CCO", "output_filename_slug": "Test CCO/ü"},
        resources=resources,
        processing_status=ProcessingStatus(updated_at=MODIFIED),
        created_at=CREATED,
    )


@pytest.fixture
def gommapps() -> Session:
    """The real CCO input, ingested, with its first DOI enriched."""
    with (DATA / "cco" / "gommapps_input.json").open(encoding="utf-8") as file:
        document = json.load(file)
    ingested = IdentifierListIngestor(max_identifiers=100, max_bytes=100_000).ingest_json(document)
    resources = list(ingested.resources)
    resources[14] = resources[14].with_outcome(
        Outcome.enriched(
            Work(
                doi="10.82144/e98987b1",
                registry="datacite",
                title="SEFSC GoMMAPPS 2017 Summer Aerial Survey",
                authors=(Author(name="OBIS-SEAMAP"),),
                year=2021,
                type="dataset",
            )
        )
    )
    return Session(
        id="f" * 32,
        metadata=ingested.metadata,
        resources=resources,
        processing_status=ProcessingStatus(updated_at=MODIFIED),
        created_at=CREATED,
    )


@pytest.fixture
def example() -> dict[str, Any]:
    with (DATA / "cco" / "gommapps_output.json").open(encoding="utf-8") as file:
        document: dict[str, Any] = json.load(file)
    return document


# --- registry and file names ----------------------------------------------------------------


def test_export_formats_are_registered_with_media_type_and_extension() -> None:
    assert {name: (f.media_type, f.extension) for name, f in EXPORT_FORMATS.items()} == {
        "jsonld": ("application/ld+json", "jsonld"),
        "csl-json": ("application/vnd.citationstyles.csl+json", "json"),
        "bibtex": ("application/x-bibtex", "bib"),
        "ris": ("application/x-research-info-systems", "ris"),
        "csv": ("text/csv; charset=utf-8", "csv"),
    }


def test_render_export_gives_text_media_type_and_file_name(session: Session) -> None:
    text, media_type, filename = render_export(session, " BibTeX ")
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


def count_records(name: str, text: str) -> int:
    """How many resources a rendered export holds, read back with each format's parser."""
    if name == "jsonld":
        return len(json.loads(text)["ore:describes"]["ore:aggregates"])
    if name == "csl-json":
        return len(json.loads(text))
    if name == "bibtex":
        return len(parse_string(text).entries)
    if name == "ris":
        return len(read_ris(text))
    return len(read_csv(text))


@pytest.mark.parametrize("name", list(EXPORT_FORMATS))
def test_every_format_keeps_every_resource_of_the_real_cco(gommapps: Session, name: str) -> None:
    text, _, filename = render_export(gommapps, name)
    assert filename == f"GOMMAPPSCCO.{EXPORT_FORMATS[name].extension}"
    assert count_records(name, text) == 38
    assert all(resource.identifier in text for resource in gommapps.resources)


# --- JSON-LD --------------------------------------------------------------------------------


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


# --- CSL-JSON -------------------------------------------------------------------------------


def test_csl_json_has_one_item_per_resource_keyed_like_bibtex(session: Session) -> None:
    items = json.loads(render_csl_json(session))
    assert [item["id"] for item in items] == citation_keys(session.resources)
    assert len({item["id"] for item in items}) == len(session.resources)


def test_csl_json_maps_fields_and_types(session: Session) -> None:
    article, preprint, chapter, dataset, special = json.loads(render_csl_json(session))[:5]
    assert article == {
        "id": "sadasivan2012methylphenidate",
        "type": "article-journal",
        "title": WORKS[0].title,
        "author": [
            {"family": "Sadasivan", "given": "Shankar"},
            {"family": "Pond", "given": "Brooks B."},
        ],
        "issued": {"date-parts": [[2012]]},
        "container-title": "PLoS ONE",
        "publisher": "Public Library of Science (PLoS)",
        "DOI": "10.1371/journal.pone.0033693",
        "URL": "https://doi.org/10.1371/journal.pone.0033693",
    }
    assert [preprint["type"], chapter["type"], dataset["type"]] == ["article", "chapter", "dataset"]
    assert dataset["author"][1] == {"literal": "Dryad Digital Repository"}
    assert special["author"][0] == {"family": "Nature"}


def test_csl_json_keeps_a_resource_not_enriched_as_a_document_with_a_note(
    session: Session,
) -> None:
    not_found, _, pending, url, invalid = json.loads(render_csl_json(session))[6:]
    assert not_found["type"] == "document"
    assert not_found["DOI"] == SICI
    assert (
        not_found["note"] == f"cco_enrich: {SICI.upper()} is not_found: no registry knows this DOI"
    )
    assert pending["note"] == "cco_enrich: https://doi.org/10.5555/later is pending"
    assert url["URL"] == "https://seamap.env.duke.edu/?"
    assert invalid == {
        "id": "item11",
        "type": "document",
        "note": "cco_enrich: not a doi is invalid: 'not a doi' is not a DOI",
    }


# --- BibTeX ---------------------------------------------------------------------------------


def test_bibtex_parses_back_with_every_entry_doi_and_title(session: Session) -> None:
    library = parse_string(render_bibtex(session))
    assert not library.failed_blocks
    assert len(library.entries) == len(session.resources)
    assert [entry.key for entry in library.entries] == citation_keys(session.resources)
    dois = [entry.fields_dict["doi"].value if "doi" in entry else None for entry in library.entries]
    assert dois == [resource.doi for resource in session.resources]
    titles = [entry["title"] for entry in library.entries[:4]]
    assert titles == [work.title for work in WORKS[:4]]


def test_bibtex_escapes_latex_special_characters(session: Session) -> None:
    entry = parse_string(render_bibtex(session)).entries[4]
    assert entry["title"] == (
        r"Costs \& benefits: 50\% of \$x\_1\$ \{braces\} \#tag \textasciitilde{} "
        r"\textasciicircum{} back\textbackslash{}slash"
    )
    assert entry["author"] == r'{Nature} and {=HYPERLINK("http://evil")}'


def test_bibtex_maps_types_fields_and_unique_keys(session: Session) -> None:
    entries = parse_string(render_bibtex(session)).entries
    assert [(e.entry_type, e.key) for e in entries[:6]] == [
        ("article", "sadasivan2012methylphenidate"),
        ("misc", "joyce2020identification"),
        ("incollection", "diercks2015clinical"),
        ("misc", "arnathau2011data"),
        ("article", "nature2020costs"),
        ("article", "nature2020costsa"),
    ]
    assert entries[0]["journal"] == "PLoS ONE"
    assert entries[0]["author"] == "Sadasivan, Shankar and Pond, Brooks B."
    assert entries[2]["booktitle"] == "Shoulder Stiffness"
    assert entries[1]["author"] == "Joyce, Luke R. and Mendonça, Jéssica da C."


def test_bibtex_keeps_a_resource_not_enriched_as_misc_with_a_note(session: Session) -> None:
    entries = parse_string(render_bibtex(session)).entries
    not_found, url, invalid = entries[6], entries[9], entries[10]
    assert (not_found.entry_type, not_found["doi"]) == ("misc", SICI)
    assert not_found["note"].startswith(r"cco\_enrich: 10.1002/(SICI)")
    assert url["url"] == "https://seamap.env.duke.edu/?"
    assert invalid["note"] == r"cco\_enrich: not a doi is invalid: 'not a doi' is not a DOI"


def test_bibtex_export_ingests_back_to_the_same_dois(session: Session) -> None:
    ingestor = IdentifierListIngestor(max_identifiers=100, max_bytes=100_000)
    result = ingestor.ingest_bibtex(render_bibtex(session))
    assert [r.doi for r in result.resources] == [r.doi for r in session.resources]


# --- RIS ------------------------------------------------------------------------------------


def read_ris(text: str) -> list[dict[str, list[str]]]:
    """A tiny RIS reader: records of tag -> values, checking every line's shape."""
    records: list[dict[str, list[str]]] = []
    record: dict[str, list[str]] = {}
    for line in text.split("\r\n"):
        if not line:
            continue
        tag, separator, value = line[:2], line[2:6], line[6:]
        assert separator == "  - ", line
        if tag == "ER":
            records.append(record)
            record = {}
        else:
            record.setdefault(tag, []).append(value)
    assert not record, "a record without ER"
    return records


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


# --- CSV ------------------------------------------------------------------------------------


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_has_one_row_per_resource_with_every_field(session: Session) -> None:
    text = render_csv(session)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = read_csv(text)
    assert len(rows) == len(session.resources)
    assert rows[1] == {
        "identifier": "10.1101/2020.12.01.406702",
        "doi": "10.1101/2020.12.01.406702",
        "status": "enriched",
        "title": WORKS[1].title,
        "authors": "Joyce, Luke R.; Mendonça, Jéssica da C.",
        "author_orcids": "https://orcid.org/0000-0002-9346-671X; https://orcid.org/0000-0002-2555-4582",
        "year": "2020",
        "container_title": "",
        "type": "posted-content",
        "publisher": "openRxiv",
        "url": "https://doi.org/10.1101/2020.12.01.406702",
        "registry": "crossref",
        "error": "",
    }


def test_csv_keeps_status_and_error_of_a_resource_not_enriched(session: Session) -> None:
    rows = read_csv(render_csv(session))
    assert [(r["status"], r["error"]) for r in rows[6:]] == [
        ("not_found", "no registry knows this DOI"),
        ("failed", "gave up after 6 attempts: HTTP 503"),
        ("pending", ""),
        ("skipped", "not a DOI"),
        ("invalid", "'not a doi' is not a DOI"),
    ]


def test_csv_defuses_spreadsheet_formulas(session: Session) -> None:
    row = read_csv(render_csv(session))[4]
    assert row["authors"] == 'Nature; =HYPERLINK("http://evil")'  # not first: harmless
    assert (row["container_title"], row["publisher"]) == ("'-2+3", "'@publisher")
    assert row["title"].startswith("Costs & benefits")

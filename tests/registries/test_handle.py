"""Handle proxy REST API and ARK resolver: request URLs and recorded answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cco_enrich.errors import RegistryError
from cco_enrich.registries.handle import (
    DEFAULT_ARK_RESOLVER_URL,
    DEFAULT_HANDLE_URL,
    HandleRecord,
    ark_resolver_url,
    handle_api_url,
    parse_ark_answer,
    parse_handle_answer,
)

DATA = Path(__file__).parents[1] / "data" / "handle"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_handle_api_url_keeps_slashes_and_asks_for_url_values() -> None:
    assert handle_api_url(DEFAULT_HANDLE_URL, "20.500.12345/a b#c") == (
        "https://hdl.handle.net/api/handles/20.500.12345/a%20b%23c?type=URL"
    )
    assert handle_api_url("http://127.0.0.1:9/handle/", "10273/IECUR0097") == (
        "http://127.0.0.1:9/handle/api/handles/10273/IECUR0097?type=URL"
    )


def test_parse_handle_answer_reads_the_documented_example() -> None:
    record = parse_handle_answer(load("handle_4263537_4000.json"), "4263537/4000")
    assert record == HandleRecord("4263537/4000", ("http://www.handle.net/index.html",))
    assert record.url == "http://www.handle.net/index.html"


def test_parse_handle_answer_takes_the_lowest_index_url_first() -> None:
    record = parse_handle_answer(load("handle_type_url_10273_IECUR0097.json"), "10273/IECUR0097")
    assert record is not None
    assert record.urls == (
        "http://app.geosamples.org/sample/igsn/IECUR0097",
        "https://app.geosamples.org/sample/igsn/IECUR0097",
    )


def test_parse_handle_answer_reads_a_recorded_type_url_answer() -> None:
    payload = load("handle_type_url_10.1109_CVPR.2016.90.json")
    record = parse_handle_answer(payload, "10.1109/CVPR.2016.90")
    assert record is not None
    assert record.url == "http://ieeexplore.ieee.org/document/7780459/"


def test_parse_handle_answer_reads_not_found_as_none() -> None:
    assert parse_handle_answer(load("handle_not_found.json"), "x/y") is None


def test_parse_handle_answer_reads_a_handle_without_url_as_existing() -> None:
    record = parse_handle_answer(load("handle_values_not_found.json"), "20.500.12345/no-url")
    assert record == HandleRecord("20.500.12345/no-url", ())
    assert record.url is None


@pytest.mark.parametrize(
    "payload",
    [
        {"responseCode": 102, "handle": "nonsense", "message": "Invalid handle"},
        {"responseCode": 2, "message": "Internal error"},
        "<html>502 Bad Gateway</html>",
        {"handle": "x/y"},
    ],
)
def test_parse_handle_answer_refuses_what_it_cannot_use(payload: Any) -> None:
    with pytest.raises(RegistryError, match="responseCode"):
        parse_handle_answer(payload, "x/y")


def test_ark_resolver_url_appends_the_normalised_ark() -> None:
    assert ark_resolver_url(DEFAULT_ARK_RESOLVER_URL, "ark:13030/tf5p30086k") == (
        "https://n2t.net/ark:13030/tf5p30086k"
    )


def test_parse_ark_answer_follows_the_recorded_redirect() -> None:
    recorded = load("n2t_ark_13030_tf5p30086k.json")
    target = parse_ark_answer(
        recorded["status"], recorded["headers"]["Location"], "https://n2t.net/ark:13030/tf5p30086k"
    )
    assert target == "http://www.oac.cdlib.org/findaid/ark:/13030/tf5p30086k"


def test_parse_ark_answer_resolves_a_relative_location() -> None:
    assert parse_ark_answer(303, "/objects/x", "https://n2t.net/ark:12345/x") == (
        "https://n2t.net/objects/x"
    )


def test_parse_ark_answer_reads_404_as_unknown() -> None:
    assert parse_ark_answer(404, None, "https://n2t.net/ark:12345/x") is None


@pytest.mark.parametrize(("status", "location"), [(200, None), (302, None), (503, None)])
def test_parse_ark_answer_refuses_anything_but_a_redirect(status: int, location: None) -> None:
    with pytest.raises(RegistryError, match=f"HTTP {status}"):
        parse_ark_answer(status, location, "https://n2t.net/ark:12345/x")

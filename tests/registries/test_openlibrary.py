"""Open Library Books API: request URLs, batches, and recorded answers -> Works."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cco_enrich.errors import RegistryError
from cco_enrich.models import Author
from cco_enrich.registries.openlibrary import (
    BOOKS_MAX_BIBKEYS,
    DEFAULT_OPENLIBRARY_URL,
    books_url,
    isbn_batches,
    parse_books,
    user_agent,
    work_from_books_record,
)

DATA = Path(__file__).parents[1] / "data" / "openlibrary"
TOM_SAWYER, SLOW_READING, WYRD_SISTERS = "9780451526533", "9780980200447", "9780575043633"
UNKNOWN = "9780000000002"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_books_url_asks_for_many_isbns_as_json_data() -> None:
    assert books_url(DEFAULT_OPENLIBRARY_URL, [TOM_SAWYER, SLOW_READING]) == (
        "https://openlibrary.org/api/books?bibkeys=ISBN:9780451526533,ISBN:9780980200447"
        "&format=json&jscmd=data"
    )


def test_books_url_keeps_a_path_prefix() -> None:
    url = books_url("http://127.0.0.1:8080/openlibrary/", [TOM_SAWYER])
    assert url.startswith("http://127.0.0.1:8080/openlibrary/api/books?bibkeys=ISBN:978")


def test_books_url_refuses_an_empty_or_oversize_batch() -> None:
    with pytest.raises(ValueError, match="1 to 50"):
        books_url(DEFAULT_OPENLIBRARY_URL, [])
    with pytest.raises(ValueError, match="1 to 50"):
        books_url(DEFAULT_OPENLIBRARY_URL, [TOM_SAWYER] * (BOOKS_MAX_BIBKEYS + 1))


def test_isbn_batches_drop_repeats() -> None:
    isbns = [f"978{n:010d}" for n in range(120)]
    assert [len(b) for b in isbn_batches([*isbns, isbns[0]])] == [50, 50, 20]


def test_user_agent_names_the_service_and_a_contact() -> None:
    assert user_agent("cco_enrich/1.0", "curator@example.org") == (
        "cco_enrich/1.0 (mailto:curator@example.org)"
    )
    assert user_agent("cco_enrich/1.0", None) == "cco_enrich/1.0"


def test_parse_books_reads_the_documented_example() -> None:
    answer = parse_books(load("books_ISBN_0451526538_data.json"), ["0451526538"])
    work = answer.works["0451526538"]
    assert (work.title, work.authors, work.publisher, work.year, work.type) == (
        "The adventures of Tom Sawyer",
        (Author(given="Mark", family="Twain"),),
        "Signet Classic",
        1997,
        "book",
    )
    assert work.url == "https://openlibrary.org/books/OL1017798M/The_adventures_of_Tom_Sawyer"
    assert (work.doi, work.isbn, work.registry, work.source) == (
        None,
        "0451526538",
        "openlibrary",
        "openlibrary",
    )


def test_parse_books_batch_finds_each_and_lists_the_absent() -> None:
    isbns = [TOM_SAWYER, SLOW_READING, WYRD_SISTERS, UNKNOWN]
    answer = parse_books(load("books_batch_data.json"), isbns)
    assert sorted(answer.works) == sorted([TOM_SAWYER, SLOW_READING, WYRD_SISTERS])
    assert answer.not_found == [UNKNOWN]
    slow = answer.works[SLOW_READING]
    assert (slow.title, slow.year, slow.publisher) == ("Slow reading", 2009, "Litwin Books")
    wyrd = answer.works[WYRD_SISTERS]
    assert wyrd.title == "Wyrd sisters: starring three witches, also kings, daggers, crowns ..."
    assert [a.family for a in wyrd.authors] == ["Pratchett", "Harris", "Briggs", "Imrie"]
    assert (wyrd.isbn, wyrd.year, wyrd.publisher) == (WYRD_SISTERS, 1988, "V. Gollancz")


def test_parse_books_reads_an_empty_answer_as_all_unknown() -> None:
    answer = parse_books(load("books_unknown.json"), [UNKNOWN, TOM_SAWYER])
    assert (answer.works, answer.not_found) == ({}, [UNKNOWN, TOM_SAWYER])


def test_parse_books_matches_keys_exactly_as_sent() -> None:
    """A bare bibkey comes back bare: an `ISBN:` key was not what answered it."""
    answer = parse_books(load("books_0575043636_data.json"), ["0575043636"])
    assert answer.not_found == ["0575043636"]


def test_parse_books_refuses_a_javascript_answer() -> None:
    with pytest.raises(RegistryError, match="without a JSON object"):
        parse_books("var _OLBookInfo = {};", [TOM_SAWYER])


@pytest.mark.parametrize(
    ("record", "title", "authors", "year"),
    [
        ({"subtitle": "only a subtitle"}, "only a subtitle", (), None),
        ({"title": "T", "authors": [{"name": "Twain, Mark"}]}, "T",
         (Author(family="Twain", given="Mark"),), None),
        ({"title": "T", "authors": [{"name": "Homer"}], "publish_date": "c1988"}, "T",
         (Author(family="Homer"),), 1988),
        ({"title": "T", "publish_date": "May 15, 2003"}, "T", (), 2003),
        ({"title": "T", "publish_date": "19--"}, "T", (), None),
    ],
)  # fmt: skip
def test_work_from_books_record_reads_sparse_records(
    record: dict[str, Any], title: str, authors: tuple[Author, ...], year: int | None
) -> None:
    work = work_from_books_record(record, TOM_SAWYER)
    assert (work.title, work.authors, work.year, work.url, work.publisher) == (
        title,
        authors,
        year,
        None,
        None,
    )

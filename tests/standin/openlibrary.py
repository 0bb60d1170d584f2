"""Open Library stand-in: the Books API (`GET /openlibrary/api/books`), 1 request/s, 1 at a time.

Follows Open Library's own code (openlibrary/plugins/books/dynlinks.py): `bibkeys` is split
on commas; an ISBN bibkey matches ISBN-10 and ISBN-13 alike, hyphens ignored; the answer is
keyed by each bibkey exactly as sent, unknown ones left out; `format=json` gives JSON
(`json.dumps` defaults), anything else `var _OLBookInfo = {...};`. `jscmd=data` answers the
recorded records (tests/data/openlibrary); any other jscmd the short viewapi form.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from cco_enrich.identifiers.isbn import isbn10_to_isbn13, isbn13_check_digit

from .limits import Clock, Policy, PoolLimit
from .services import Call, ServiceState, TooMany, add_control_routes, serve, service_state

DATA = Path(__file__).resolve().parents[1] / "data" / "openlibrary"
LIMIT = PoolLimit(1, 1.0, 1)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_HTML_429 = "<html><body><h1>429 Too Many Requests</h1></body></html>"


@dataclass(slots=True)
class OpenLibraryStandin:
    """The editions the stand-in knows (`jscmd=data` records), by every ISBN they carry."""

    state: ServiceState
    by_isbn: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_book(self, record: Mapping[str, Any], *isbns: str) -> None:
        """A `jscmd=data` record, found by `isbns` and by the ISBNs in its `identifiers`."""
        identifiers = record.get("identifiers", {})
        known = [*isbns, *identifiers.get("isbn_10", []), *identifiers.get("isbn_13", [])]
        for isbn in known:
            digits = isbn.replace("-", "").upper()
            self.by_isbn[digits] = dict(record)
            if len(digits) == 10:
                self.by_isbn[isbn10_to_isbn13(digits)] = dict(record)

    def find(self, bibkey: str) -> dict[str, Any] | None:
        kind, colon, value = bibkey.strip().partition(":")
        if not colon:
            kind, value = "isbn", bibkey.strip()  # a plain number is an ISBN
        if kind.lower() != "isbn":
            return None
        return self.by_isbn.get(value.replace("-", "").upper())


OPENLIBRARY = web.AppKey("standin_openlibrary", OpenLibraryStandin)


def recorded_books() -> list[tuple[dict[str, Any], str]]:
    """The recorded records and the ISBN each was asked by (Tom Sawyer, Slow reading, Wyrd)."""
    books = []
    for name in (
        "books_ISBN_0451526538_data.json",
        "books_ISBN_9780980200447_data.json",
        "books_0575043636_data.json",
    ):
        ((key, record),) = json.loads((DATA / name).read_text(encoding="utf-8")).items()
        books.append((record, key.removeprefix("ISBN:")))
    return books


def make_books(count: int, *, seed: int = 0) -> list[tuple[dict[str, Any], str]]:
    """`count` made-up `jscmd=data` records with valid ISBN-13s from 979-8-0000-0001 on."""
    rng = random.Random(seed)
    books = []
    for n in range(1, count + 1):
        first12 = f"97980{n:07d}"
        isbn = first12 + isbn13_check_digit(first12)
        title = f"Synthetic book {n}"
        record = {
            "url": f"https://openlibrary.org/books/OL{n}M/{title.replace(' ', '_')}",
            "key": f"/books/OL{n}M",
            "title": title,
            "authors": [
                {"url": f"https://openlibrary.org/authors/OL{n}A", "name": f"Ada Writer{n}"}
            ],
            "identifiers": {"isbn_13": [isbn], "openlibrary": [f"OL{n}M"]},
            "publishers": [{"name": rng.choice(["Gollancz", "Signet", "Litwin Books"])}],
            "publish_date": str(rng.randint(1950, 2024)),
        }
        books.append((record, isbn))
    return books


def _viewapi(bibkey: str, record: Mapping[str, Any]) -> dict[str, Any]:
    return {"bib_key": bibkey, "info_url": record.get("url"), "preview": "noview",
            "preview_url": record.get("url")}  # fmt: skip


async def books_api(request: web.Request) -> web.StreamResponse:
    standin = request.app[OPENLIBRARY]
    bibkeys = request.query.get("bibkeys", "").split(",")
    agent = request.headers.get("User-Agent", "")
    identified = "mailto:" in agent or bool(_EMAIL.search(agent))
    call = Call("books", "api", LIMIT, [k.strip() for k in bibkeys if k.strip()], identified)

    async def answer() -> web.StreamResponse:
        data = request.query.get("jscmd") == "data"
        result = {}
        for key in bibkeys:
            record = standin.find(key) if key.strip() else None
            if record is not None:
                result[key] = record if data else _viewapi(key, record)
        if request.query.get("format") == "json":
            return web.Response(text=json.dumps(result), content_type="application/json")
        text = f"var _OLBookInfo = {json.dumps(result)};"
        return web.Response(text=text, content_type="text/javascript")

    return await serve(standin.state, call, answer, _too_many(standin))


def _too_many(standin: OpenLibraryStandin) -> TooMany:
    def answer(count: int) -> web.Response:
        headers = {"Retry-After": "1"} if standin.state.retry_after else {}
        return web.Response(status=429, text=_HTML_429, content_type="text/html", headers=headers)

    return answer


def register_openlibrary(
    app: web.Application,
    policy: Policy,
    *,
    clock: Clock,
    books: Iterable[tuple[Mapping[str, Any], str]] | None = None,
) -> OpenLibraryStandin:
    """Add the Books API route to `app`: the recorded books unless `books` are given."""
    standin = OpenLibraryStandin(service_state("openlibrary", policy, clock))
    for record, isbn in recorded_books() if books is None else books:
        standin.add_book(record, isbn)
    app[OPENLIBRARY] = standin
    app.router.add_get("/openlibrary/api/books", books_api)
    add_control_routes(app, "openlibrary", lambda request: request.app[OPENLIBRARY].state)
    return standin

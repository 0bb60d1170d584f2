"""Open Library's Books API: request URLs, batches, answers -> Works; OpenLibrarySource sends them.

`/api/books?bibkeys=ISBN:a,ISBN:b&format=json&jscmd=data` answers one object keyed by each
bibkey exactly as sent; a bibkey it does not know is simply absent (a 200 with `{}` for none).
Open Library asks for at most 1 request a second, one at a time, and a User-Agent naming the
application and a contact (openlibrary.org/developers/api): pool `openlibrary`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from cco_enrich.errors import RegistryError
from cco_enrich.models import Author, Work
from cco_enrich.registries._http import Endpoint, get_json
from cco_enrich.registries.limits import PoolLimiter
from cco_enrich.registries.parse import clean_text
from cco_enrich.registries.pids import PidResult

OPENLIBRARY = "openlibrary"
ISBN_NOT_FOUND = "Open Library has no record of this ISBN"
DEFAULT_OPENLIBRARY_URL = "https://openlibrary.org"
# Undocumented upstream; 50 keys keep the request line near 1 KB and one answer small.
BOOKS_MAX_BIBKEYS = 50
REQUESTS_PER_S = 1
IN_FLIGHT = 1
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


@dataclass(slots=True)
class BooksAnswer:
    """One Books API batch: works by ISBN-13, and the ISBNs Open Library does not know."""

    works: dict[str, Work] = field(default_factory=dict)
    not_found: list[str] = field(default_factory=list)


def bibkey(isbn13: str) -> str:
    """The bibkey of an ISBN as we send it, and as the answer is keyed: `ISBN:978...`."""
    return f"ISBN:{isbn13}"


def isbn_batches(isbns: Sequence[str], max_size: int = BOOKS_MAX_BIBKEYS) -> list[list[str]]:
    """`isbns` without repeats, in order, cut into batches of at most `max_size`."""
    unique = list(dict.fromkeys(isbns))
    return [unique[start : start + max_size] for start in range(0, len(unique), max_size)]


def books_url(openlibrary_url: str, isbns: Sequence[str]) -> str:
    """The Books API URL of one batch of ISBN-13s: JSON, `jscmd=data`."""
    if not 0 < len(isbns) <= BOOKS_MAX_BIBKEYS:
        msg = f"a Books API batch holds 1 to {BOOKS_MAX_BIBKEYS} ISBNs, not {len(isbns)}"
        raise ValueError(msg)
    keys = ",".join(quote(bibkey(isbn), safe=":") for isbn in isbns)
    # Base URLs may carry a path prefix: append, never replace.
    return f"{openlibrary_url.rstrip('/')}/api/books?bibkeys={keys}&format=json&jscmd=data"


def user_agent(service: str, mailto: str | None) -> str:
    """A User-Agent Open Library can trace back: `cco_enrich/1.2 (mailto:curator@example.org)`."""
    return f"{service} (mailto:{mailto})" if mailto else service


def parse_books(payload: Any, isbns: Sequence[str]) -> BooksAnswer:
    """The works of a Books API answer for the ISBN-13s asked; absent ones are unknown.

    Raises:
        RegistryError: the answer is not a JSON object (`format=json` was not honoured).
    """
    if not isinstance(payload, Mapping):
        msg = f"Open Library answered {len(isbns)} ISBNs without a JSON object"
        raise RegistryError(msg)
    answer = BooksAnswer()
    for isbn in dict.fromkeys(isbns):
        record = payload.get(bibkey(isbn))
        if isinstance(record, Mapping) and record:
            answer.works[isbn] = work_from_books_record(record, isbn)
        else:
            answer.not_found.append(isbn)
    return answer


def work_from_books_record(record: Mapping[str, Any], isbn13: str) -> Work:
    """One `jscmd=data` record as a Work of type `book`: "Title: Subtitle", authors, publisher."""
    title = clean_text(record.get("title"))
    subtitle = clean_text(record.get("subtitle"))
    if title and subtitle:
        title = f"{title}: {subtitle}"
    url = record.get("url")
    return Work(
        doi=None,
        registry=OPENLIBRARY,
        source=OPENLIBRARY,
        isbn=isbn13,
        title=title or subtitle,
        authors=tuple(map(_author, _names(record.get("authors")))),
        year=_year(record.get("publish_date")),
        type="book",
        publisher=next(iter(_names(record.get("publishers"))), None),
        url=url if isinstance(url, str) and url.startswith(("https://", "http://")) else None,
    )


class OpenLibrarySource:
    """ISBN-13s through the Books API, 50 a request; an ISBN left out of the answer is unknown."""

    name = "openlibrary"
    scheme = "isbn"

    def __init__(self, endpoint: Endpoint, limiter: PoolLimiter) -> None:
        self.endpoint = endpoint
        self.limiter = limiter

    def pack(self, pids: Sequence[str]) -> list[list[str]]:
        return isbn_batches(pids)

    async def resolve_batch(self, pids: Sequence[str]) -> PidResult:
        url = books_url(self.endpoint.base_url, pids)
        try:
            payload = await get_json(self.endpoint, self.limiter, url)
            if payload is None:  # the Books API answers unknown ISBNs with a 200
                msg = (
                    f"Open Library answered 404; is its base URL right ({self.endpoint.base_url})?"
                )
                raise RegistryError(msg)
            answer = parse_books(payload, pids)
        except RegistryError as exc:
            return PidResult.all_failed(pids, str(exc))
        return PidResult(
            works=answer.works, not_found=dict.fromkeys(answer.not_found, ISBN_NOT_FOUND)
        )


def _names(value: object) -> list[str]:
    """The cleaned `name` of each `{"name": ...}` entry of a list, in order."""
    if not isinstance(value, list):
        return []
    names = (clean_text(item.get("name")) for item in value if isinstance(item, Mapping))
    return [name for name in names if name]


def _author(name: str) -> Author:
    """An Open Library author name as a person: "Family, Given", or "Given Family".

    Like Zotero's cleanAuthor(), the last word of "Given Family" is the family name; a single
    word stays a family name. Open Library gives no structured parts to do better with.
    """
    family, comma, given = name.partition(",")
    if comma and family.strip() and given.strip():
        return Author(family=family.strip(), given=given.strip())
    given, _, family = name.rpartition(" ")
    return Author(family=family, given=given or None)


def _year(value: object) -> int | None:
    """The year of `publish_date`, written freely: "1997", "March 2009", "c1988", "2003-05-01"."""
    match = _YEAR.search(value) if isinstance(value, str) else None
    return int(match.group()) if match else None

"""What each upstream endpoint answers, from the corpus alone: no limits, faults or timing."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from multidict import MultiMapping

from .corpus import Corpus, TruthWork
from .records import fixture_text, render_crossref, render_csl, render_datacite

CSL_JSON = "application/vnd.citationstyles.csl+json"
_FILTER_DOI = re.compile(r"^10\.\d{4,}(?:\.\d+)*/.+$")
_BARE_PREFIX = re.compile(r"^10\.\d{4,}(?:\.\d+)*$")
_CROSSREF_LIST_PARAMS = frozenset(
    {"filter", "rows", "offset", "select", "mailto", "sort", "order", "cursor"}
)
# Documented select fields, plus whatever the recorded records carry.
_SELECTABLE = frozenset(
    {
        "abstract", "URL", "member", "posted", "score", "created", "degree", "update-policy",
        "short-title", "license", "ISSN", "container-title", "issued", "update-to", "issue",
        "prefix", "approved", "indexed", "article-number", "clinical-trial-number", "accepted",
        "author", "group-title", "DOI", "is-referenced-by-count", "updated-by", "event", "chair",
        "standards-body", "original-title", "funder", "translator", "archive", "published-print",
        "alternative-id", "subject", "subtitle", "published-online", "publisher-location",
        "content-domain", "reference", "title", "link", "type", "publisher", "volume",
        "references-count", "ISBN", "issn-type", "assertion", "deposited", "page",
        "content-created", "short-container-title", "relation", "editor", "published",
    }
)  # fmt: skip
_NOT_FOUND_HTML = (
    '<!DOCTYPE html>\n<html lang="en"><head><title>Error: DOI Not Found</title></head>\n'
    "<body><h1>Error: DOI Not Found</h1>\n<p>The DOI you requested cannot be found in the "
    "Handle System.</p></body></html>\n"
)


@dataclass(frozen=True, slots=True)
class Answer:
    """An upstream response and how many records it carries (latency grows with them)."""

    response: web.Response
    items: int = 0


def fold(doi: str) -> str:
    """A DOI with its ASCII letters lower-cased, as the corpus keys it."""
    return "".join(ch.lower() if ch.isascii() else ch for ch in doi)


def _json(data: Any, *, status: int = 200, content_type: str = "application/json") -> web.Response:
    return web.Response(status=status, body=orjson.dumps(data), content_type=content_type)


def _validation_failure(kind: str, value: str, message: str) -> Answer:
    body = {
        "status": "failed",
        "message-type": "validation-failure",
        "message": [{"type": kind, "value": value, "message": message}],
    }
    return Answer(_json(body, status=400))


def _unique_works(corpus: Corpus, dois: Iterable[str], registry: str) -> list[TruthWork]:
    found: dict[str, TruthWork] = {}
    for doi in dois:
        work = corpus.in_registry(doi, registry)
        if work is not None:
            found.setdefault(work.doi, work)
    return list(found.values())


# Crossref ------------------------------------------------------------------------------


def crossref_single(corpus: Corpus, doi: str, query: MultiMapping[str]) -> Answer:
    """GET /works/{doi}: the work envelope, or the plain-text 404 Crossref really sends."""
    for name in query:
        if name.startswith("query."):
            return Answer(
                web.Response(
                    status=400,
                    text=fixture_text("crossref_error_400_validation-failure.json"),
                    content_type="application/json",
                )
            )
        if name not in ("mailto", "select"):
            return _validation_failure(
                "parameter-not-allowed", name, f"This route does not support {name}"
            )
    work = corpus.in_registry(doi, "crossref")
    if work is None:
        text = fixture_text("crossref_error_404_notarealdoi.txt")
        return Answer(web.Response(status=404, text=text, content_type="text/plain"))
    message = render_crossref(corpus.records[work.doi], score=1)
    envelope = {"status": "ok", "message-type": "work", "message-version": "1.0.0"}
    return Answer(_json({**envelope, "message": message}), 1)


def filter_dois(query: MultiMapping[str]) -> list[str]:
    """The DOIs named by `filter=doi:...` terms (for counting lookups, valid or not)."""
    terms = ",".join(query.getall("filter", [])).split(",")
    return [fold(term[4:]) for term in terms if term.startswith("doi:")]


def _int_param(query: MultiMapping[str], name: str, default: int, maximum: int) -> int | Answer:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) > maximum:
        message = (
            f"Integer specified as {raw} but must be a positive integer"
            f" less than or equal to {maximum}."
        )
        return _validation_failure("integer-not-valid", raw, message)
    return int(raw)


def _parse_filter(text: str) -> list[str] | Answer:
    dois = []
    for term in text.split(","):
        name, colon, value = term.partition(":")
        if not colon or name != "doi":
            message = (
                f"Filter {name} specified but there is no such filter for this route."
                " Valid filters for this route are: doi"
            )
            return _validation_failure("filter-not-available", name, message)
        if not _FILTER_DOI.match(value):
            message = (
                "DOI must be of the form doi:10.prefix/suffix where prefix is 4 or more digits"
            )
            return _validation_failure("doi-not-valid", value, message)
        dois.append(fold(value))
    return dois


def _parse_select(text: str | None) -> frozenset[str] | Answer | None:
    if text is None:
        return None
    fields = frozenset(text.split(","))
    unknown = sorted(fields - _SELECTABLE)
    if unknown:
        return _validation_failure(
            "field-not-valid", unknown[0], f"Field {unknown[0]} cannot be selected"
        )
    return fields


def crossref_list(corpus: Corpus, query: MultiMapping[str], rng: random.Random) -> Answer:
    """GET /works?filter=doi:A,doi:B&rows=N: found works in random order, truncated to `rows`."""
    for name in query:
        if name not in _CROSSREF_LIST_PARAMS:
            return _validation_failure(
                "parameter-not-allowed", name, f"This route does not support {name}"
            )
    rows = _int_param(query, "rows", 20, 1000)
    if isinstance(rows, Answer):
        return rows
    offset = _int_param(query, "offset", 0, 10000)
    if isinstance(offset, Answer):
        return offset
    select = _parse_select(query.get("select"))
    if isinstance(select, Answer):
        return select
    if "filter" in query:
        dois = _parse_filter(",".join(query.getall("filter")))
        if isinstance(dois, Answer):
            return dois
        works = _unique_works(corpus, dois, "crossref")
    else:
        works = corpus.works_of("crossref")
    rng.shuffle(works)  # Crossref answers in its own order, never the request's
    items = []
    for work in works[offset : offset + rows]:
        item = render_crossref(corpus.records[work.doi], score=0.0)
        items.append(item if select is None else {k: v for k, v in item.items() if k in select})
    message = {
        "facets": {},
        "total-results": len(works),
        "items": items,
        "items-per-page": rows,
        "query": {"start-index": offset, "search-terms": None},
    }
    envelope = {"status": "ok", "message-type": "work-list", "message-version": "1.0.0"}
    return Answer(_json({**envelope, "message": message}), len(items))


# DataCite ------------------------------------------------------------------------------


def _datacite_not_found() -> Answer:
    body = {
        "errors": [{"status": "404", "title": "The resource you are looking for doesn't exist."}]
    }
    return Answer(_json(body, status=404))


def _sparse_fields(query: MultiMapping[str]) -> frozenset[str] | None:
    raw = query.get("fields[dois]")
    return None if raw is None else frozenset(raw.split(","))


def datacite_single(corpus: Corpus, doi: str, query: MultiMapping[str]) -> Answer:
    """GET /dois/{doi}: the JSON:API document, or DataCite's JSON 404."""
    work = corpus.in_registry(doi, "datacite")
    if work is None:
        return _datacite_not_found()
    data = render_datacite(
        corpus.records[work.doi],
        publisher_object=query.get("publisher") == "true",
        only=_sparse_fields(query),
    )
    body: dict[str, Any] = {"data": data}
    if "include" in query:
        body["included"] = []
    return Answer(_json(body), 1)


def _page_param(query: MultiMapping[str], name: str, default: int) -> int:
    raw = query.get(name, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def datacite_list(corpus: Corpus, query: MultiMapping[str], url: str) -> Answer:
    """GET /dois?ids=a,b&page[size]=N: found DOIs sorted by creation date, 25 a page by default."""
    size = min(_page_param(query, "page[size]", 25), 1000)
    number = _page_param(query, "page[number]", 1)
    if "ids" in query:
        ids = [fold(part.strip()) for part in query["ids"].split(",") if part.strip()]
        works = _unique_works(corpus, ids, "datacite")
    else:
        works = corpus.works_of("datacite")
    works.sort(key=lambda w: str(corpus.records[w.doi].fields["created"]))
    page = works[(number - 1) * size : number * size]
    publisher_object, only = query.get("publisher") == "true", _sparse_fields(query)
    body = {
        "data": [
            render_datacite(corpus.records[w.doi], publisher_object=publisher_object, only=only)
            for w in page
        ],
        "meta": {"total": len(works), "totalPages": math.ceil(len(works) / size), "page": number},
        "links": {"self": url},
    }
    return Answer(_json(body), len(page))


# doi.org -------------------------------------------------------------------------------


def ra_entry(corpus: Corpus, entry: str) -> dict[str, str]:
    """One entry of a /ra/ answer: a DOI or bare prefix and its agency, or why there is none."""
    if _BARE_PREFIX.match(entry):
        agency = corpus.prefixes.get(entry)
    elif _FILTER_DOI.match(entry):
        work = corpus.find(entry)
        agency = None if work is None else corpus.prefixes[work.doi.split("/", 1)[0]]
    else:
        return {"DOI": entry, "status": "Invalid DOI"}
    return (
        {"DOI": entry, "RA": agency} if agency else {"DOI": entry, "status": "DOI does not exist"}
    )


def doi_ra(corpus: Corpus, entries: list[str]) -> Answer:
    """GET /ra/a,b,c: a pretty-printed array in input order, HTTP 200 even for errors."""
    body = orjson.dumps([ra_entry(corpus, entry) for entry in entries], option=orjson.OPT_INDENT_2)
    headers = {"Content-Type": "application/json;charset=UTF-8"}
    return Answer(web.Response(body=body, headers=headers), len(entries))


def _csl_from_truth(work: TruthWork) -> dict[str, Any]:
    authors = [
        {"literal": a.name} if a.name else {"given": a.given, "family": a.family}
        for a in work.authors
    ]
    authors = [{key: value for key, value in a.items() if value} for a in authors]
    csl: dict[str, Any] = {
        "DOI": work.doi,
        "URL": work.url,
        "type": work.type,
        "title": work.title,
        "container-title": work.container_title,
        "publisher": work.publisher,
        "issued": {"date-parts": [[work.year]]},
        "author": authors,
    }
    return {key: value for key, value in csl.items() if value}


def doi_content(corpus: Corpus, doi: str, accept: str) -> Answer:
    """GET /{doi} with Accept: CSL-JSON, as doi.org content negotiation ends up answering."""
    work = corpus.find(doi)
    if work is None:
        return Answer(web.Response(status=404, text=_NOT_FOUND_HTML, content_type="text/html"))
    if CSL_JSON not in accept and "application/citeproc+json" not in accept:
        text = f"The stand-in serves only content negotiation; send Accept: {CSL_JSON}"
        return Answer(web.Response(status=406, text=text, content_type="text/plain"))
    record = corpus.records[work.doi]
    # Crossref and DataCite DOIs are redirected upstream by the real doi.org; we answer directly.
    csl = render_csl(record) if record.template.startswith("csl:") else _csl_from_truth(work)
    return Answer(_json(csl, content_type=CSL_JSON), 1)

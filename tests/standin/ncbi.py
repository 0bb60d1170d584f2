"""NCBI stand-in: E-utilities esummary (db=pubmed, JSON) and the PMC ID Converter, one limit.

Routes (below the server's base URL): `GET /ncbi/eutils/esummary.fcgi` and
`GET /ncbi/idconv/api/v1/articles/`. As at NCBI, both count against one limit: 3 requests a
second per IP (everything here comes from one), 10 per API key; past it, a 429 with NCBI's
JSON body. Answers follow the recordings in tests/data/ncbi: an unknown PMID is a
`{"uid", "error": "cannot get document summary"}` entry; the ID Converter only knows
articles in PMC and answers the rest with `status: "error"` records.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from .limits import Clock, Policy, PoolLimit
from .services import Call, ServiceState, TooMany, add_control_routes, serve, service_state

DATA = Path(__file__).resolve().parents[1] / "data" / "ncbi"
LIMIT = PoolLimit(3, 1.0)
LIMIT_WITH_API_KEY = PoolLimit(10, 1.0)
IDCONV_MAX_IDS = 200
UNKNOWN_PMID = "cannot get document summary"
NOT_IN_PMC = "Identifier not found in PMC"
_HEADER = {"type": "esummary", "version": "0.3"}
_JSON = "application/json"


@dataclass(frozen=True, slots=True)
class PmcEntry:
    """One article in PMC, as the ID Converter knows it."""

    pmcid: str
    pmid: str | None = None
    doi: str | None = None


@dataclass(slots=True)
class NcbiStandin:
    """The PubMed documents and PMC articles the stand-in knows, and its limits and counts."""

    state: ServiceState
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    pmc: dict[str, PmcEntry] = field(default_factory=dict)

    def add_document(self, document: Mapping[str, Any]) -> None:
        """A PubMed esummary document; one naming a PMCID also becomes a PMC article."""
        pmid = str(document["uid"])
        self.documents[pmid] = dict(document)
        ids = {i.get("idtype"): i.get("value") for i in document.get("articleids", [])}
        if isinstance(ids.get("pmc"), str):
            doi = ids.get("doi")
            self.add_pmc(PmcEntry(ids["pmc"], pmid, doi if isinstance(doi, str) else None))

    def add_pmc(self, entry: PmcEntry) -> None:
        self.pmc[entry.pmcid.upper()] = entry

    def find_pmc(self, identifier: str, idtype: str) -> PmcEntry | None:
        if idtype == "pmcid":
            return self.pmc.get(identifier.upper())
        field_name = "pmid" if idtype == "pmid" else "doi"
        wanted = identifier.lower()
        return next(
            (e for e in self.pmc.values() if (getattr(e, field_name) or "").lower() == wanted),
            None,
        )


NCBI = web.AppKey("standin_ncbi", NcbiStandin)


def recorded_documents() -> list[dict[str, Any]]:
    """The PubMed documents recorded in tests/data/ncbi (PMIDs 27933103, 34813072, 30089069)."""
    result = json.loads((DATA / "esummary_pubmed_batch.json").read_text(encoding="utf-8"))["result"]
    return [doc for uid in result["uids"] if "error" not in (doc := result[uid])]


def recorded_pmc_entries() -> list[PmcEntry]:
    """The PMC articles of the recorded ID Converter answers."""
    entries = []
    for name in ("idconv_pmids_30003000.json", "idconv_pmcids_PMC3531190.json"):
        for record in json.loads((DATA / name).read_text(encoding="utf-8"))["records"]:
            if record.get("status") != "error":
                entries.append(
                    PmcEntry(
                        record["pmcid"], str(record.get("pmid") or "") or None, record.get("doi")
                    )
                )
    return entries


def article_document(
    pmid: str,
    title: str,
    authors: Iterable[str],
    *,
    journal: str,
    source: str,
    pubdate: str,
    doi: str | None = None,
    pmcid: str | None = None,
) -> dict[str, Any]:
    """An esummary document in the recorded shape, for articles made up by tests."""
    names = list(authors)
    ids = [{"idtype": "pubmed", "idtypen": 1, "value": pmid}]
    if pmcid:
        ids += [
            {"idtype": "pmc", "idtypen": 8, "value": pmcid},
            {"idtype": "pmcid", "idtypen": 5, "value": f"pmc-id: {pmcid};"},
        ]
    if doi:
        ids.append({"idtype": "doi", "idtypen": 3, "value": doi})
    return {
        "uid": pmid,
        "pubdate": pubdate,
        "epubdate": "",
        "source": source,
        "authors": [{"name": n, "authtype": "Author", "clusterid": ""} for n in names],
        "lastauthor": names[-1] if names else "",
        "title": title,
        "pubtype": ["Journal Article"],
        "articleids": ids,
        "fulljournalname": journal,
        "elocationid": f"doi: {doi}" if doi else "",
        "doctype": "citation",
        "sortpubdate": f"{pubdate[:4]}/01/01 00:00",
    }


def make_articles(
    count: int, *, seed: int = 0, doi_share: float = 0.7, pmc_share: float = 0.4
) -> list[dict[str, Any]]:
    """`count` made-up PubMed documents from PMID 20000001 on; some with DOIs, some in PMC."""
    rng = random.Random(seed)
    documents = []
    for n in range(1, count + 1):
        pmid = str(20_000_000 + n)
        year = rng.randint(1995, 2024)
        documents.append(
            article_document(
                pmid,
                f"Synthetic study {n} of {rng.choice(['zebrafish', 'sea ice', 'soil microbes'])}.",
                [f"Author{n} {rng.choice('ABCDE')}{rng.choice('JKLMN')}", "Second S"],
                journal="Journal of synthetic results",
                source="J Synth Res",
                pubdate=f"{year} {rng.choice(['Jan', 'Jun', 'Nov'])} {rng.randint(1, 28)}",
                doi=f"10.5555/pubmed.{pmid}" if rng.random() < doi_share else None,
                pmcid=f"PMC{9_000_000 + n}" if rng.random() < pmc_share else None,
            )
        )
    return documents


def _ids(request: web.Request, name: str) -> list[str]:
    return list(
        dict.fromkeys(i.strip() for i in request.query.get(name, "").split(",") if i.strip())
    )


def _call(request: web.Request, kind: str, ids: list[str]) -> Call:
    query = request.query
    key = query.get("api_key")
    pool, limit = (f"api_key:{key}", LIMIT_WITH_API_KEY) if key else ("ip", LIMIT)
    identified = bool(query.get("tool")) and bool(query.get("email"))
    return Call(kind, pool, limit, ids, identified)


def _too_many(request: web.Request, standin: NcbiStandin) -> TooMany:
    key = request.query.get("api_key")

    def answer(count: int) -> web.Response:
        limit = LIMIT_WITH_API_KEY if key else LIMIT
        body = {"error": "API rate limit exceeded", "api-key": key or request.remote or "",
                "count": str(count), "limit": str(limit.requests)}  # fmt: skip
        headers = {"Retry-After": "1"} if standin.state.retry_after else {}
        return web.json_response(body, status=429, headers=headers)

    return answer


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type=_JSON)


async def esummary(request: web.Request) -> web.StreamResponse:
    standin = request.app[NCBI]
    ids = _ids(request, "id")

    async def answer() -> web.StreamResponse:
        if request.query.get("db") != "pubmed" or request.query.get("retmode") != "json":
            return web.Response(status=400, text="the stand-in answers db=pubmed&retmode=json")
        if not ids:
            return _json({"header": _HEADER, "esummaryresult": ["Empty id list - nothing todo"]})
        bad = next((p for p, uid in enumerate(ids) if not uid.isdigit()), None)
        if bad is not None:
            error = f"Invalid uid {ids[bad]} at position= {bad}"
            return _json({"header": _HEADER, "error": error, "result": {"uids": []}})
        result: dict[str, Any] = {"uids": ids}
        for uid in ids:
            result[uid] = standin.documents.get(uid, {"uid": uid, "error": UNKNOWN_PMID})
        return _json({"header": _HEADER, "result": result})

    return await serve(
        standin.state, _call(request, "esummary", ids), answer, _too_many(request, standin)
    )


def _idtype(ids: list[str]) -> str | None:
    """The one type all `ids` share, detected as the ID Converter does; None when mixed."""
    kinds = {
        "pmcid" if re.fullmatch(r"(?i)pmc\d+", i) else "pmid" if i.isdigit() else "doi" for i in ids
    }
    return kinds.pop() if len(kinds) == 1 else None


async def idconv(request: web.Request) -> web.StreamResponse:
    standin = request.app[NCBI]
    ids = _ids(request, "ids")

    async def answer() -> web.StreamResponse:
        idtype = request.query.get("idtype") or _idtype(ids)
        problem = None
        if request.query.get("format") != "json":
            problem = "the stand-in answers format=json only"
        elif not ids or len(ids) > IDCONV_MAX_IDS:
            problem = f"give 1 to {IDCONV_MAX_IDS} ids, not {len(ids)}"
        elif idtype not in ("pmcid", "pmid", "doi"):
            problem = "all ids of one request must be of one type"
        if problem is not None or idtype is None:
            return _json({"status": "error", "errmsg": problem}, status=400)
        return _json(
            {
                "status": "ok",
                "response-date": "2026-09-24 06:51:02",
                "request": {"format": "json", "ids": ids, "idtype": idtype, "versions": "no"},
                "records": [_idconv_record(standin, i, idtype) for i in ids],
            }
        )

    return await serve(
        standin.state, _call(request, "idconv", ids), answer, _too_many(request, standin)
    )


def _idconv_record(standin: NcbiStandin, identifier: str, idtype: str) -> dict[str, Any]:
    entry = standin.find_pmc(identifier, idtype)
    if entry is None:
        key: Any = int(identifier) if idtype == "pmid" else identifier
        return {idtype: key, "requested-id": identifier, "status": "error", "errmsg": NOT_IN_PMC}
    record: dict[str, Any] = {"pmcid": entry.pmcid, "requested-id": identifier}
    if entry.doi:
        record["doi"] = entry.doi
    if entry.pmid:
        record["pmid"] = int(entry.pmid)  # a JSON number, as the v1 API sends it
    return record


def register_ncbi(
    app: web.Application,
    policy: Policy,
    *,
    clock: Clock,
    documents: Iterable[Mapping[str, Any]] | None = None,
) -> NcbiStandin:
    """Add the NCBI routes to `app`: the recorded documents unless `documents` are given."""
    state = service_state("ncbi", policy, clock)
    standin = NcbiStandin(state)
    for entry in recorded_pmc_entries():
        standin.add_pmc(entry)
    for document in recorded_documents() if documents is None else documents:
        standin.add_document(document)
    app[NCBI] = standin
    app.router.add_get("/ncbi/eutils/esummary.fcgi", esummary)
    app.router.add_get("/ncbi/idconv/api/v1/articles/", idconv)
    add_control_routes(app, "ncbi", lambda request: request.app[NCBI].state)
    return standin

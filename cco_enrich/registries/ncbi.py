"""NCBI's E-utilities esummary and PMC ID Converter: request URLs, answers -> Works, and the
two PidSources that send them (PubMedSource for PMIDs, PmcSource for PMCIDs), sharing one pool.

Both services count against one limit, 3 requests/s per IP, 10 with an API key (pool `ncbi`).

- esummary (`{eutils}/esummary.fcgi?db=pubmed&retmode=json&id=1,2,3`): many PMIDs a request (up
  to 200 by GET, NCBI's advice); every PMID answers with its document summary or, unknown,
  with `{"uid": "...", "error": "cannot get document summary"}`.
- ID Converter (`{idconv}?ids=...&idtype=pmcid&format=json`): up to 200 ids of one type a request;
  it only knows articles in PMC and answers the others with `status: "error"` records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from cco_enrich.doi import doi_url, normalise_doi
from cco_enrich.errors import InvalidDOIError, RegistryError
from cco_enrich.identifiers.pubmed import normalise_pmcid, normalise_pmid
from cco_enrich.models import Author, Work
from cco_enrich.registries._http import Endpoint, get_json
from cco_enrich.registries.limits import PoolLimiter
from cco_enrich.registries.parse import clean_text
from cco_enrich.registries.pids import Forward, PidResult

PUBMED = "pubmed"
DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
DEFAULT_IDCONV_URL = "https://pmc.ncbi.nlm.nih.gov/tools/idconv/api/v1/articles/"
ESUMMARY_MAX_IDS = 200  # NCBI: "more than about 200 UIDs ... should be sent by HTTP POST"
IDCONV_MAX_IDS = 200  # the ID Converter's documented maximum
REQUESTS_PER_S = 3  # per IP, E-utilities and the ID Converter together
REQUESTS_PER_S_WITH_API_KEY = 10
UNKNOWN_PMID = "cannot get document summary"
PMID_NOT_FOUND = "PubMed has no record of this PMID"
NCBI_POOL = "ncbi"

IdType = Literal["pmid", "pmcid", "doi"]
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_PMCID_IN_TEXT = re.compile(r"PMC\d+")


@dataclass(frozen=True, slots=True)
class NcbiIdentity:
    """What every NCBI request carries: `tool` (no spaces), `email`, and `api_key` when set."""

    tool: str
    email: str | None = None
    api_key: str | None = None

    def params(self) -> list[tuple[str, str]]:
        params = [("tool", re.sub(r"\s+", "_", self.tool))]
        if self.email:
            params.append(("email", self.email))
        if self.api_key:
            params.append(("api_key", self.api_key))
        return params

    @property
    def requests_per_s(self) -> int:
        """NCBI's limit for this identity: 3 requests a second, 10 with an API key."""
        return REQUESTS_PER_S_WITH_API_KEY if self.api_key else REQUESTS_PER_S


@dataclass(frozen=True, slots=True)
class IdconvRecord:
    """One article the ID Converter knows: its PMCID, and its PMID and DOI when it has them."""

    pmcid: str
    pmid: str | None = None
    doi: str | None = None


@dataclass(slots=True)
class EsummaryAnswer:
    """One esummary batch: the works found by PMID, and the PMIDs NCBI does not know."""

    works: dict[str, Work] = field(default_factory=dict)
    not_found: list[str] = field(default_factory=list)


@dataclass(slots=True)
class IdconvAnswer:
    """One ID Converter batch: records by the id asked for, and the ids not in PMC (why)."""

    found: dict[str, IdconvRecord] = field(default_factory=dict)
    not_found: dict[str, str] = field(default_factory=dict)


def batches(ids: Sequence[str], max_size: int) -> list[list[str]]:
    """`ids` without repeats, in order, cut into lists of at most `max_size`."""
    unique = list(dict.fromkeys(ids))
    return [unique[start : start + max_size] for start in range(0, len(unique), max_size)]


def esummary_url(eutils_url: str, pmids: Sequence[str], identity: NcbiIdentity) -> str:
    """The esummary URL of one batch of PMIDs (comma-joined `id=`), JSON, with tool and email."""
    if not 0 < len(pmids) <= ESUMMARY_MAX_IDS:
        msg = f"an esummary batch holds 1 to {ESUMMARY_MAX_IDS} PMIDs, not {len(pmids)}"
        raise ValueError(msg)
    query = [("db", "pubmed"), ("retmode", "json"), ("id", ",".join(pmids)), *identity.params()]
    return _join(eutils_url, "esummary.fcgi", query)


def idconv_url(
    idconv_url_base: str, ids: Sequence[str], idtype: IdType, identity: NcbiIdentity
) -> str:
    """The ID Converter URL of one batch of ids of one type, JSON, without version details."""
    if not 0 < len(ids) <= IDCONV_MAX_IDS:
        msg = f"an ID Converter batch holds 1 to {IDCONV_MAX_IDS} ids, not {len(ids)}"
        raise ValueError(msg)
    query = [
        ("ids", ",".join(ids)),
        ("idtype", idtype),
        ("format", "json"),
        ("versions", "no"),
        *identity.params(),
    ]
    return _join(idconv_url_base, "", query)


def parse_esummary(payload: Any, pmids: Sequence[str]) -> EsummaryAnswer:
    """The works of an esummary answer for the PMIDs asked; those without a summary are unknown.

    Raises:
        RegistryError: the answer has no `result` (an `esummaryresult` or top-level `error`).
    """
    result = payload.get("result") if isinstance(payload, Mapping) else None
    if not isinstance(result, Mapping):
        reason = _top_level_error(payload)
        msg = f"esummary answered {len(pmids)} PMIDs without a result ({reason})"
        raise RegistryError(msg)
    answer = EsummaryAnswer()
    for pmid in dict.fromkeys(pmids):
        document = result.get(pmid)
        if isinstance(document, Mapping) and not document.get("error"):
            answer.works[pmid] = work_from_esummary(document, pmid)
        else:
            answer.not_found.append(pmid)
    return answer


def work_from_esummary(document: Mapping[str, Any], pmid: str) -> Work:
    """One esummary document summary (db=pubmed) as a Work, with the DOI and PMCID it names."""
    ids = _article_ids(document)
    doi = ids.get("doi") or _elocation_doi(document.get("elocationid"))
    return Work(
        doi=doi,
        registry=PUBMED,
        source=PUBMED,
        pmid=pmid,
        pmcid=ids.get("pmc"),
        title=_title(document.get("title")),
        authors=tuple(a for a in map(_author, _dicts(document.get("authors"))) if a is not None),
        year=_year(document),
        container_title=clean_text(document.get("fulljournalname"))
        or clean_text(document.get("source")),
        type=_type(document),
        publisher=clean_text(document.get("publishername")),
        url=doi_url(doi) if doi else f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
    )


def parse_idconv(payload: Any, ids: Sequence[str], idtype: IdType) -> IdconvAnswer:
    """The ID Converter's records for the ids asked; errors and absences are `not_found`.

    Records are matched on `requested-id` (v1 API), else on the id of `idtype` they carry.

    Raises:
        RegistryError: the answer has no list of records.
    """
    records = payload.get("records") if isinstance(payload, Mapping) else None
    if not isinstance(records, list):
        msg = f"the ID Converter answered {len(ids)} ids without records"
        raise RegistryError(msg)
    asked = {_id_key(i, idtype): i for i in ids}
    answer = IdconvAnswer()
    for record in _dicts(records):
        requested = record.get("requested-id") or record.get(idtype)
        key = asked.get(_id_key(str(requested), idtype)) if requested is not None else None
        if key is None:
            continue
        parsed = _idconv_record(record)
        if record.get("status") == "error" or parsed is None:
            answer.not_found[key] = str(record.get("errmsg") or "not in PubMed Central")
        else:
            answer.found[key] = parsed
    for key in asked.values():
        if key not in answer.found and key not in answer.not_found:
            answer.not_found[key] = "the ID Converter gave no record for it"
    return answer


class PubMedSource:
    """PMIDs through esummary, up to 200 a request: works (naming their DOI when PubMed has one)."""

    name = "pubmed"
    scheme = "pmid"

    def __init__(self, endpoint: Endpoint, limiter: PoolLimiter, identity: NcbiIdentity) -> None:
        self.endpoint = endpoint
        self.limiter = limiter
        self.identity = identity

    def pack(self, pids: Sequence[str]) -> list[list[str]]:
        return batches(pids, ESUMMARY_MAX_IDS)

    async def resolve_batch(self, pids: Sequence[str]) -> PidResult:
        url = esummary_url(self.endpoint.base_url, pids, self.identity)
        try:
            answer = parse_esummary(await _get(self.endpoint, self.limiter, url), pids)
        except RegistryError as exc:
            return PidResult.all_failed(pids, str(exc))
        return PidResult(
            works=answer.works, not_found=dict.fromkeys(answer.not_found, PMID_NOT_FOUND)
        )


class PmcSource:
    """PMCIDs through the ID Converter, up to 200 a request: each on to its PMID, else its DOI."""

    name = "pmc"
    scheme = "pmcid"

    def __init__(self, endpoint: Endpoint, limiter: PoolLimiter, identity: NcbiIdentity) -> None:
        self.endpoint = endpoint
        self.limiter = limiter
        self.identity = identity

    def pack(self, pids: Sequence[str]) -> list[list[str]]:
        return batches(pids, IDCONV_MAX_IDS)

    async def resolve_batch(self, pids: Sequence[str]) -> PidResult:
        url = idconv_url(self.endpoint.base_url, pids, "pmcid", self.identity)
        try:
            answer = parse_idconv(await _get(self.endpoint, self.limiter, url), pids, "pmcid")
        except RegistryError as exc:
            return PidResult.all_failed(pids, str(exc))
        result = PidResult(not_found=dict(answer.not_found))
        for pmcid, record in answer.found.items():
            ids = {"pmcid": record.pmcid} | ({"doi": record.doi} if record.doi else {})
            if record.pmid:
                result.forwards[pmcid] = Forward("pmid", record.pmid, ids)
            elif record.doi:
                result.forwards[pmcid] = Forward("doi", record.doi, ids)
            else:
                result.not_found[pmcid] = "PMC names neither a PMID nor a DOI for this article"
        return result


async def _get(endpoint: Endpoint, limiter: PoolLimiter, url: str) -> Any:
    payload = await get_json(endpoint, limiter, url)
    if payload is None:
        msg = f"{endpoint.name} answered 404; is its base URL right ({endpoint.base_url})?"
        raise RegistryError(msg)
    return payload


def _join(base_url: str, path: str, query: Sequence[tuple[str, str]]) -> str:
    # Base URLs may carry a path prefix: append, never replace. Commas stay readable.
    url = base_url.rstrip("/") + "/" + path if path else base_url
    encoded = "&".join(f"{key}={quote(value, safe=',/:@')}" for key, value in query)
    return f"{url}?{encoded}"


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _top_level_error(payload: Any) -> str:
    if isinstance(payload, Mapping):
        for key in ("error", "esummaryresult"):
            if payload.get(key):
                return f"{key}: {payload[key]}"
    return "unreadable body"


def _article_ids(document: Mapping[str, Any]) -> dict[str, str]:
    """`articleids` as {idtype: value}: `doi` normalised, `pmc` as PMC<digits>."""
    ids: dict[str, str] = {}
    for entry in _dicts(document.get("articleids")):
        kind, value = entry.get("idtype"), entry.get("value")
        if not isinstance(value, str) or not value.strip():
            continue
        if kind == "doi":
            ids.setdefault("doi", _doi(value) or "")
        elif kind in ("pmc", "pmcid"):
            # "pmcid" holds prose ("pmc-id: PMC5122160;"); "pmc" holds the bare PMCID.
            found = _PMCID_IN_TEXT.search(value)
            pmcid = normalise_pmcid(found.group()) if found else None
            if pmcid:
                ids.setdefault("pmc", pmcid)
    return {kind: value for kind, value in ids.items() if value}


def _elocation_doi(value: object) -> str | None:
    if isinstance(value, str) and "doi:" in value:
        return _doi(value.split("doi:", 1)[1].split()[0])
    return None


def _doi(value: str) -> str | None:
    try:
        return normalise_doi(value)
    except InvalidDOIError:
        return None


def _title(value: object) -> str | None:
    title = clean_text(value) if isinstance(value, str) else None
    # PubMed ends every title with a period; a title of its own ends in "?" or "!" instead.
    if title and title.endswith(".") and not title.endswith(".."):
        title = title[:-1].rstrip()
    return title or None


def _author(entry: Mapping[str, Any]) -> Author | None:
    """PubMed's "Family Initials" (`Tyler KL`), or a collective name (an organisation)."""
    name = clean_text(entry.get("name"))
    if name is None:
        return None
    if entry.get("authtype") == "CollectiveName":
        return Author(name=name)
    family, _, initials = name.rpartition(" ")
    if not family or not initials.isalpha() or not initials.isupper():
        return Author(family=name)
    return Author(family=family, given=initials)


def _year(document: Mapping[str, Any]) -> int | None:
    for key in ("pubdate", "epubdate", "sortpubdate"):
        value = document.get(key)
        match = _YEAR.search(value) if isinstance(value, str) else None
        if match:
            return int(match.group())
    return None


def _type(document: Mapping[str, Any]) -> str:
    doctype = document.get("doctype")
    if doctype == "book":
        return "book"
    if doctype == "chapter":
        return "book-chapter"
    return "journal-article"


def _id_key(value: str, idtype: IdType) -> str:
    if idtype == "pmcid":
        return normalise_pmcid(value) or value.upper()
    if idtype == "pmid":
        return normalise_pmid(value) or value
    return value.lower()


def _idconv_record(record: Mapping[str, Any]) -> IdconvRecord | None:
    pmcid = normalise_pmcid(str(record.get("pmcid") or ""))
    if pmcid is None:
        return None
    pmid = normalise_pmid(str(record["pmid"])) if record.get("pmid") is not None else None
    doi = _doi(record["doi"]) if isinstance(record.get("doi"), str) else None
    return IdconvRecord(pmcid=pmcid, pmid=pmid, doi=doi)

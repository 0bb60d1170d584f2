"""A mixed 1,000 identifiers of every scheme, against the bound every pool's limit allows.

The list: DOIs (Crossref, DataCite), arXiv ids, PMIDs with a DOI and without, PMCIDs (to a PMID,
to a DOI only, unknown), ISBNs (known, unknown) and invalid strings, shuffled. The bound is the
largest of what each pool needs on its own and of the chains one answer must wait for:
- the DOI pools for every DOI the run meets (given, arXiv, found by PubMed and PMC), as
  `bench.bound.lower_bound` plans them;
- `ncbi` (3/s): one ID Converter request, then esummary on the given PMIDs and the PMIDs PMC names;
- `openlibrary` (1/s, 1 in flight): the ISBNs, 50 a request;
- chains: esummary, then the DOIs it found; ID Converter, then esummary, then theirs.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from cco_enrich.ingest import build_resource
from cco_enrich.models import ResourceStatus
from cco_enrich.registries.ncbi import ESUMMARY_MAX_IDS, IDCONV_MAX_IDS
from cco_enrich.registries.openlibrary import BOOKS_MAX_BIBKEYS
from tests.standin import Corpus, PoolLimit, make_corpus
from tests.standin.ncbi import article_document
from tests.standin.openlibrary import make_books

from .bound import lower_bound, pool_time
from .harness import StandinSettings
from .pid_stack import PidStack
from .pid_standin import World
from .results import ScenarioResult, Table, fmt_s

SEED = 20261202
TARGET = 1.5
NCBI_LIMIT = PoolLimit(3, 1.0, 3)
OPENLIBRARY_LIMIT = PoolLimit(1, 1.0, 1)
COUNTS = {"crossref": 250, "datacite": 100, "arxiv": 80, "pmid_doi": 150, "pmid_only": 100,
          "pmcid_pmid": 60, "pmcid_doi": 20, "pmcid_unknown": 20, "isbn": 150,
          "isbn_unknown": 50, "invalid": 20}  # fmt: skip
INVALID = (
    "PMID: x{n}",
    "ISBN 978-0-306-4{n:04d}-0",
    "arXiv:9913.{n:05d}",
    "10.12/{n}",
    "see ref. {n}",
)


@dataclass
class Mix:
    """The list, the world behind it, and what the run must end with."""

    identifiers: list[str] = field(default_factory=list)
    world: World = field(default_factory=World)
    dois_met: list[str] = field(default_factory=list)  # every DOI the DOI engine will see
    pubmed_dois: list[str] = field(default_factory=list)  # found by esummary
    pmc_dois: list[str] = field(default_factory=list)  # found through the ID Converter
    expected: dict[str, int] = field(default_factory=dict)


def build_mix(corpus: Corpus) -> Mix:
    """The mixed list over `corpus` (whose DOIs the PubMed and PMC records name)."""
    rng = random.Random(SEED)
    mix = Mix()
    crossref = [w.doi for w in corpus.works_of("crossref") if w.title]
    datacite = [w.doi for w in corpus.works_of("datacite") if w.title and "48550" not in w.doi]
    arxiv = [d for d in corpus.works if d.startswith("10.48550/arxiv.") and d[15:17] >= "15"]
    doi_pool = [*crossref[COUNTS["crossref"] :], *datacite[COUNTS["datacite"] :]]  # not given
    rng.shuffle(doi_pool)
    given = crossref[: COUNTS["crossref"]] + datacite[: COUNTS["datacite"]]
    mix.identifiers += given
    mix.identifiers += [
        f"arXiv:{d.removeprefix('10.48550/arxiv.')}" for d in arxiv[: COUNTS["arxiv"]]
    ]
    _pubmed(mix, doi_pool)
    _books(mix)
    mix.identifiers += _invalid(COUNTS["invalid"])
    mix.dois_met = [*given, *arxiv[: COUNTS["arxiv"]], *mix.pubmed_dois, *mix.pmc_dois]
    not_found = COUNTS["pmcid_unknown"] + COUNTS["isbn_unknown"]
    mix.expected = {
        "enriched": len(mix.identifiers) - COUNTS["invalid"] - not_found,
        "not_found": not_found,
        "invalid": COUNTS["invalid"],
    }
    rng.shuffle(mix.identifiers)
    return mix


def _invalid(count: int) -> list[str]:
    """`count` distinct strings that look like identifiers and are none (bad check digits, ...)."""
    found: list[str] = []
    n = 0
    while len(found) < count:
        text = INVALID[n % len(INVALID)].format(n=n)
        if build_resource(text).status is ResourceStatus.INVALID:
            found.append(text)
        n += 1
    return found


def _pubmed(mix: Mix, dois: list[str]) -> None:
    """PMIDs with and without DOIs, and PMCIDs to new PMIDs (half with DOIs) or to a DOI only."""
    take = iter(dois)
    pmid = 40_000_000

    def article(doi: str | None, pmcid: str | None = None) -> str:
        nonlocal pmid
        pmid += 1
        mix.world.articles.append(article_document(
            str(pmid), f"Bench article {pmid}.", ["Smith AB"], journal="J Bench", source="J Bench",
            pubdate="2021 Mar 3", doi=doi, pmcid=pmcid,
        ))  # fmt: skip
        return str(pmid)

    for _ in range(COUNTS["pmid_doi"]):
        doi = next(take)
        mix.pubmed_dois.append(doi)
        mix.identifiers.append(f"PMID: {article(doi)}")
    mix.identifiers += [f"PMID: {article(None)}" for _ in range(COUNTS["pmid_only"])]
    for n in range(COUNTS["pmcid_pmid"]):
        doi = next(take) if n % 2 else None
        pmcid = f"PMC{9_500_000 + n}"
        mix.world.pmc.append((pmcid, article(doi, pmcid), doi))
        mix.pmc_dois += [doi] if doi else []
        mix.identifiers.append(pmcid)
    for n in range(COUNTS["pmcid_doi"]):
        doi = next(take)
        mix.world.pmc.append((f"PMC{9_600_000 + n}", None, doi))
        mix.pmc_dois.append(doi)
        mix.identifiers.append(f"PMCID: PMC{9_600_000 + n}")
    mix.identifiers += [f"PMC{9_700_000 + n}" for n in range(COUNTS["pmcid_unknown"])]


def _books(mix: Mix) -> None:
    books = make_books(COUNTS["isbn"] + COUNTS["isbn_unknown"], seed=SEED)
    mix.world.books = books[: COUNTS["isbn"]]
    mix.identifiers += [f"ISBN {isbn}" for _, isbn in books]


@dataclass(frozen=True, slots=True)
class MixBound:
    total_s: float
    parts: dict[str, tuple[int, float]]  # what -> (requests, seconds)


def mix_bound(mix: Mix, corpus: Corpus, settings: StandinSettings) -> MixBound:
    service_s = settings.latency_base_s  # the identifier stand-ins answer in the base latency
    pmids = COUNTS["pmid_doi"] + COUNTS["pmid_only"] + COUNTS["pmcid_pmid"]
    pmcids = COUNTS["pmcid_pmid"] + COUNTS["pmcid_doi"] + COUNTS["pmcid_unknown"]
    ncbi = math.ceil(pmcids / IDCONV_MAX_IDS) + math.ceil(pmids / ESUMMARY_MAX_IDS)
    books = math.ceil((COUNTS["isbn"] + COUNTS["isbn_unknown"]) / BOOKS_MAX_BIBKEYS)
    dois = lower_bound(mix.dois_met, corpus, settings)
    parts = {
        "DOI pools, every DOI met": (dois.requests, dois.total_s),
        "ncbi (3/s)": (ncbi, pool_time(ncbi, NCBI_LIMIT, service_s)),
        "openlibrary (1/s)": (books, pool_time(books, OPENLIBRARY_LIMIT, service_s)),
        "esummary, then its DOIs": (
            0, service_s + lower_bound(mix.pubmed_dois, corpus, settings).total_s,
        ),
        "ID Converter, esummary, then their DOIs": (
            0, 2 * service_s + lower_bound(mix.pmc_dois, corpus, settings).total_s,
        ),
    }  # fmt: skip
    return MixBound(max(seconds for _, seconds in parts.values()), parts)


def run_identifiers(directory: Path, settings: StandinSettings) -> ScenarioResult:
    """One cold session of the mixed 1,000."""
    corpus = make_corpus(700, 500, 0, 0, seed=SEED, n_prefixes=5)
    mix = build_mix(corpus)
    corpus_path = directory / "identifiers-corpus.json"
    corpus_path.write_text(corpus.to_json(), encoding="utf-8")
    stack = PidStack(directory / "identifiers", corpus_path, mix.world, settings)
    stack.start()
    try:
        stack.reset_standin()
        run = stack.run_session(mix.identifiers)
        services = {name: stack.service_stats(name) for name in ("ncbi", "openlibrary")}
        registries = stack.standin_stats()
    finally:
        stack.stop()
    bound = mix_bound(mix, corpus, settings)
    return _report(mix, run.wall_s, run.final, bound, services, registries)


def _report(
    mix: Mix,
    wall_s: float,
    final: dict[str, object],
    bound: MixBound,
    services: dict[str, dict[str, object]],
    registries: dict[str, object],
) -> ScenarioResult:
    n = len(mix.identifiers)
    result = ScenarioResult("identifiers", f"12. A mixed {n:,} identifiers of every scheme, cold")
    ratio = wall_s / bound.total_s
    result.figure("wall time", fmt_s(wall_s))
    result.figure("bound", fmt_s(bound.total_s))
    result.figure("ours / bound", f"{ratio:.2f}", f"<= {TARGET:g}", ratio <= TARGET)
    for name, stats in services.items():
        pools = stats["pools"]
        assert isinstance(pools, dict)
        too_many = sum(int(p["429s"]) for p in pools.values())
        sent = sum(int(p["requests"]) for p in pools.values())
        result.figure(f"{name}: requests / 429s", f"{sent} / {too_many}", "0 429s", too_many == 0)
    pools = registries.get("pools", {})
    assert isinstance(pools, dict)
    result.figure("registry 429s", str(sum(int(p["429s"]) for p in pools.values())))
    outcomes = {
        k: int(str(final.get(k, 0))) for k in ("enriched", "not_found", "invalid", "failed")
    }
    expected = {**mix.expected, "failed": 0}
    result.figure(
        "outcomes",
        ", ".join(f"{v} {k}" for k, v in outcomes.items()),
        ", ".join(f"{v} {k}" for k, v in expected.items()),
        outcomes == expected,
    )
    result.tables.append(Table("The bound, part by part", ("part", "requests", "time"), [
        (part, str(requests) if requests else "", fmt_s(seconds))
        for part, (requests, seconds) in bound.parts.items()
    ]))  # fmt: skip
    result.notes.append("The list: " + ", ".join(f"{v} {k}" for k, v in COUNTS.items()) + ".")
    return result

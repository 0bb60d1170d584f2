"""One stand-in holding every scheme: registries, NCBI, Open Library, Handles, ARKs, pages.

`build_world()` makes a corpus and the identifier-service records around it: PubMed articles
whose DOIs the registries know (and some without), PMC articles, books, Handles, an IGSN and an
ARK pointing at the landing stand-in (never at a public host), and a page naming a corpus DOI.
`World.identifiers` is a list given the way a curator would write it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cco_enrich.settings import Settings
from tests.standin import Corpus, StandinServer, make_corpus
from tests.standin.handle import HANDLES
from tests.standin.landing import LANDING, Page
from tests.standin.ncbi import NCBI, PmcEntry, article_document
from tests.standin.openlibrary import OPENLIBRARY, make_books
from tests.standin.services import identifier_env

TOM_SAWYER = "0451526538"  # recorded in tests/data/openlibrary
UNKNOWN_ISBN = "978-0-306-40615-7"  # a valid checksum no library holds here
REPO_PAGE = ("repo.example", "/record/1")


def citation_page(title: str, doi: str) -> bytes:
    """A landing page with Highwire tags naming its DOI."""
    return (
        f'<html><head><title>{title}</title><meta name="citation_title" content="{title}">'
        f'<meta name="citation_doi" content="{doi}"></head><body></body></html>'
    ).encode()


@dataclass
class World:
    server: StandinServer
    corpus: Corpus
    crossref: list[str]
    datacite: list[str]
    arxiv: list[str]
    books: list[tuple[dict[str, Any], str]]
    journal_doi: str
    identifiers: list[str] = field(default_factory=list)

    def landing(self, host: str, path: str) -> str:
        """The stand-in URL of `host`'s page at `path` (path-prefix form, on loopback)."""
        return f"{self.server.base_url}/landing/{host}{path}"

    def real_url(self, url: str) -> str:
        """A real https URL of a recorded page, pointed at the stand-in."""
        host, _, rest = url.split("://", 1)[1].partition("/")
        return self.landing(host.lower(), "/" + rest)

    def truth(self, doi: str) -> dict[str, Any]:
        work = self.corpus.find(doi)
        assert work is not None, doi
        return work.resource_fields()

    def settings(self, redis_url: str = "redis://127.0.0.1:1/0", **overrides: Any) -> Settings:
        """Settings pointing every upstream at the stand-in; loopback allowed unless overridden."""
        env = identifier_env(self.server.base_url)
        values: dict[str, Any] = {
            "redis_url": redis_url,
            "crossref_url": self.server.crossref_url,
            "datacite_url": self.server.datacite_url,
            "doi_url": self.server.doi_url,
            "mailto": "tests@example.org",
            "retry_wait_initial_s": 0.01,
            "outbound_allow_private": True,
            "landing_per_host_per_s": 100,  # every page sits on 127.0.0.1: one client pool
            "landing_in_flight_per_host": 8,
            **{name.removeprefix("CCO_").lower(): url for name, url in env.items()},
        }
        return Settings(**{**values, **overrides})


def build_corpus() -> Corpus:
    corpus = make_corpus(30, 30, 0, 3, seed=2, n_prefixes=5)
    return corpus


async def start_world(corpus: Corpus | None = None) -> World:
    """Start the stand-in with the records every scheme needs; `await world.server.close()`."""
    corpus = corpus or build_corpus()
    crossref = sorted(w.doi for w in corpus.works_of("crossref") if w.title)
    datacite = sorted(
        w.doi for w in corpus.works_of("datacite") if w.title and "48550" not in w.doi
    )
    # arXiv ids of five digits after the dot exist from 2015 (1501.00001) on.
    arxiv = sorted(d for d in corpus.works if d.startswith("10.48550/arxiv.") and d[15:17] >= "15")
    journal_doi = crossref[5]
    corpus.records[arxiv[0]].fields["relatedIdentifiers"] = [
        {"relationType": "IsPreviousVersionOf", "relatedIdentifierType": "DOI",
         "relatedIdentifier": journal_doi},
    ]  # fmt: skip
    server = StandinServer(corpus)
    world = World(server, corpus, crossref, datacite, arxiv, make_books(3), journal_doi)
    _add_records(world)
    await server.start()
    _point_pids_at_pages(world)
    world.identifiers = _identifiers(world)
    return world


def _add_records(world: World) -> None:
    ncbi = world.server.app[NCBI]
    for pmid, doi, pmcid in (
        ("30000001", world.crossref[0], "PMC8000001"),
        ("30000002", world.datacite[0], None),
        ("30000003", None, "PMC8000003"),
        ("30000004", None, None),
        ("30000005", world.crossref[1], None),
        ("30000006", None, "PMC8000006"),
    ):
        ncbi.add_document(
            article_document(
                pmid, f"PubMed article {pmid}.", ["Smith AB", "Jones C"], journal="J Test",
                source="J Test", pubdate="2020 Jan 5", doi=doi, pmcid=pmcid,
            )
        )  # fmt: skip
    ncbi.add_pmc(PmcEntry("PMC8000009", None, world.crossref[2]))
    library = world.server.app[OPENLIBRARY]
    for record, isbn in world.books:
        library.add_book(record, isbn)
    pages = world.server.app[LANDING]
    pages.limit = None  # count every request, refuse none: the client's pools pace them
    pages.pages[REPO_PAGE] = Page(body=citation_page("A repository record", world.crossref[3]))


def _point_pids_at_pages(world: World) -> None:
    """Handles, an IGSN and an ARK whose targets are stand-in pages (known once it listens)."""
    handles = world.server.app[HANDLES]
    handles.add_url("20.500.12345/abc", world.landing("data.example.org", "/dataset/3300"))
    handles.add_url(
        "10273/TEST00001", world.landing("catalog.example.gov", "/dataset/seabirds-2017-2019")
    )
    handles.add_ark(
        "ark:/99999/fk4test", world.landing("portal.example.org", "/dataset/riceswhale-2019")
    )


def _identifiers(world: World) -> list[str]:
    arxiv_id = world.arxiv[0].removeprefix("10.48550/arxiv.")
    return [
        world.crossref[4],
        world.datacite[1],
        f"arXiv:{arxiv_id}",
        "PMID: 30000001",
        "pmid:30000002",
        "https://pubmed.ncbi.nlm.nih.gov/30000003/",
        "PMID 30000004",
        "PMID: 39999999",
        "PMC8000001",
        "PMC8000003",
        "PMC8000006",
        "PMCID: PMC8000009",
        "PMC8999999",
        world.crossref[1],
        "PMID: 30000005",
        f"ISBN {world.books[0][1]}",
        f"isbn:{world.books[1][1]}",
        f"ISBN-10: {TOM_SAWYER}",
        f"ISBN {UNKNOWN_ISBN}",
        "ISBN 978-0-306-40615-8",
        "hdl:20.500.12345/abc",
        "IGSN TEST00001",
        "ark:/99999/fk4test",
        world.landing(*REPO_PAGE),
        world.landing("zenodo.example", "/records/7654321"),
        world.landing("blog.example.org", "/2021/07/tagging-green-turtles"),
        world.landing("data.example.org", "/dataset/3300#part-a"),
        world.landing("data.example.org", "/dataset/3300#part-b"),
        world.landing("pages.example.org", "/report.pdf"),
        world.landing("pages.example.org", "/missing"),
    ]

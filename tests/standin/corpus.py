"""The truth corpus: which DOIs exist where, what cco_enrich must end up with, and their records."""

from __future__ import annotations

import html
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cco_enrich.doi import doi_url
from cco_enrich.models import Author, Work

from .records import Draft, DraftAuthor, UpstreamRecord, build_record
from .series import (
    CROSSREF_SERIES,
    DATACITE_SERIES,
    FAMILY_NAMES,
    GIVEN_NAMES,
    JALC,
    JAPANESE_FAMILY,
    JAPANESE_GIVEN,
    MEDRA,
    ORGANISATIONS,
    OTHER_SERIES,
    WILEY,
    Series,
    make_orcid,
    make_title,
    pick_series,
)

_TAG = re.compile(r"<[^>]*>")
_FORMAT = 1


def clean_text(raw: str | None) -> str | None:
    """Markup removed, entities unescaped, white space collapsed; None when nothing is left."""
    if raw is None:
        return None
    text = " ".join(html.unescape(_TAG.sub("", raw)).split())
    return text or None


def _fold(doi: str) -> str:
    # DOIs are case-insensitive for ASCII letters only (DOI Handbook 2.4).
    return "".join(ch.lower() if ch.isascii() else ch for ch in doi)


@dataclass(frozen=True, slots=True)
class TruthWork:
    """What cco_enrich must end up with for one DOI, in our resource fields."""

    doi: str
    registry: str  # "crossref", "datacite", "medra", "jalc"
    title: str | None
    authors: tuple[Author, ...]
    year: int | None
    container_title: str | None
    type: str | None
    publisher: str | None
    url: str

    def to_work(self) -> Work:
        """The same facts as the Work a registry client should return."""
        return Work(**self.resource_fields())

    def resource_fields(self) -> dict[str, Any]:
        """The resource fields as the API shows them (authors as plain dicts)."""
        return {
            "doi": self.doi,
            "registry": self.registry,
            "title": self.title,
            "authors": [a.model_dump() for a in self.authors],
            "year": self.year,
            "container_title": self.container_title,
            "type": self.type,
            "publisher": self.publisher,
            "url": self.url,
        }

    @classmethod
    def from_fields(cls, data: dict[str, Any]) -> TruthWork:
        return cls(**{**data, "authors": tuple(Author(**a) for a in data["authors"])})


@dataclass(slots=True)
class Corpus:
    """What the stand-in knows: works by lower-case DOI, prefix -> RA, DOIs that exist nowhere."""

    works: dict[str, TruthWork] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    records: dict[str, UpstreamRecord] = field(default_factory=dict)

    def find(self, doi: str) -> TruthWork | None:
        """The work of a DOI in any spelling of its ASCII case, or None."""
        return self.works.get(_fold(doi))

    def in_registry(self, doi: str, registry: str) -> TruthWork | None:
        """The work if `registry` holds it (Crossref never answers for a DataCite DOI)."""
        work = self.find(doi)
        return work if work is not None and work.registry == registry else None

    def works_of(self, registry: str) -> list[TruthWork]:
        return [w for w in self.works.values() if w.registry == registry]

    def dois(self, *, include_missing: bool = True, shuffle_seed: int | None = None) -> list[str]:
        """Every DOI of the corpus (an input list for a session), optionally shuffled."""
        dois = [*self.works, *(self.missing if include_missing else ())]
        if shuffle_seed is not None:
            random.Random(shuffle_seed).shuffle(dois)
        return dois

    def add(self, draft: Draft) -> TruthWork:
        """Add one work made from a draft; its prefix joins `prefixes`."""
        work = _truth_of(draft)
        self.works[work.doi] = work
        self.records[work.doi] = build_record(draft)
        self.prefixes[work.doi.split("/", 1)[0]] = draft.agency
        return work

    def to_json(self) -> str:
        """The whole corpus as JSON, for another process to load with from_json()."""
        return json.dumps(
            {
                "format": _FORMAT,
                "prefixes": self.prefixes,
                "missing": self.missing,
                "works": [w.resource_fields() for w in self.works.values()],
                "records": {doi: r.to_dict() for doi, r in self.records.items()},
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Corpus:
        data = json.loads(text)
        if data.get("format") != _FORMAT:
            raise ValueError(
                f"corpus format {data.get('format')!r} is not {_FORMAT}; regenerate it"
            )
        works = (TruthWork.from_fields(w) for w in data["works"])
        return cls(
            works={w.doi: w for w in works},
            prefixes=data["prefixes"],
            missing=data["missing"],
            records={doi: UpstreamRecord.from_dict(r) for doi, r in data["records"].items()},
        )


def _truth_of(draft: Draft) -> TruthWork:
    registry = draft.agency.lower()
    work_type = draft.work_type
    if registry == "datacite":  # resourceTypeGeneral in lower kebab case
        work_type = re.sub(r"(?<!^)(?=[A-Z])", "-", work_type).lower()
    authors = tuple(
        Author(
            given=clean_text(a.given),
            family=clean_text(a.family),
            name=clean_text(a.name),
            orcid=a.orcid,
        )
        for a in draft.authors
        if not a.is_blank
    )
    return TruthWork(
        doi=draft.doi,
        registry=registry,
        title=clean_text(draft.title),
        authors=authors,
        year=draft.date[0] if draft.date else None,
        container_title=clean_text(draft.container),
        type=work_type,
        publisher=clean_text(draft.publisher),
        url=doi_url(draft.doi),
    )


class _Maker:
    """Draws drafts from one seeded random stream; never mints the same DOI twice."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.taken: set[str] = set()

    def new_doi(self, series: Series) -> str:
        while (doi := series.make_doi(self.rng)) in self.taken:
            pass
        self.taken.add(doi)
        return doi

    def people(self, *, japanese: bool = False, orcids: bool = True) -> tuple[DraftAuthor, ...]:
        given, family = (
            (JAPANESE_GIVEN, JAPANESE_FAMILY) if japanese else (GIVEN_NAMES, FAMILY_NAMES)
        )
        return tuple(
            DraftAuthor(
                given=self.rng.choice(given),
                family=self.rng.choice(family),
                orcid=make_orcid(self.rng) if orcids and self.rng.random() < 0.4 else None,
            )
            for _ in range(self.rng.randint(1, 8))
        )

    def created(self) -> str:
        r = self.rng
        return (
            f"{r.randint(2011, 2024)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
            f"T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.000Z"
        )

    def draft(self, series: Series, doi: str | None = None, **changes: Any) -> Draft:
        """A typical work of `series`; `changes` override any Draft field."""
        other = series.agency in ("mEDRA", "JaLC")
        date = (self.rng.randint(1998, 2025), self.rng.randint(1, 12), self.rng.randint(1, 28))
        values: dict[str, Any] = {
            "doi": doi or self.new_doi(series),
            "agency": series.agency,
            "template": series.template,
            "work_type": series.work_type,
            "publisher": series.publisher,
            "title": make_title(self.rng, series.agency),
            "authors": self.people(japanese=series.agency == "JaLC", orcids=not other),
            "date": date if self.rng.random() < 0.8 else date[:1],
            "container": self.rng.choice(series.containers) if series.containers else None,
            "created": self.created(),
        }
        if doi is not None:
            self.taken.add(doi)
        return Draft(**{**values, **changes})


def _person(
    given: str | None, family: str | None, orcid: str | None = None, **kw: Any
) -> DraftAuthor:
    return DraftAuthor(given=given, family=family, orcid=orcid, **kw)


_JATS_TITLE = (
    "Identification of a novel cationic glycolipid in\n                  "
    "<i>Streptococcus agalactiae</i>\n                  that fixes CO<sub>2</sub>"
)
_BIORXIV = CROSSREF_SERIES[1]
_NATURE = CROSSREF_SERIES[5]

# Each hard case is one thing a client gets wrong; the first ones go into every large enough corpus.
_HARD_CROSSREF: tuple[Callable[[_Maker], Draft], ...] = (
    lambda m: m.draft(WILEY, "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-o"),
    lambda m: m.draft(WILEY, "10.1002/(sici)1097-4571(199711)48:11<1021::aid-asi4>3.0.co;2-#"),
    lambda m: m.draft(WILEY, "10.1002/ange.1,2-dioxetane.19990315"),
    lambda m: m.draft(_BIORXIV, title=_JATS_TITLE),
    lambda m: m.draft(
        _BIORXIV,
        authors=(
            _person("Jéssica da C.", "Mendonça", make_orcid(m.rng)),
            _person("Łukasz", "Kowalski", make_orcid(m.rng), orcid_style="http"),
            _person("Zoë", "Björk"),
        ),
    ),
    lambda m: m.draft(
        _NATURE, authors=(_person(None, "Sheherazade"), _person(None, "Ardiantiono"))
    ),
    lambda m: m.draft(CROSSREF_SERIES[0], authors=()),
    lambda m: m.draft(CROSSREF_SERIES[2], date=(2019,), quirks=frozenset({"issued-null"})),
    lambda m: m.draft(
        CROSSREF_SERIES[0],
        m.new_doi(CROSSREF_SERIES[0]) + ".g001",
        template="crossref:component",
        work_type="component",
        title=None,
        authors=(),
        date=None,
        container=None,
    ),
    lambda m: m.draft(
        CROSSREF_SERIES[0],
        title="Sediment &amp; nutrient fluxes in <jats:italic>Posidonia oceanica</jats:italic>",
        authors=(
            DraftAuthor(name=ORGANISATIONS[0], is_organisation=True),
            DraftAuthor(given="", family=""),
            _person("Anna", "Smith"),
        ),
        quirks=frozenset({"old-url"}),
    ),
)
_HARD_DATACITE: tuple[Callable[[_Maker], Draft], ...] = (
    lambda m: m.draft(
        DATACITE_SERIES[0], quirks=frozenset({"translated-title-first", "year-string"})
    ),
    lambda m: m.draft(
        DATACITE_SERIES[2],
        authors=(
            DraftAuthor(name=ORGANISATIONS[1], is_organisation=True),
            DraftAuthor(name="Ishikawa Mayumi"),
            _person("Priya", "Sharma", make_orcid(m.rng), orcid_style="bare"),
            _person("Ahmed", "Hassan", make_orcid(m.rng), orcid_style="http"),
        ),
    ),
    lambda m: m.draft(
        DATACITE_SERIES[3], work_type="JournalArticle", container="GigaScience Database"
    ),
)
_HARD_OTHER: tuple[Callable[[_Maker], Draft], ...] = (
    lambda m: m.draft(
        MEDRA,
        authors=(
            DraftAuthor(name="Società Italiana di Statistica", is_organisation=True),
            _person("Giulia", "Rossi"),
        ),
        quirks=frozenset({"upper-doi", "title-list"}),
    ),
    lambda m: m.draft(JALC),
)


def _drafts(
    maker: _Maker,
    count: int,
    series: tuple[Series, ...],
    hard: tuple[Callable[[_Maker], Draft], ...],
) -> list[Draft]:
    drafts = [make(maker) for make in hard[:count]]
    drafts += [maker.draft(maker.rng.choice(series)) for _ in range(count - len(drafts))]
    return drafts


def make_corpus(
    n_crossref: int,
    n_datacite: int,
    n_other: int,
    n_missing: int,
    *,
    seed: int = 0,
    n_prefixes: int = 5,
) -> Corpus:
    """A deterministic corpus: the same arguments always give the same DOIs, truth and records.

    Args:
        n_prefixes: distinct Crossref prefixes, and distinct DataCite prefixes, that regular
            works are drawn from (synthetic registrants pad the real ones). Hard cases add theirs.
    """
    maker = _Maker(random.Random(seed))
    crossref = pick_series(CROSSREF_SERIES, n_prefixes)
    datacite = pick_series(DATACITE_SERIES, n_prefixes)
    corpus = Corpus()
    for draft in (
        *_drafts(maker, n_crossref, crossref, _HARD_CROSSREF),
        *_drafts(maker, n_datacite, datacite, _HARD_DATACITE),
        *_drafts(maker, n_other, OTHER_SERIES, _HARD_OTHER),
    ):
        corpus.add(draft)
    # Missing DOIs look like real ones of known registrants: mostly Crossref, as in real lists.
    pools = (crossref, crossref, crossref, datacite, OTHER_SERIES[:1])
    for i in range(n_missing):
        series = maker.rng.choice(pools[i % len(pools)])
        doi = maker.new_doi(series)
        corpus.missing.append(doi)
        corpus.prefixes.setdefault(series.prefix, series.agency)
    return corpus

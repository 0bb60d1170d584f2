"""DOI series of the stand-in corpus: prefixes, suffix shapes, publishers, title and name words."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

SuffixMaker = Callable[[random.Random], str]

_DRYAD_ALPHABET = "23456789bcdfghjkmnpqrstvwxz"


@dataclass(frozen=True, slots=True)
class Series:
    """DOIs one registrant mints: the prefix, the agency, what its works look like upstream."""

    prefix: str
    agency: str  # as doi.org spells it: "Crossref", "DataCite", "mEDRA", "JaLC"
    publisher: str
    containers: tuple[str, ...]  # empty: the works have no container
    work_type: str  # the registry's own type: Crossref type, resourceTypeGeneral, CSL type
    template: str  # a key of records.TEMPLATES
    suffix: SuffixMaker

    def make_doi(self, rng: random.Random) -> str:
        """A new DOI of this series, ASCII lower-case like our normalised DOIs."""
        return f"{self.prefix}/{self.suffix(rng)}".lower()


def _year(rng: random.Random) -> int:
    return rng.randint(2012, 2024)


def _plos(rng: random.Random) -> str:
    return f"journal.pone.0{rng.randrange(100000, 999999)}"


def _biorxiv(rng: random.Random) -> str:
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    return f"{rng.randint(2019, 2024)}.{month:02d}.{day:02d}.{rng.randrange(100000, 999999)}"


def _bmj(rng: random.Random) -> str:
    return f"jclinpath-{_year(rng)}-{rng.randrange(200000, 209999)}"


def _springer_chapter(rng: random.Random) -> str:
    return f"978-3-662-{rng.randrange(40000, 49999)}-{rng.randrange(10)}_{rng.randint(1, 30)}"


def _springer_article(rng: random.Random) -> str:
    return f"s11192-0{_year(rng) % 100:02d}-0{rng.randrange(1000, 9999)}-{rng.randrange(10)}"


def _nature(rng: random.Random) -> str:
    check = rng.choice("0123456789xyz")
    return f"d41586-0{_year(rng) % 100:02d}-0{rng.randrange(1000, 9999)}-{check}"


def _mit(rng: random.Random) -> str:
    return f"qss_a_00{rng.randrange(100, 999)}"


def _elsevier(rng: random.Random) -> str:
    return f"j.cell.{_year(rng)}.{rng.randint(1, 12):02d}.{rng.randint(1, 99):03d}"


def _wiley_sici(rng: random.Random) -> str:
    # Serial Item and Contribution Identifiers: the <>;() that break naive DOI regexes.
    year, month, volume = rng.randint(1994, 2003), rng.randint(1, 12), rng.randint(40, 54)
    issue, page, aid = rng.randint(1, 12), rng.randint(100, 999), rng.randint(1, 9)
    check = rng.choice("0123456789x")
    return (
        f"(sici)1097-4571({year}{month:02d}){volume}:{issue}<{page}::aid-asi{aid}>3.0.co;2-{check}"
    )


def _dryad(rng: random.Random) -> str:
    return "dryad." + "".join(rng.choice(_DRYAD_ALPHABET) for _ in range(8))


def _arxiv(rng: random.Random) -> str:
    return f"arxiv.{_year(rng) % 100:02d}{rng.randint(1, 12):02d}.{rng.randrange(100000):05d}"


def _zenodo(rng: random.Random) -> str:
    return f"zenodo.{rng.randrange(1000000, 9999999)}"


def _figshare(rng: random.Random) -> str:
    return f"m9.figshare.{rng.randrange(1000000, 9999999)}.v{rng.randint(1, 3)}"


def _pangaea(rng: random.Random) -> str:
    return f"pangaea.{rng.randrange(800000, 999999)}"


def _francoangeli(rng: random.Random) -> str:
    return f"ecag{_year(rng)}-00{rng.randint(1, 3)}{rng.randint(1, 999):03d}"


def _mulino(rng: random.Random) -> str:
    return f"{rng.randrange(10000, 99999)}"


def _ndl(rng: random.Random) -> str:
    return f"{rng.randrange(1000000, 9999999)}"


def _generic(rng: random.Random) -> str:
    return (
        f"{rng.choice(('data', 'art', 'rep', 'proc'))}.{_year(rng)}.{rng.randrange(10000, 99999)}"
    )


WILEY = Series(
    "10.1002",
    "Crossref",
    "Wiley",
    ("Journal of the American Society for Information Science",),
    "journal-article",
    "crossref:jclinpath",
    _wiley_sici,
)

CROSSREF_SERIES: tuple[Series, ...] = (
    Series(
        "10.1371",
        "Crossref",
        "Public Library of Science (PLoS)",
        ("PLoS ONE",),
        "journal-article",
        "crossref:pone",
        _plos,
    ),
    Series("10.1101", "Crossref", "openRxiv", (), "posted-content", "crossref:biorxiv", _biorxiv),
    Series(
        "10.1136",
        "Crossref",
        "BMJ",
        ("Journal of Clinical Pathology",),
        "journal-article",
        "crossref:jclinpath",
        _bmj,
    ),
    Series(
        "10.1007",
        "Crossref",
        "Springer Berlin Heidelberg",
        ("Handbook of Marine Ecology", "Advances in Scientometrics", "Lecture Notes in Ecology"),
        "book-chapter",
        "crossref:book-chapter",
        _springer_chapter,
    ),
    Series(
        "10.1007",
        "Crossref",
        "Springer Science and Business Media LLC",
        ("Scientometrics",),
        "journal-article",
        "crossref:s11192",
        _springer_article,
    ),
    Series(
        "10.1038",
        "Crossref",
        "Springer Science and Business Media LLC",
        ("Nature",),
        "journal-article",
        "crossref:family-only",
        _nature,
    ),
    Series(
        "10.1162",
        "Crossref",
        "MIT Press",
        ("Quantitative Science Studies",),
        "journal-article",
        "crossref:qss",
        _mit,
    ),
    Series(
        "10.1016",
        "Crossref",
        "Elsevier BV",
        ("Cell",),
        "journal-article",
        "crossref:pone",
        _elsevier,
    ),
    WILEY,
)

DATACITE_SERIES: tuple[Series, ...] = (
    Series("10.5061", "DataCite", "Dryad", (), "Dataset", "datacite:dryad", _dryad),
    Series("10.48550", "DataCite", "arXiv", (), "Preprint", "datacite:arxiv", _arxiv),
    Series("10.5281", "DataCite", "Zenodo", (), "Software", "datacite:dryad", _zenodo),
    Series("10.6084", "DataCite", "figshare", (), "Dataset", "datacite:dryad", _figshare),
    Series("10.1594", "DataCite", "PANGAEA", (), "Dataset", "datacite:dryad", _pangaea),
)

MEDRA = Series(
    "10.3280",
    "mEDRA",
    "FrancoAngeli",
    ("ECONOMIA AGRO-ALIMENTARE",),
    "article-journal",
    "csl:science",
    _francoangeli,
)
JALC = Series("10.11501", "JaLC", "National Diet Library", (), "book", "csl:science", _ndl)
OTHER_SERIES: tuple[Series, ...] = (
    MEDRA,
    JALC,
    Series(
        "10.1400",
        "mEDRA",
        "Società editrice il Mulino",
        ("Rivista di storia economica",),
        "article-journal",
        "csl:science",
        _mulino,
    ),
)


def pick_series(series: tuple[Series, ...], n_prefixes: int) -> tuple[Series, ...]:
    """The series of the first `n_prefixes` distinct prefixes, padded with synthetic registrants."""
    chosen, prefixes = [], set[str]()
    for one in series:
        if one.prefix not in prefixes and len(prefixes) >= n_prefixes:
            continue
        prefixes.add(one.prefix)
        chosen.append(one)
    base = series[0]
    first_code = 55000 if base.agency == "Crossref" else 70000
    for i in range(max(0, n_prefixes - len(prefixes))):
        chosen.append(
            Series(
                f"10.{first_code + i}",
                base.agency,
                f"Registrant {first_code + i}",
                ("Proceedings of the Synthetic Society",) if base.agency == "Crossref" else (),
                base.work_type,
                base.template,
                _generic,
            )
        )
    return tuple(chosen)


GIVEN_NAMES = (
    "Anna", "Luke R.", "Haider S.", "Jéssica", "Maria", "Wei", "Yuki", "Oluwaseun", "Søren",
    "Zoë", "Łukasz", "José", "Priya", "Ahmed", "Chen", "Elena", "Björn", "Marie-Claire", "Kwame",
)  # fmt: skip
FAMILY_NAMES = (
    "Joyce", "Manzer", "Mendonça", "Smith", "Zhang", "Tanaka", "Adeyemi", "Müller", "Kowalski",
    "Núñez", "Sharma", "Hassan", "Li", "Petrova", "Björk", "Dubois", "Mensah", "García",
    "O'Brien", "van der Berg", "da Silva",
)  # fmt: skip
JAPANESE_GIVEN = ("太郎", "花子", "健一", "美穂")
JAPANESE_FAMILY = ("山田", "佐藤", "鈴木", "高橋")
ORGANISATIONS = (
    "OBIS-SEAMAP Consortium",
    "The Tara Oceans Consortium",
    "Human Microbiome Project Consortium",
    "Gulf of Mexico Marine Assessment Program",
)
_ADJECTIVES = (
    "Long-term", "Spatial", "Genomic", "Comparative", "Quantitative", "Seasonal",
    "High-resolution", "Open", "Rapid", "Multi-scale",
)  # fmt: skip
_NOUNS = ("analysis", "patterns", "dynamics", "assessment", "survey", "variation", "mapping")
_SUBJECTS = (
    "citation networks", "sea turtle migration", "soil microbial communities", "gene regulation",
    "coral bleaching", "metadata quality", "seabird foraging", "protein folding",
    "urban heat islands", "open access uptake",
)  # fmt: skip
_PLACES = (
    "the Gulf of Mexico", "European universities", "tropical forests", "the North Atlantic",
    "laboratory mice", "sub-Saharan Africa", "Arctic lakes", "clinical trials",
)  # fmt: skip
_ORGANISMS = (
    "Escherichia coli",
    "Danio rerio",
    "Caretta caretta",
    "Arabidopsis thaliana",
    "Plasmodium falciparum",
)
_ITALIAN_TITLES = (
    "L'impatto della PAC sulle aziende agricole italiane",
    "Filiere corte e sostenibilità: un'analisi empirica",
    "Prezzi agricoli e volatilità nei mercati europei",
    "Cooperazione e innovazione nel settore vitivinicolo",
)
_JAPANESE_TITLES = (
    "日本における近代地図の発達",
    "明治期の測量事業と地形図",
    "国立国会図書館所蔵資料の研究",
    "江戸時代の農村と水利",
)


def make_title(rng: random.Random, agency: str) -> str:
    """A plausible title as the registry holds it: plain, or with an italic organism name."""
    if agency == "mEDRA":
        return rng.choice(_ITALIAN_TITLES)
    if agency == "JaLC":
        return rng.choice(_JAPANESE_TITLES)
    head = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} of"
    if rng.random() < 0.2:
        return f"{head} <i>{rng.choice(_ORGANISMS)}</i> in {rng.choice(_PLACES)}"
    return f"{head} {rng.choice(_SUBJECTS)} in {rng.choice(_PLACES)}"


def make_orcid(rng: random.Random) -> str:
    """An ORCID iD URL with a valid ISO 7064 MOD 11-2 check character."""
    digits = f"0000000{rng.randint(1, 3)}{rng.randrange(10**7):07d}"
    total = 0
    for digit in digits:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    code = digits + ("X" if check == 10 else str(check))
    return "https://orcid.org/" + "-".join(code[i : i + 4] for i in range(0, 16, 4))

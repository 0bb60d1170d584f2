"""The corpus the stand-in serves and the identifier lists the scenarios send.

The corpus is made once (deterministic, `make_corpus`) and written to a file the stand-in loads, so
the benchmark knows the truth for every DOI it sends: its agency, or that it exists nowhere.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from cco_enrich.identifiers import InvalidIdentifier, parse_identifier
from tests.standin import Corpus, make_corpus

SEED = 20261122
CROSSREF_PREFIXES = 10

_INVALID_SHAPES = (
    "PMID: n{n}",  # a PMID is digits
    "ISBN 978-3-{n}-1",  # a bad check digit
    "arXiv:21.{n}",  # no arXiv id has a two-digit year-month
    "10.12/{n}",  # a prefix needs four digits or more
    "doi {n}",
    "see ref. {n}",
    "10.{n}",
    "hdl: {n}",  # a Handle needs a prefix and a suffix
)


@dataclass(frozen=True, slots=True)
class MixedCounts:
    """How a mixed list is made up."""

    crossref: int
    datacite: int
    other: int
    not_found: int
    invalid: int

    @classmethod
    def scaled(cls, total: int) -> MixedCounts:
        """700 / 150 / 50 / 50 / 50 per 1,000."""
        crossref, datacite, rest = total * 70 // 100, total * 15 // 100, total * 5 // 100
        return cls(crossref, datacite, rest, rest, total - crossref - datacite - 2 * rest)

    @property
    def total(self) -> int:
        return self.crossref + self.datacite + self.other + self.not_found + self.invalid

    def describe(self) -> str:
        return (
            f"{self.crossref} Crossref, {self.datacite} DataCite, {self.other} other agency "
            f"(mEDRA/JaLC), {self.not_found} not found, {self.invalid} invalid strings"
        )


def build_corpus(n_crossref: int, mixed: MixedCounts | None) -> Corpus:
    """A corpus with `n_crossref` Crossref works, plus what the mixed list needs."""
    extra = mixed or MixedCounts(0, 0, 0, 0, 0)
    return make_corpus(
        n_crossref,
        extra.datacite,
        extra.other,
        extra.not_found,
        seed=SEED,
        n_prefixes=CROSSREF_PREFIXES,
    )


def write_corpus(corpus: Corpus, path: Path) -> Path:
    path.write_text(corpus.to_json(), encoding="utf-8")
    return path


def crossref_sets(corpus: Corpus, size: int, count: int) -> list[list[str]]:
    """`count` disjoint lists of `size` Crossref DOIs (the first holds the corpus's hard cases)."""
    dois = [work.doi for work in corpus.works_of("crossref")]
    if len(dois) < size * count:
        raise ValueError(f"the corpus has {len(dois)} Crossref works; {size * count} are needed")
    return [dois[i * size : (i + 1) * size] for i in range(count)]


def invalid_strings(count: int) -> list[str]:
    """Strings people paste that are no identifier of any scheme we read (so `invalid`)."""
    out = [_INVALID_SHAPES[i % len(_INVALID_SHAPES)].format(n=1000 + i) for i in range(count)]
    for text in out:
        parsed = parse_identifier(text)
        if not isinstance(parsed, InvalidIdentifier):
            raise AssertionError(f"{text!r} is a {parsed.scheme}, not invalid; fix bench/inputs.py")
    return out


def mixed_list(corpus: Corpus, counts: MixedCounts, crossref: list[str]) -> list[str]:
    """A shuffled mixed list: Crossref DOIs from `crossref`, the rest from the corpus."""
    others = [w.doi for w in corpus.works.values() if w.registry in ("medra", "jalc")]
    parts = [
        crossref[: counts.crossref],
        [w.doi for w in corpus.works_of("datacite")][: counts.datacite],
        others[: counts.other],
        corpus.missing[: counts.not_found],
        invalid_strings(counts.invalid),
    ]
    for part, want in zip(parts, _wanted(counts), strict=True):
        if len(part) < want:
            raise ValueError(f"the corpus lacks works for the mixed list: {counts.describe()}")
    identifiers = [item for part in parts for item in part]
    random.Random(SEED).shuffle(identifiers)
    return identifiers


def _wanted(counts: MixedCounts) -> tuple[int, ...]:
    return (counts.crossref, counts.datacite, counts.other, counts.not_found, counts.invalid)


def truth_of(corpus: Corpus) -> dict[str, str]:
    """Registry of every corpus DOI ("crossref", "datacite", "medra", "jalc") or "missing"."""
    truth = {doi: work.registry for doi, work in corpus.works.items()}
    truth.update(dict.fromkeys(corpus.missing, "missing"))
    return truth

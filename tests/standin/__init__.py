"""A stand-in for Crossref, DataCite and doi.org, built from recorded responses, for tests.

    async with StandinServer(make_corpus(200, 50, 5, 20), Policy()) as server:
        settings = Settings(crossref_url=server.crossref_url, datacite_url=server.datacite_url, ...)

Run it as a process with `python -m tests.standin --port 0` (prints `READY <port>`).
"""

from __future__ import annotations

from .app import StandinState, create_standin_app
from .corpus import Corpus, TruthWork, make_corpus
from .limits import FaultKind, Policy, PoolLimit
from .server import StandinServer
from .stats import Stats

__all__ = [
    "Corpus",
    "FaultKind",
    "Policy",
    "PoolLimit",
    "StandinServer",
    "StandinState",
    "Stats",
    "TruthWork",
    "create_standin_app",
    "make_corpus",
]

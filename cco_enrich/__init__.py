"""cco_enrich: fills a hollow Complex Citation Object with Crossref, DataCite and doi.org metadata."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from cco_enrich.worker import WorkerSettings

__all__ = ["WorkerSettings", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy, so that importing cco_enrich (say, for the CLI) does not import arq and the worker.
    if name == "WorkerSettings":
        from cco_enrich.worker import WorkerSettings

        return WorkerSettings
    raise AttributeError(f"module 'cco_enrich' has no attribute {name!r}")

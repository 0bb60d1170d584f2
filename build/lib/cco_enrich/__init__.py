"""cco_enrich: fills a hollow Complex Citation Object with Crossref, DataCite, doi.org metadata."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cco_enrich._version import __version__

if TYPE_CHECKING:
    from cco_enrich.worker import WorkerSettings

__all__ = ["WorkerSettings", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy, so that importing cco_enrich (say, for the CLI) does not import arq and the worker.
    if name == "WorkerSettings":
        from cco_enrich.worker import WorkerSettings

        return WorkerSettings
    msg = f"module 'cco_enrich' has no attribute {name!r}"
    raise AttributeError(msg)

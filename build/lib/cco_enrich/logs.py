"""configure_logging(): the only place that touches log handlers. Called by entry points only."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)-5s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """One short line per event on stderr, for our loggers (and arq's, unless arq set its own)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT, datefmt="%H:%M:%S"))
    for name in ("cco_enrich", "arq"):
        logger = logging.getLogger(name)
        if name == "arq" and logger.handlers:
            continue  # `arq WorkerSettings` configured it already: one line per event, not two
        logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

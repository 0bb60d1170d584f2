"""configure_logging(): the only place that touches log handlers. Called by entry points only."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    """One short line per event on stderr: time, level, logger, message."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-5s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

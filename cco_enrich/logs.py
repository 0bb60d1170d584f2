"""Log output: configure_logging() (the only place that touches handlers), log_context(), JSON.

Entry points call `configure_logging(level, fmt)` once; everything else logs through
`logging.getLogger(__name__)`. `CCO_LOG_FORMAT=json` gives one JSON object a line with `timestamp`,
`level`, `logger`, `message` and, where they apply, `session_id`, `job_id`, `worker_id` and `pool`,
taken from `log_context(...)` (a contextvar, so it follows asyncio tasks) or a call's `extra=`.
Credentials in URLs, bearer tokens and the secrets given to configure_logging() never reach a line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["text", "json"]

TEXT_FORMAT = "%(asctime)s %(levelname)-5s %(name)s: %(message)s"
CONTEXT_FIELDS = ("session_id", "job_id", "worker_id", "pool")
# Cron jobs that run every few seconds and usually find nothing: arq's start/finish lines for them
# are DEBUG, not INFO. A job that does find something logs its own line (the sweeper warns).
QUIET_CRON_JOBS = frozenset({"cron:sweep_sessions"})
REDACTED = "***"

# A tuple of pairs, not a dict: a ContextVar default must not be mutable.
_context: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("cco_log_context", default=())
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]*):[^/\s@]+@", re.IGNORECASE)
_BEARER = re.compile(r"(?P<head>\bBearer\s+)[^\s\"',]+", re.IGNORECASE)


@contextlib.contextmanager
def log_context(
    *,
    session_id: str | None = None,
    job_id: str | None = None,
    worker_id: str | None = None,
    pool: str | None = None,
) -> Iterator[None]:
    """Every line logged inside the block (and in tasks it starts) carries these fields."""
    given = {"session_id": session_id, "job_id": job_id, "worker_id": worker_id, "pool": pool}
    merged = {**dict(_context.get()), **{k: v for k, v in given.items() if v is not None}}
    token = _context.set(tuple(merged.items()))
    try:
        yield
    finally:
        _context.reset(token)


def current_log_context() -> dict[str, str]:
    """The fields log_context() has bound here (for tests and for passing to a thread)."""
    return dict(_context.get())


class Redactor:
    """Masks URL passwords, bearer tokens and known secret values in a line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is masked whole; very short values
        # would mask ordinary words, and nobody uses a 3-character secret.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        text = _URL_PASSWORD.sub(rf"\g<head>:{REDACTED}@", text)
        text = _BEARER.sub(rf"\g<head>{REDACTED}", text)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


class ContextFilter(logging.Filter):
    """Copies log_context() fields onto each record (a call's own `extra=` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


class HousekeepingFilter(logging.Filter):
    """Demotes arq's lines about quiet cron jobs and its periodic health record to DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not _is_housekeeping(record):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _is_housekeeping(record: logging.LogRecord) -> bool:
    if isinstance(record.msg, str) and record.msg.startswith("recording health"):
        return True
    args = record.args if isinstance(record.args, tuple) else ()
    return any(isinstance(arg, str) and arg in QUIET_CRON_JOBS for arg in args)


class TextFormatter(logging.Formatter):
    """One short line per event, for a person reading a terminal; secrets masked."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT, datefmt="%H:%M:%S")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for a log shipper; secrets masked."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage().strip()),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = self.redact(str(value))
        if record.exc_info:
            line["exception"] = self.redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def build_handler(fmt: LogFormat = "text", secrets: Iterable[str] = ()) -> logging.Handler:
    """A stderr handler with our formatter and the context filter."""
    redact = Redactor(secrets)
    handler = logging.StreamHandler()
    formatter = JsonFormatter(redact) if fmt == "json" else TextFormatter(redact)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    return handler


def configure_logging(
    level: str = "INFO", fmt: LogFormat = "text", *, secrets: Iterable[str] = ()
) -> None:
    """Our loggers and arq's (and uvicorn's, when it runs us) write through one handler."""
    handler = build_handler(fmt, secrets)
    # arq's CLI sets its own handler on "arq"; replacing it (not adding ours) keeps one line per
    # event, in one format, masked.
    for name in ("cco_enrich", "arq"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    for name in ("uvicorn", "uvicorn.access"):
        logger = logging.getLogger(name)
        if logger.handlers:  # only when uvicorn runs us and has set up its own
            logger.handlers = [handler]
    worker_logger = logging.getLogger("arq.worker")
    if not any(isinstance(f, HousekeepingFilter) for f in worker_logger.filters):
        worker_logger.addFilter(HousekeepingFilter())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

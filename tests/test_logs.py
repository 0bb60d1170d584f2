"""Log lines as an operator reads them: JSON fields, context, masked secrets, quiet housekeeping."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from cco_enrich.logs import (
    QUIET_CRON_JOBS,
    build_handler,
    configure_logging,
    current_log_context,
    log_context,
)
from cco_enrich.settings import Settings
from cco_enrich.worker import WorkerSettings

SECRET = "s3cret-token-value"
Lines = tuple[logging.Logger, io.StringIO]


@pytest.fixture
def lines() -> Iterator[Lines]:
    """A private logger writing JSON through our handler into a buffer."""
    handler = build_handler("json", secrets=[SECRET])
    buffer = io.StringIO()
    handler.setStream(buffer)  # type: ignore[attr-defined]
    logger = logging.getLogger("cco_enrich.tests.logs")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.DEBUG)
    try:
        yield logger, buffer
    finally:
        logger.handlers = []


@pytest.fixture
def restore_loggers() -> Iterator[None]:
    """configure_logging() changes process-wide loggers; put them back afterwards."""
    names = ("cco_enrich", "arq", "arq.worker")
    loggers = [logging.getLogger(name) for name in names]
    saved = {lg.name: (lg.handlers[:], lg.level, lg.propagate, lg.filters[:]) for lg in loggers}
    try:
        yield
    finally:
        for name, (handlers, level, propagate, filters) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers, logger.propagate, logger.filters = handlers, propagate, filters
            logger.setLevel(level)


def _read(buffer: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_json_line_has_the_fields_a_log_shipper_indexes(lines: Lines) -> None:
    logger, buffer = lines
    logger.info("session %s: %d/%d done", "abc", 5, 10)
    [line] = _read(buffer)
    assert line["message"] == "session abc: 5/10 done"
    assert line["level"] == "INFO"
    assert line["logger"] == "cco_enrich.tests.logs"
    assert line["timestamp"].endswith("+00:00")
    assert "session_id" not in line  # only where it applies


def test_log_context_binds_fields_and_unbinds_them_after(lines: Lines) -> None:
    logger, buffer = lines
    with log_context(session_id="S1", worker_id="W1"):
        with log_context(job_id="J1", pool="crossref-list"):
            logger.info("batch done")
        logger.info("session done")
    logger.info("idle")
    inner, outer, after = _read(buffer)
    assert {k: inner[k] for k in ("session_id", "job_id", "worker_id", "pool")} == {
        "session_id": "S1",
        "job_id": "J1",
        "worker_id": "W1",
        "pool": "crossref-list",
    }
    assert (outer["session_id"], "job_id" in outer) == ("S1", False)
    assert "session_id" not in after
    assert current_log_context() == {}


async def test_log_context_follows_tasks_started_inside(lines: Lines) -> None:
    logger, buffer = lines

    async def batch() -> None:
        logger.info("inside a task")

    with log_context(session_id="S2"):
        await asyncio.create_task(batch())
    [line] = _read(buffer)
    assert line["session_id"] == "S2"


def test_a_calls_own_extra_wins_over_the_context(lines: Lines) -> None:
    logger, buffer = lines
    with log_context(pool="datacite"):
        logger.info("one request", extra={"pool": "crossref-single"})
    assert _read(buffer)[0]["pool"] == "crossref-single"


@pytest.mark.parametrize(
    ("message", "hidden"),
    [
        ("connecting to redis://:hunter2@cache.local:6379/0", "hunter2"),
        ("connecting to rediss://admin:pa55word@cache.local/1", "pa55word"),
        ("sent Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
        (f"the token is {SECRET}", SECRET),
    ],
)
def test_secrets_never_reach_a_line(lines: tuple, message: str, hidden: str) -> None:
    logger, buffer = lines
    logger.warning(message)
    [line] = _read(buffer)
    assert hidden not in line["message"]
    assert "***" in line["message"]


def test_secrets_in_a_traceback_are_masked_too(lines: Lines) -> None:
    logger, buffer = lines
    try:
        raise ConnectionError(f"AUTH failed for {SECRET}")
    except ConnectionError:
        logger.exception("Redis refused us")
    [line] = _read(buffer)
    assert "ConnectionError" in line["exception"]
    assert SECRET not in buffer.getvalue()


def test_text_format_masks_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    handler = build_handler("text", secrets=[SECRET])
    record = logging.LogRecord("cco_enrich.x", logging.INFO, __file__, 1, "got %s", (SECRET,), None)
    handler.handle(record)
    err = capsys.readouterr().err
    assert "INFO  cco_enrich.x: got ***" in err
    assert SECRET not in err


def _arq_record(msg: str, *args: object, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("arq.worker", level, "worker.py", 1, msg, args, None)


def _passes(record: logging.LogRecord) -> bool:
    return logging.getLogger("arq.worker").filter(record) is not False


@pytest.mark.usefixtures("restore_loggers")
def test_the_sweepers_arq_lines_are_not_info() -> None:
    configure_logging("INFO")
    assert not _passes(_arq_record("%6.2fs → %s(%s)%s", 0.01, "cron:sweep_sessions", "", ""))
    assert not _passes(_arq_record("%6.2fs ← %s ● %s", 0.0, "cron:sweep_sessions", "0"))
    assert not _passes(_arq_record("recording health: %s", "j_complete=3 j_failed=0"))


@pytest.mark.usefixtures("restore_loggers")
def test_session_jobs_and_trouble_still_log_at_info() -> None:
    configure_logging("INFO")
    assert _passes(_arq_record("%6.2fs → %s(%s)%s", 0.01, "abc:enrich_cco_metadata", "'S1'", ""))
    assert _passes(_arq_record("%6.2fs ← %s ● %s", 2.5, "abc:enrich_cco_metadata", "{}"))
    crashed = _arq_record("%6.2fs ! %s failed", 0.1, "cron:sweep_sessions", level=logging.ERROR)
    assert _passes(crashed)
    assert crashed.levelname == "ERROR"


@pytest.mark.usefixtures("restore_loggers")
def test_debug_level_shows_housekeeping_as_debug() -> None:
    configure_logging("DEBUG")
    record = _arq_record("%6.2fs ← %s ● %s", 0.0, "cron:sweep_sessions", "0")
    assert _passes(record)
    assert record.levelname == "DEBUG"


@pytest.mark.usefixtures("restore_loggers")
def test_configure_logging_twice_keeps_one_handler_and_one_filter() -> None:
    configure_logging("INFO", "json")
    configure_logging("INFO", "json")
    assert len(logging.getLogger("cco_enrich").handlers) == 1
    assert len(logging.getLogger("arq").handlers) == 1
    assert len(logging.getLogger("arq.worker").filters) == 1


def test_every_cron_job_of_the_worker_is_quiet() -> None:
    """A cron job added (or the sweeper made one again) must not bring its lines back at INFO."""
    names = {job.name for job in getattr(WorkerSettings, "cron_jobs", None) or ()}
    assert names <= QUIET_CRON_JOBS


def test_log_format_setting_takes_text_or_json() -> None:
    assert Settings(log_format="json").log_format == "json"
    assert Settings().log_format == "text"
    with pytest.raises(ValidationError, match="log_format"):
        Settings(log_format="xml")  # type: ignore[arg-type]


def test_settings_name_every_secret_they_hold() -> None:
    settings = Settings(
        redis_url="redis://:redispw@127.0.0.1:6379/0",
        admin_token="admin-tok",  # type: ignore[arg-type]
        webhook_secret="hook-key",  # type: ignore[arg-type]
    )
    assert sorted(settings.secret_values()) == ["admin-tok", "hook-key", "redispw"]
    assert Settings(redis_url="redis://127.0.0.1:6379/0").secret_values() == []

"""Fixtures of the fault suite: a whole service per test, long variants, measured results.

`faults_long` tests run only when asked for: `CCO_FAULTS_FULL=1`, or `-m` naming `faults_long`.
Otherwise they are deselected (not skipped), so `scripts/test` runs the short variant.
Each test reports what it measured; the summary at the end lists it all, and
`CCO_FAULTS_REPORT=path.json` writes it to a file (docs/reliability.md quotes it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RedisServer
from tests.stack import Stack

MEASURED = pytest.StashKey[list[dict[str, Any]]]()
FAILED = pytest.StashKey[bool]()

Report = Callable[..., None]


def _wants_long(config: pytest.Config) -> bool:
    return bool(os.environ.get("CCO_FAULTS_FULL")) or "faults_long" in (
        config.getoption("markexpr") or ""
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _wants_long(config):
        return
    long = [item for item in items if item.get_closest_marker("faults_long")]
    if long:
        config.hook.pytest_deselected(items=long)
        items[:] = [item for item in items if not item.get_closest_marker("faults_long")]


def pytest_configure(config: pytest.Config) -> None:
    config.stash[MEASURED] = []


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    measured = config.stash.get(MEASURED, [])
    if not measured:
        return
    terminalreporter.section("fault suite: measured")
    for entry in measured:
        terminalreporter.line(json.dumps(entry))
    target = os.environ.get("CCO_FAULTS_REPORT")
    if target:
        Path(target).write_text(json.dumps(measured, indent=2) + "\n")


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Report:
    """`report(key=value, ...)`: record what this test measured, under the test's id."""

    def add(**values: Any) -> None:
        entry = {"test": request.node.nodeid.split("::", 1)[-1], **values}
        request.config.stash[MEASURED].append(entry)
        print(json.dumps(entry))

    return add


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture
def stack(
    tmp_path: Path, redis_server: RedisServer, request: pytest.FixtureRequest
) -> Iterator[Stack]:
    """The service as processes on a private Redis; every log printed if the test fails."""
    stack = Stack(directory=tmp_path, redis_url=redis_server.url)
    try:
        yield stack
    finally:
        if request.node.stash.get(FAILED, False):
            print(stack.logs())
        stack.stop()

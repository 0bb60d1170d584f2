"""The cco-enrich command, run as a process against the stand-in registries."""

from __future__ import annotations

import csv
import io
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RedisServer
from tests.stack import BIN, Stack

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def standin_stack(tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(directory=tmp_path, redis_url="redis://127.0.0.1:1/0")
    stack.start_standin("--crossref", "20", "--datacite", "5", "--other", "2", "--missing", "3")
    try:
        yield stack
    finally:
        stack.stop()


def _dois(stack: Stack) -> list[str]:
    return [w["doi"] for w in stack.corpus["works"]][:12]


def _cli(stack: Stack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "cco-enrich"), *args],
        env={**stack.env, "CCO_RETRY_WAIT_INITIAL_S": "0", **env},
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_enrich_file_writes_the_export_and_exits_0(standin_stack: Stack, tmp_path: Path) -> None:
    source = tmp_path / "list.txt"
    source.write_text("\n".join([*_dois(standin_stack), "not-a-doi"]) + "\n")
    out = tmp_path / "cco.csv"
    done = _cli(standin_stack, "enrich", str(source), "-o", str(out), "--format", "csv", "--quiet")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 13
    assert [r["status"] for r in rows].count("enriched") == 12
    assert "12 enriched" in done.stderr
    assert "1 invalid" in done.stderr


def test_enrich_file_exits_1_when_a_doi_failed(standin_stack: Stack, tmp_path: Path) -> None:
    source = tmp_path / "list.txt"
    source.write_text("\n".join(_dois(standin_stack)) + "\n")
    status, _ = standin_stack.request(
        "POST",
        f"{standin_stack.standin}/_standin/faults",
        {"pool": "*", "kind": "503", "count": 1000},
    )
    assert status == 200
    done = _cli(
        standin_stack,
        "enrich",
        str(source),
        "--format",
        "bibtex",
        "--quiet",
        "--include-all",
        CCO_RETRY_ATTEMPTS="2",
    )
    assert done.returncode == 1
    assert "failed:" in done.stderr
    assert "503" in done.stderr
    assert done.stdout.count("@") == 12  # --include-all: every resource still in the export


def test_enrich_file_refuses_a_missing_file_with_exit_2(
    standin_stack: Stack, tmp_path: Path
) -> None:
    done = _cli(standin_stack, "enrich", str(tmp_path / "nope.txt"))
    assert done.returncode == 2
    assert "nope.txt" in done.stderr


@pytest.mark.redis
def test_ping_goes_through_a_worker(redis_server: RedisServer, tmp_path: Path) -> None:
    stack = Stack(directory=tmp_path, redis_url=redis_server.url)
    stack.start_standin("--crossref", "1")
    stack.start_worker()
    try:
        done = _cli(stack, "ping", "--timeout", "20")
        assert done.returncode == 0, done.stderr + stack.logs()
        assert done.stdout.startswith("pong")
    finally:
        stack.stop()


def test_ping_without_a_worker_says_so(tmp_path: Path, redis_server: RedisServer) -> None:
    stack = Stack(directory=tmp_path, redis_url=redis_server.url)
    done = _cli(stack, "ping", "--timeout", "1")
    assert done.returncode == 1
    assert "no worker answered" in done.stderr


def test_serve_runs_api_worker_and_its_own_redis(tmp_path: Path) -> None:
    """One command, nothing else running: a private redis-server, the API and a worker."""
    from tests.conftest import free_port, require_redis_server

    require_redis_server()
    stack = Stack(directory=tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    stack.start_standin("--crossref", "10", "--datacite", "0", "--other", "0", "--missing", "0")
    stack.extra_env["XDG_DATA_HOME"] = str(tmp_path / "data")
    stack.api_port = free_port()
    serve = stack.spawn("serve", [str(BIN / "cco-enrich"), "serve", "--port", str(stack.api_port)])
    try:
        deadline = time.monotonic() + 30
        while not _up(stack) or stack.request("GET", f"{stack.api}/healthz")[0] != 200:
            assert time.monotonic() < deadline, stack.logs()
            time.sleep(0.1)
        works = stack.request("GET", f"{stack.standin}/_standin/corpus")[1]["works"]
        status, created = stack.request(
            "POST",
            f"{stack.api}/api/sessions?enrich=true",
            {"identifiers": [w["doi"] for w in works]},
        )
        assert status == 201
        url = f"{stack.api}/api/sessions/{created['id']}/status"
        while stack.request("GET", url)[1]["status"] != "completed":
            assert time.monotonic() < deadline, stack.logs()
            time.sleep(0.1)
        assert (tmp_path / "data" / "cco_enrich").is_dir()  # where its Redis keeps the data
    finally:
        serve.send_signal(signal.SIGINT)
        assert serve.wait(20) == 0, stack.logs()
        stack.stop()


def _up(stack: Stack) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", stack.api_port), 0.2):
            return True
    except OSError:
        return False


def test_enrich_file_resolves_every_scheme_the_service_does(
    standin_stack: Stack, tmp_path: Path
) -> None:
    """PMIDs, ISBNs and landing pages too, against the stand-in's recorded answers."""
    page = f"{standin_stack.standin}/landing/data.example.org/dataset/3300"
    source = tmp_path / "list.txt"
    source.write_text(
        "\n".join([_dois(standin_stack)[0], "PMID: 27933103", "ISBN 0451526538", "PMID: 1", page])
    )
    out = tmp_path / "cco.csv"
    done = _cli(
        standin_stack, "enrich", str(source), "-o", str(out), "--format", "csv", "--quiet",
        CCO_OUTBOUND_ALLOW_PRIVATE="true",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = {r["identifier"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert [rows[i]["status"] for i in rows] == ["enriched"] * 3 + ["not_found", "enriched"]
    assert rows["PMID: 27933103"]["title"].startswith("Programmatic conversion of crystal")
    assert rows["ISBN 0451526538"]["title"] == "The adventures of Tom Sawyer"
    assert rows[page]["title"].startswith("Removal of organic carbon")
    assert "4 enriched, 1 not_found" in done.stderr

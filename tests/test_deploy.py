"""The container files, checked statically (no Docker engine here) and against the entry points."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run scripts/bootstrap")
    return path


def test_dockerfile_passes_hadolint() -> None:
    done = subprocess.run(
        [_tool("hadolint"), str(ROOT / "docker" / "Dockerfile")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_file_follows_the_compose_spec() -> None:
    done = subprocess.run(
        [
            _tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def _dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), split at each FROM."""
    text = (ROOT / "docker" / "Dockerfile").read_text().replace("\\\n", " ")
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("FROM "):
            stages.append([])
        if line and not line.startswith("#") and stages:
            stages[-1].append(line)
    return stages


def test_compose_runs_the_contract_entry_points() -> None:
    """The containers run the same commands the end-to-end tests run natively."""
    services = _compose()["services"]
    assert services["worker"]["command"] == ["arq", "cco_enrich.WorkerSettings"]
    assert services["api"]["command"][:2] == ["uvicorn", "cco_enrich.api:app"]
    assert services["redis"]["command"][:3] == ["redis-server", "--appendonly", "yes"]
    for name in ("api", "worker"):
        assert services[name]["environment"]["CCO_REDIS_URL"] == "redis://redis:6379/0"


def test_the_image_build_step_packs_the_web_page(tmp_path: Path) -> None:
    """The Dockerfile builds a wheel; the page's static files and the CLI must be in it."""
    import zipfile

    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    [wheel] = tmp_path.glob("cco_enrich-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for asset in ("index.html", "app.js", "style.css", "admin.html", "admin.js"):
        assert f"cco_enrich/static/{asset}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "cco-enrich = cco_enrich.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_image_builds_from_the_lock_in_two_stages() -> None:
    """The builder installs the hashed runtime lock; the final stage only copies its venv."""
    build, final = _dockerfile_stages()
    build_steps = " ".join(build)
    assert "--require-hashes --no-deps -r requirements/runtime.txt" in build_steps
    assert "--require-hashes -r requirements/build.txt" in build_steps
    assert "--no-build-isolation" in build_steps  # our wheel is built from the locked backend
    assert "COPY --from=build /opt/venv /opt/venv" in final
    assert not any(step.startswith("RUN") and "pip install" in step for step in final)


def test_the_final_image_is_pinned_slim_and_not_root() -> None:
    build, final = _dockerfile_stages()
    version = r"python:3\.11\.\d+"
    assert re.fullmatch(rf"FROM {version}-bookworm AS build", build[0]), build[0]
    assert re.fullmatch(rf"FROM {version}-slim-bookworm", final[0]), final[0]
    assert build[0].split()[1].removesuffix("-bookworm") == final[0].split()[1].removesuffix(
        "-slim-bookworm"
    ), "both stages must use the same Python, or the copied venv breaks"
    user = next(step for step in final if step.startswith("USER "))
    assert user.split()[1] not in ("0", "root")
    assert not any(re.search(r"apt-get install|gcc|build-essential", step) for step in final)


def test_the_image_healthcheck_asks_readyz() -> None:
    [healthcheck] = [s for s in _dockerfile_stages()[-1] if s.startswith("HEALTHCHECK")]
    assert "http://127.0.0.1:8000/readyz" in healthcheck


def test_compose_keeps_redis_private_and_durable() -> None:
    redis = _compose()["services"]["redis"]
    assert "ports" not in redis, "Redis must not be published to the host"
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+-alpine", redis["image"])


def test_compose_api_is_healthy_only_when_ready() -> None:
    api = _compose()["services"]["api"]
    assert any("/readyz" in part for part in api["healthcheck"]["test"])
    assert api["stop_grace_period"]


def test_compose_gives_workers_time_to_hand_back_their_session() -> None:
    worker = _compose()["services"]["worker"]
    assert worker["stop_grace_period"] == "30s"
    assert worker["healthcheck"]["test"] == ["CMD", "arq", "--check", "cco_enrich.WorkerSettings"]


def test_compose_reads_the_env_file_when_there_is_one() -> None:
    services = _compose()["services"]
    for name in ("api", "worker"):
        assert services[name]["env_file"] == [{"path": ".env", "required": False}]


def test_monitoring_runs_only_in_its_profile_with_pinned_images() -> None:
    services = _compose()["services"]
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"]
        assert re.search(r":v?\d+\.\d+\.\d+$", services[name]["image"]), services[name]["image"]
    for name in ("redis", "api", "worker"):
        assert "profiles" not in services[name]
    for name in ("prometheus", "grafana"):
        for port in services[name]["ports"]:
            assert port.startswith("127.0.0.1:"), f"{name} is published beyond this host: {port}"


def test_the_build_context_holds_what_the_dockerfile_copies_and_nothing_else() -> None:
    """.dockerignore admits exactly the COPY sources: no .venv or .git sent to the engine."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules[0] == "*"
    admitted = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    copied = {
        source.rstrip("/").removeprefix("./")
        for stage in _dockerfile_stages()
        for step in stage
        if step.startswith("COPY ") and "--from=" not in step
        for source in step.split()[1:-1]
    }
    assert copied == admitted

"""The container files, checked statically (no Docker engine here) and against the entry points."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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


def test_compose_runs_the_contract_entry_points() -> None:
    """The containers run the same commands the end-to-end tests run natively."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
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

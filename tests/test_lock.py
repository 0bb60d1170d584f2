"""The lock (requirements/*.txt) pins, with hashes, everything pyproject.toml asks for."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _pins(lock: str) -> dict[str, Version]:
    """Package -> pinned version; fails on a requirement without a hash."""
    pins: dict[str, Version] = {}
    entries = re.split(r"\n(?=\S)", (LOCKS / lock).read_text())
    for entry in entries:
        if not entry.strip() or entry.startswith("#"):
            continue
        match = PIN.match(entry)
        assert match, f"{lock}: not pinned with ==: {entry.splitlines()[0]}"
        assert "--hash=sha256:" in entry, f"{lock}: {match[1]} has no hash"
        pins[canonicalize_name(match[1])] = Version(match[2])
    return pins


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _unpinned(requirements: list[str], pins: dict[str, Version]) -> list[str]:
    """Requirements the pins miss or pin outside their range."""
    wrong = []
    for line in requirements:
        req = Requirement(line)
        version = pins.get(canonicalize_name(req.name))
        if version is None or not req.specifier.contains(version, prereleases=True):
            wrong.append(f"{line} (locked: {version})")
    return wrong


@pytest.mark.parametrize("lock", ["runtime.txt", "dev.txt", "build.txt"])
def test_every_locked_package_is_pinned_with_hashes(lock: str) -> None:
    assert _pins(lock)


def test_runtime_lock_covers_the_project_dependencies() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    wrong = _unpinned(project["dependencies"], _pins("runtime.txt"))
    assert not wrong, f"run scripts/lock: {wrong}"


def test_dev_lock_covers_the_dev_and_bench_groups_at_the_runtime_pins() -> None:
    groups = _pyproject()["dependency-groups"]
    assert isinstance(groups, dict)
    dev, runtime = _pins("dev.txt"), _pins("runtime.txt")
    wrong = _unpinned([*groups["dev"], *groups["bench"]], dev)
    assert not wrong, f"run scripts/lock: {wrong}"
    assert {name: dev.get(name) for name in runtime} == runtime


def test_build_lock_covers_the_build_backend() -> None:
    build_system = _pyproject()["build-system"]
    assert isinstance(build_system, dict)
    wrong = _unpinned(build_system["requires"], _pins("build.txt"))
    assert not wrong, f"run scripts/lock: {wrong}"


def test_installs_check_the_hashes() -> None:
    """bootstrap (so CI) and the image install from the lock, never from open ranges."""
    bootstrap = (ROOT / "scripts" / "bootstrap").read_text()
    assert '--require-hashes -r "requirements/$mode.txt" -r requirements/build.txt' in bootstrap
    assert "--no-deps --no-build-isolation -e ." in bootstrap
    assert "--group" not in bootstrap
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert "--require-hashes --no-deps -r requirements/runtime.txt" in dockerfile

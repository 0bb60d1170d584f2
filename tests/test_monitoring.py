"""The operator's files agree with the code: .env.example, Prometheus, the Grafana dashboard."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from cco_enrich.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "docker" / "grafana" / "dashboards" / "cco-enrich.json"
ENV_LINE = re.compile(r"^#?(CCO_[A-Z0-9_]+)=(.*)$")
HISTOGRAM_SERIES = re.compile(r"_(bucket|sum|count)$")
# What an operator must see (issue 12): throughput, 429s, learned limits, queue, session latency.
MUST_SHOW = {
    "cco_resolved_total",
    "cco_upstream_responses_total",
    "cco_pool_rate_limit",
    "cco_pool_in_flight_limit",
    "cco_queue_depth",
    "cco_queue_oldest_age_seconds",
    "cco_session_duration_seconds",
}


def _env_example() -> dict[str, str]:
    listed: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if match := ENV_LINE.match(line):
            name, value = match.groups()
            assert name not in listed, f"{name} is listed twice in .env.example"
            listed[name] = value
    return listed


def _documented_metrics() -> dict[str, str]:
    """Name -> type from docs/deploy.md's table: the contract the dashboard relies on."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    table = text[text.index("| metric | type |") :].split("\n\n", 1)[0]
    return dict(re.findall(r"^\| `(cco_[a-z_]+)` \| (\w+) \|", table, re.MULTILINE))


def _panels() -> list[dict[str, Any]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def _metrics_in(expr: str) -> set[str]:
    return {HISTOGRAM_SERIES.sub("", name) for name in re.findall(r"\bcco_[a-z_]+", expr)}


def test_env_example_lists_every_setting() -> None:
    listed = _env_example()
    missing = {f"CCO_{name.upper()}" for name in Settings.model_fields} - set(listed)
    assert not missing, f"add these to .env.example: {sorted(missing)}"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_env_example_shows_each_settings_default(field: str) -> None:
    """A commented line documents the default; an empty value means unset."""
    value = _env_example()[f"CCO_{field.upper()}"]
    default = Settings.model_fields[field].default
    if value == "":
        assert default is None
        return
    parsed = getattr(Settings.model_validate({field: value}), field)
    if isinstance(parsed, SecretStr):
        parsed = parsed.get_secret_value()
    assert parsed == default


def test_env_example_changes_nothing_as_shipped() -> None:
    """Copied to .env untouched, it sets nothing: every setting line is commented out."""
    for line in (ROOT / ".env.example").read_text().splitlines():
        assert not line.startswith("CCO_"), line


def test_documented_metrics_are_named_like_prometheus_wants() -> None:
    """Counters end in _total, nothing else does; units are spelled out (seconds)."""
    documented = _documented_metrics()
    assert set(documented) >= MUST_SHOW
    for name, kind in documented.items():
        assert kind in ("counter", "gauge", "histogram"), name
        assert re.fullmatch(r"cco_[a-z][a-z0-9_]*", name)
        assert name.endswith("_total") == (kind == "counter"), name
        assert not re.search(r"_(ms|secs?|s)$", name), name


def test_every_dashboard_panel_queries_documented_metrics() -> None:
    documented = set(_documented_metrics())
    for panel in _panels():
        assert panel["targets"], f"panel {panel['title']!r} has no query"
        for target in panel["targets"]:
            used = _metrics_in(target["expr"])
            assert used, f"panel {panel['title']!r} queries no cco_ metric"
            assert used <= documented, f"{panel['title']!r}: {used - documented} not documented"


def test_dashboard_shows_what_an_operator_asks_first() -> None:
    shown = set().union(*(_metrics_in(t["expr"]) for p in _panels() for t in p["targets"]))
    assert shown >= MUST_SHOW


def test_dashboard_uses_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load(
        (ROOT / "docker/grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    [source] = provisioned["datasources"]
    assert source["url"] == "http://prometheus:9090"
    for panel in _panels():
        assert panel["datasource"]["uid"] == source["uid"]
        assert all(t["datasource"]["uid"] == source["uid"] for t in panel["targets"])


def test_grafana_loads_the_dashboard_folder_compose_mounts() -> None:
    grafana = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["grafana"]
    mounts = dict(v.rsplit(":", 1)[0].split(":", 1) for v in grafana["volumes"] if ":ro" in v)
    provider = yaml.safe_load(
        (ROOT / "docker/grafana/provisioning/dashboards/cco-enrich.yml").read_text()
    )["providers"][0]
    assert mounts["./docker/grafana/dashboards"] == provider["options"]["path"]
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{provider['options']['path']}/{DASHBOARD.name}"


def test_prometheus_scrapes_the_api_and_every_worker_port() -> None:
    config = yaml.safe_load((ROOT / "docker/prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert jobs["cco-api"]["static_configs"][0]["targets"] == ["api:8000"]
    assert "8000:8000" in services["api"]["ports"]
    [workers] = jobs["cco-worker"]["dns_sd_configs"]
    assert workers["names"] == ["worker"]
    assert str(workers["port"]) == services["worker"]["environment"]["CCO_WORKER_METRICS_PORT"]
    assert all(job["metrics_path"] == "/metrics" for job in jobs.values())

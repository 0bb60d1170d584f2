"""The curator's web page and its static assets: local only, never writing markup from text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from starlette.testclient import TestClient

from cco_enrich.api import STATIC_DIR


class _AssetCollector(HTMLParser):
    """Every URL a page loads by itself: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src", "iframe": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def _loaded_urls(html: str) -> list[str]:
    collector = _AssetCollector()
    collector.feed(html)
    return collector.urls


def test_index_is_html_with_a_strict_content_security_policy(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "<textarea" in response.text
    assert 'id="start"' in response.text


@pytest.mark.parametrize("path", ["/", "/static/admin.html"])
def test_pages_load_only_local_assets(client: TestClient, path: str) -> None:
    """No CDN: every script, stylesheet and icon comes from this server."""
    urls = _loaded_urls(client.get(path).text)
    assert urls, "the page should load its script and stylesheet"
    assert all(url.startswith("/static/") for url in urls), urls


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("app.js", "text/javascript"),
        ("admin.js", "text/javascript"),
        ("style.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
        ("admin.html", "text/html"),
    ],
)
def test_static_assets_load(client: TestClient, name: str, media_type: str) -> None:
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.content


def test_index_references_assets_that_exist(client: TestClient) -> None:
    for url in _loaded_urls(client.get("/").text):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("name", ["app.js", "admin.js"])
def test_scripts_never_write_markup(name: str) -> None:
    """Upstream text goes in with textContent only; no API that parses a string as HTML."""
    source = (STATIC_DIR / name).read_text(encoding="utf-8")
    code = re.sub(r"^\s*//.*$", "", source, flags=re.MULTILINE)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in code, f"{name} uses {sink}"


def test_scripts_load_nothing_from_other_hosts() -> None:
    for name in ("app.js", "admin.js", "style.css"):
        source = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert not re.search(r"(?:import|url\()\s*['\"]?(?:https?:)?//", source), name

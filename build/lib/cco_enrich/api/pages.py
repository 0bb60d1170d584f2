"""The web page (`/`) and the admin page (`/admin`): static files, no build step, no CDN."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from cco_enrich.api import admin

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


async def index(request: Request) -> Response:
    """The curator's page: paste or upload identifiers, watch progress, download exports."""
    return FileResponse(STATIC_DIR / "index.html", headers=admin.PAGE_HEADERS)


def routes() -> list[BaseRoute]:
    """Routes of the pages: `/`, and `/admin` with its login and JSON API."""
    return [Route("/", index), *admin.routes()]

"""Handle proxy and ARK resolver stand-in: `GET /handle/api/handles/{handle}`, `GET /n2t/ark:...`.

The Handle proxy answers as its REST-API.txt documents: responseCode 1 with the values (HTTP
200), 100 for an unknown Handle (HTTP 404), 200 when no value has the asked `type` (HTTP 200),
102 for a string that is no Handle (HTTP 400). Like the real proxy, it does not decode `%2F`
in the path, and Handles match case-insensitively. The ARK resolver answers a known ARK (in
either spelling, `ark:/12345/x` or `ark:12345/x`) with a 302 to its target, else a 404 page.
Neither service publishes a rate limit; the stand-in allows 10 requests/s, 5 at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson
from aiohttp import web

from .limits import Clock, Policy, PoolLimit
from .services import (
    Call,
    ServiceState,
    TooMany,
    add_control_routes,
    serve,
    service_state,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "handle"
LIMIT = PoolLimit(10, 1.0, 5)  # undocumented upstream
_HTML_404 = "<html><body><h1>404 Not Found</h1><p>{ark} was not found.</p></body></html>"


@dataclass(slots=True)
class HandleStandin:
    """Handles and their values, ARKs and their targets."""

    state: ServiceState
    ark_state: ServiceState
    handles: dict[str, tuple[str, list[dict[str, Any]]]] = field(default_factory=dict)
    arks: dict[str, str] = field(default_factory=dict)

    def add_handle(self, handle: str, values: list[dict[str, Any]]) -> None:
        self.handles[handle.lower()] = (handle, values)

    def add_url(self, handle: str, url: str) -> None:
        """A Handle with one URL value at index 1."""
        value = {"index": 1, "type": "URL", "data": {"format": "string", "value": url},
                 "ttl": 86400, "timestamp": "2020-01-01T00:00:00Z"}  # fmt: skip
        self.add_handle(handle, [value])

    def add_ark(self, ark: str, target: str) -> None:
        self.arks[_ark_key(ark)] = target


HANDLES = web.AppKey("standin_handle", HandleStandin)


def _ark_key(ark: str) -> str:
    label, _, rest = ark.partition(":")
    return f"{label.lower()}:{rest.lstrip('/')}"


def recorded_handles() -> list[tuple[str, list[dict[str, Any]]]]:
    """The Handles of tests/data/handle that exist, with their recorded values."""
    found = []
    for name in (
        "handle_4263537_4000.json",
        "handle_type_url_10.1109_CVPR.2016.90.json",
        "handle_type_url_10273_IECUR0097.json",
        "handle_values_not_found.json",
    ):
        body = json.loads((DATA / name).read_text(encoding="utf-8"))
        found.append((body["handle"], body["values"]))
    return found


def recorded_arks() -> list[tuple[str, str]]:
    body = json.loads((DATA / "n2t_ark_13030_tf5p30086k.json").read_text(encoding="utf-8"))
    return [(body["request"].split("n2t.net/", 1)[1], body["headers"]["Location"])]


def _json(body: Mapping[str, Any], status: int) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


async def handle_api(request: web.Request) -> web.StreamResponse:
    standin = request.app[HANDLES]
    raw = request.raw_path.split("?", 1)[0].removeprefix("/handle/api/handles/")
    # The proxy treats %2F as part of a name, never as the prefix/suffix slash.
    handle = raw if "%2f" in raw.lower() else unquote(raw)
    call = Call("handle", "proxy", LIMIT, [handle], True)

    async def answer() -> web.StreamResponse:
        if "%2f" in raw.lower():  # a name with an encoded slash, which no Handle has
            return _json({"responseCode": 100, "handle": handle}, 404)
        if "/" not in handle:
            return _json({"responseCode": 102, "handle": handle, "message": "Invalid handle"}, 400)
        known = standin.handles.get(handle.lower())
        if known is None:
            return _json({"responseCode": 100, "handle": handle}, 404)
        types = request.query.getall("type", [])
        indexes = {int(i) for i in request.query.getall("index", []) if i.isdigit()}
        values = [
            v for v in known[1]
            if not (types or indexes) or v.get("type") in types or v.get("index") in indexes
        ]  # fmt: skip
        code = 1 if values or not (types or indexes) else 200
        return _json({"responseCode": code, "handle": handle, "values": values}, 200)

    return await serve(standin.state, call, answer, _too_many(standin.state))


async def ark_resolver(request: web.Request) -> web.StreamResponse:
    standin = request.app[HANDLES]
    ark = unquote(request.raw_path.split("?", 1)[0].removeprefix("/n2t/"))
    call = Call("ark", "n2t", LIMIT, [_ark_key(ark)], True)

    async def answer() -> web.StreamResponse:
        target = standin.arks.get(_ark_key(ark))
        if target is None:
            return web.Response(
                status=404, text=_HTML_404.format(ark=ark), content_type="text/html"
            )
        return web.Response(status=302, headers={"Location": target})

    return await serve(standin.ark_state, call, answer, _too_many(standin.ark_state))


def _too_many(state: ServiceState) -> TooMany:
    def answer(count: int) -> web.Response:
        headers = {"Retry-After": "1"} if state.retry_after else {}
        return web.Response(status=429, text="Too Many Requests", headers=headers)

    return answer


def register_handle(
    app: web.Application,
    policy: Policy,
    *,
    clock: Clock,
    handles: Iterable[tuple[str, list[dict[str, Any]]]] | None = None,
    arks: Iterable[tuple[str, str]] | None = None,
) -> HandleStandin:
    """Add the Handle proxy and ARK resolver routes: the recorded ones unless others are given."""
    standin = HandleStandin(
        service_state("handle", policy, clock),
        service_state("n2t", policy, clock),
    )
    for handle, values in recorded_handles() if handles is None else handles:
        standin.add_handle(handle, values)
    for ark, target in recorded_arks() if arks is None else arks:
        standin.add_ark(ark, target)
    app[HANDLES] = standin
    app.router.add_get("/handle/api/handles/{handle:.+}", handle_api)
    app.router.add_get("/n2t/{ark:[aA][rR][kK]:.+}", ark_resolver)
    add_control_routes(app, "handle", lambda request: request.app[HANDLES].state)
    add_control_routes(app, "n2t", lambda request: request.app[HANDLES].ark_state)
    return standin

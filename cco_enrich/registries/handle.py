"""The Handle proxy's REST API and the ARK resolver: request URLs and answers. Pure.

Handle proxy (`{handle_url}/api/handles/{handle}?type=URL`, documented in the proxy's
REST-API.txt): JSON with a Handle protocol `responseCode` — 1 found (HTTP 200), 100 handle not
found (HTTP 404), 200 no value of the asked type (HTTP 200), 102 invalid handle (HTTP 400).
The handle goes in the path as it is, slashes unescaped: the proxy does not decode `%2F`.

ARK resolver (`{ark_resolver_url}/ark:NAAN/name`, n2t.net): an HTTP redirect whose `Location`
is the object's current address; 404 for an ARK it cannot resolve. Read it without following
redirects. IGSNs resolve as Handles (`10273/<IGSN>`). No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin

from cco_enrich.errors import RegistryError

DEFAULT_HANDLE_URL = "https://hdl.handle.net"
DEFAULT_ARK_RESOLVER_URL = "https://n2t.net"
FOUND = 1
HANDLE_NOT_FOUND = 100
INVALID_HANDLE = 102
VALUES_NOT_FOUND = 200
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Characters a Handle may carry that need no escaping in a path; "/" separates prefix/suffix.
_HANDLE_PATH_SAFE = "/:;.-_~!$&'()*+,=@"


@dataclass(frozen=True, slots=True)
class HandleRecord:
    """A Handle that exists, and its URL values in index order (none: no URL registered)."""

    handle: str
    urls: tuple[str, ...] = ()

    @property
    def url(self) -> str | None:
        """Where the Handle points (its lowest-index URL value), or None."""
        return self.urls[0] if self.urls else None


def handle_api_url(handle_url: str, handle: str) -> str:
    """The proxy's REST URL for one Handle, asking only for its URL values."""
    path = quote(handle, safe=_HANDLE_PATH_SAFE)
    return f"{handle_url.rstrip('/')}/api/handles/{path}?type=URL"


def parse_handle_answer(payload: Any, handle: str) -> HandleRecord | None:
    """A proxy answer as the Handle's record; None when the Handle does not exist (code 100).

    Raises:
        RegistryError: an invalid handle (102), a server error (2) or an unreadable answer.
    """
    code = payload.get("responseCode") if isinstance(payload, Mapping) else None
    if code == HANDLE_NOT_FOUND:
        return None
    if code not in (FOUND, VALUES_NOT_FOUND):
        message = payload.get("message") if isinstance(payload, Mapping) else None
        detail = f" ({message})" if isinstance(message, str) and message else ""
        msg = f"the Handle proxy answered {handle} with responseCode {code!r}{detail}"
        raise RegistryError(msg)
    return HandleRecord(handle=handle, urls=_url_values(payload.get("values")))


def ark_resolver_url(ark_resolver_url_base: str, ark: str) -> str:
    """The resolver URL of a normalised ARK (`ark:12345/x`): `{base}/ark:12345/x`."""
    return f"{ark_resolver_url_base.rstrip('/')}/{quote(ark, safe=_HANDLE_PATH_SAFE)}"


def parse_ark_answer(status: int, location: str | None, request_url: str) -> str | None:
    """Where an ARK resolver's answer points: the absolute redirect target; None for 404/410.

    Raises:
        RegistryError: any other answer (a 200 page instead of a redirect, a redirect
            without Location, 5xx).
    """
    if status in (404, 410):
        return None
    if status in REDIRECTS and location:
        return urljoin(request_url, location)
    msg = f"the ARK resolver answered {request_url} with HTTP {status}" + (
        " and no Location" if status in REDIRECTS else ", not a redirect"
    )
    raise RegistryError(msg)


def _url_values(values: object) -> tuple[str, ...]:
    """The string data of `URL` values, lowest index first (the proxy redirects to that one)."""
    if not isinstance(values, list):
        return ()
    found: list[tuple[int, str]] = []
    for value in values:
        if not isinstance(value, Mapping) or value.get("type") != "URL":
            continue
        data = value.get("data")
        text = data.get("value") if isinstance(data, Mapping) else None
        index = value.get("index")
        if isinstance(text, str) and text.strip():
            found.append((index if isinstance(index, int) else 0, text.strip()))
    return tuple(text for _, text in sorted(found, key=lambda item: item[0]))

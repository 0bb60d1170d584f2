"""The Handle proxy's REST API and the ARK resolver: URLs, answers, and their PidSources.

Handle proxy (`{handle_url}/api/handles/{handle}?type=URL`, documented in the proxy's
REST-API.txt): JSON with a Handle protocol `responseCode` — 1 found (HTTP 200), 100 handle not
found (HTTP 404), 200 no value of the asked type (HTTP 200), 102 invalid handle (HTTP 400).
The handle goes in the path as it is, slashes unescaped: the proxy does not decode `%2F`.

ARK resolver (`{ark_resolver_url}/ark:NAAN/name`, n2t.net): an HTTP redirect whose `Location`
is the object's current address; 404 for an ARK it cannot resolve. Read it without following
redirects. IGSNs resolve as Handles (`10273/<IGSN>`). Neither service batches: HandleSource
and ArkSource ask one PID a request (pools `handle` and `ark`) and hand the URL found on to the
landing-page reader.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin

import aiohttp
from yarl import URL

from cco_enrich.errors import BatchRejectedError, RegistryError
from cco_enrich.identifiers.model import IGSN_HANDLE_PREFIX
from cco_enrich.registries._http import Endpoint, get_json, parse_retry_after
from cco_enrich.registries.limits import PoolLimiter
from cco_enrich.registries.pids import Forward, PidResult, one_a_batch

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


class HandleSource:
    """Handles (scheme `handle`), or IGSNs (scheme `igsn`, Handle `10273/<IGSN>`): to their URL."""

    name = "handle"

    def __init__(self, endpoint: Endpoint, limiter: PoolLimiter, *, scheme: str = "handle") -> None:
        self.endpoint = endpoint
        self.limiter = limiter
        self.scheme = scheme
        self._handle_of: Callable[[str], str] = (
            (lambda igsn: f"{IGSN_HANDLE_PREFIX}/{igsn}") if scheme == "igsn" else (lambda h: h)
        )

    def pack(self, pids: Sequence[str]) -> list[list[str]]:
        return one_a_batch(pids)

    async def resolve_batch(self, pids: Sequence[str]) -> PidResult:
        result = PidResult()
        for pid in pids:
            result.merge(await self._resolve(pid))
        return result

    async def _resolve(self, pid: str) -> PidResult:
        handle = self._handle_of(pid)
        url = handle_api_url(self.endpoint.base_url, handle)
        try:
            payload = await get_json(self.endpoint, self.limiter, url)
            record = parse_handle_answer(payload, handle) if payload is not None else None
        except BatchRejectedError:
            return PidResult(not_found={pid: f"the Handle proxy says {handle} is no valid Handle"})
        except RegistryError as exc:
            return PidResult(failed={pid: str(exc)})
        if record is None:
            return PidResult(not_found={pid: f"the Handle proxy has no Handle {handle}"})
        if record.url is None:
            return PidResult(not_found={pid: f"the Handle {handle} has no URL"})
        return PidResult(forwards={pid: Forward("url", record.url)})


class ArkSource:
    """ARKs through the resolver: the redirect's Location is read as a landing page."""

    name = "ark"
    scheme = "ark"

    def __init__(self, endpoint: Endpoint, limiter: PoolLimiter) -> None:
        self.endpoint = endpoint
        self.limiter = limiter

    def pack(self, pids: Sequence[str]) -> list[list[str]]:
        return one_a_batch(pids)

    async def resolve_batch(self, pids: Sequence[str]) -> PidResult:
        result = PidResult()
        for pid in pids:
            url = ark_resolver_url(self.endpoint.base_url, pid)
            try:
                target = parse_ark_answer(*await self._redirect(url), url)
            except RegistryError as exc:
                result.failed[pid] = str(exc)
                continue
            if target is None:
                result.not_found[pid] = "the ARK resolver does not know this ARK"
            else:
                result.forwards[pid] = Forward("url", target)
        return result

    async def _redirect(self, url: str) -> tuple[int, str | None]:
        """The resolver's status and Location, redirects not followed; 429, 5xx retried."""
        retry = self.endpoint.retry
        headers = {"User-Agent": self.endpoint.user_agent}
        timeout = aiohttp.ClientTimeout(total=self.endpoint.timeout_s)
        for attempt in range(1, retry.attempts + 1):
            wait_s: float | None = None
            try:
                async with (
                    self.limiter.slot(),
                    self.endpoint.http.get(
                        URL(url, encoded=True),
                        headers=headers,
                        timeout=timeout,
                        allow_redirects=False,
                    ) as response,
                ):
                    await response.read()
                    status, location = response.status, response.headers.get("Location")
                    wait_s = parse_retry_after(response.headers.get("Retry-After"))
            except (TimeoutError, aiohttp.ClientError) as exc:
                status, location, reason = 0, None, type(exc).__name__
            else:
                reason = f"HTTP {status}"
            if status != 429 and status < 500 and status != 0:
                return status, location
            if attempt == retry.attempts:
                break
            wait_s = wait_s if wait_s is not None else retry.backoff_s(attempt)
            if status == 429:
                await self.limiter.pause(wait_s)
            else:
                await asyncio.sleep(wait_s)
        msg = f"the ARK resolver answered {reason} (gave up after {retry.attempts} attempts)"
        raise RegistryError(msg)

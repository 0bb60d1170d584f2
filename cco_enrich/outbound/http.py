"""The outbound guard in aiohttp: a session that checks every connection, and redirects by hand.

`create_outbound_session()` makes a session whose resolver hands aiohttp only checked addresses
(the connection is pinned to what was checked, so DNS rebinding cannot swap it) and whose
middleware checks each request's URL, redirects included. `get_following_redirects()` follows
redirects hop by hop, checking each `Location` before it is requested.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from cco_enrich.errors import OutboundRefusedError, TooManyRedirectsError
from cco_enrich.outbound.policy import OutboundPolicy, parse_ip_literal

log = logging.getLogger(__name__)

MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


async def resolve_checked(
    url: str | URL, policy: OutboundPolicy, resolver: AbstractResolver | None = None
) -> list[str]:
    """The addresses `url`'s host resolves to, once the URL and every address passed the guard.

    Raises:
        OutboundRefusedError: the URL, its host, or one of its addresses is refused.
        OSError: the name does not resolve.
    """
    checked = policy.check_url(url)
    host = checked.raw_host or ""
    if parse_ip_literal(host) is not None:
        return [host]
    inner = resolver if resolver is not None else aiohttp.ThreadedResolver()
    try:
        results = await inner.resolve(host, checked.port or 0, socket.AF_UNSPEC)
    finally:
        if resolver is None:
            await inner.close()
    addresses = [str(r["host"]) for r in results]
    policy.check_addresses(host, addresses)
    return addresses


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that returns a host's addresses only when every one is allowed.

    aiohttp connects to exactly the addresses its resolver returned, so the connection is pinned
    to what was checked. Address literals never reach a resolver: the middleware checks those.
    """

    def __init__(self, policy: OutboundPolicy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        self.inner = inner if inner is not None else aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        reason = self.policy.host_refusal(host)
        if reason is not None:
            raise OutboundRefusedError(
                host, reason, allowable=self.policy.would_allow_when_private(host)
            )
        results = await self.inner.resolve(host, port, family)
        self.policy.check_addresses(host, [r["host"] for r in results])
        return results

    async def close(self) -> None:
        await self.inner.close()


def guard_middleware(policy: OutboundPolicy) -> aiohttp.ClientMiddlewareType:
    """An aiohttp client middleware checking every request's URL (each redirect hop too)."""

    async def check_request(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        policy.check_url(request.url)
        return await handler(request)

    return check_request


def create_outbound_session(
    policy: OutboundPolicy,
    *,
    resolver: AbstractResolver | None = None,
    headers: Mapping[str, str] | None = None,
    limit: int = 64,
    ttl_dns_cache_s: int = 60,
) -> aiohttp.ClientSession:
    """An aiohttp session whose every connection the guard checked. Close it when done.

    `resolver` is what resolves names before the check (tests pass a fake one).
    """
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(policy, resolver),
        limit=limit,
        ttl_dns_cache=ttl_dns_cache_s,
    )
    return aiohttp.ClientSession(
        connector=connector,
        headers=dict(headers or {}),
        middlewares=(guard_middleware(policy),),
        trust_env=False,  # a proxy from the environment would connect where we did not check
    )


@dataclass(frozen=True, slots=True)
class FinalResponse:
    """The answer at the end of a redirect chain, and the URLs that led there."""

    response: aiohttp.ClientResponse
    url: URL
    redirects: tuple[URL, ...]


HopSlot = Callable[[URL], AbstractAsyncContextManager[object]]


@asynccontextmanager
async def get_following_redirects(
    http: aiohttp.ClientSession,
    url: str | URL,
    policy: OutboundPolicy,
    *,
    headers: Mapping[str, str] | None = None,
    max_redirects: int = MAX_REDIRECTS,
    hop_slot: HopSlot | None = None,
) -> AsyncIterator[FinalResponse]:
    """GET `url`, following redirects one hop at a time, each `Location` checked first.

    `hop_slot(url)` is entered around each hop (a per-host limiter); the last hop's slot is held
    until the block ends, so reading the body counts against it.

    Raises:
        OutboundRefusedError: the URL or a redirect target is refused.
        TooManyRedirectsError: more than `max_redirects` hops, or a loop.
    """
    current = policy.check_url(url).with_fragment(None)
    seen: list[URL] = []
    while True:
        async with AsyncExitStack() as hop:
            if hop_slot is not None:
                await hop.enter_async_context(hop_slot(current))
            response = await hop.enter_async_context(
                http.get(current, headers=headers, allow_redirects=False)
            )
            location = response.headers.get("Location")
            if response.status not in REDIRECT_STATUSES or not location:
                yield FinalResponse(response, current, tuple(seen))
                return
        seen.append(current)
        try:
            target_url = current.join(URL(location.strip()))
        except ValueError:
            raise OutboundRefusedError(location, "the redirect target is not a URL") from None
        target = policy.check_url(target_url).with_fragment(None)
        if len(seen) > max_redirects or target in seen:
            raise TooManyRedirectsError(str(url), len(seen))
        log.debug("redirect %s -> %s", current, target)
        current = target

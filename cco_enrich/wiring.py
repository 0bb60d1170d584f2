"""Settings -> the identifier side of a worker: the guarded session, landing pages, PID sources.

Used by the entry points only (the worker's startup and `cco-enrich enrich FILE`), next to
worker.registries_from_settings(), so that both resolve the same schemes the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from arq.connections import RedisSettings

from cco_enrich.dispatch import Dispatcher
from cco_enrich.doi import DOI
from cco_enrich.enrichment import OnOutcomes, enrich
from cco_enrich.landing import LandingFetcher, LandingFetchPolicy
from cco_enrich.outbound import OutboundPolicy, create_outbound_session
from cco_enrich.registries import (
    PoolLimits,
    PrefixCache,
    Registries,
    RetryPolicy,
    SharedLimitBackend,
    build_registries,
)
from cco_enrich.registries.limits import PoolLimit
from cco_enrich.resolution import (
    PidLimits,
    PidServices,
    PidSources,
    build_pid_sources,
    resolve_identifiers,
)
from cco_enrich.settings import Settings
from cco_enrich.store import redis_settings

Resolver = Callable[[Sequence[DOI], OnOutcomes], Coroutine[Any, Any, None]]
LANDING_ATTEMPTS = 3  # a landing page is one host's page, not a registry: fewer tries


def retry_policy(settings: Settings) -> RetryPolicy:
    """How every upstream request is retried (CCO_RETRY_*)."""
    return RetryPolicy(
        attempts=settings.retry_attempts,
        wait_initial_s=settings.retry_wait_initial_s,
        wait_max_s=settings.retry_wait_max_s,
    )


def outbound_policy(settings: Settings) -> OutboundPolicy:
    """The guard of landing pages and webhooks (CCO_OUTBOUND_ALLOW_PRIVATE)."""
    return OutboundPolicy(allow_private=settings.outbound_allow_private)


async def open_outbound_session(
    settings: Settings, stack: AsyncExitStack, *, resolver: AbstractResolver | None = None
) -> aiohttp.ClientSession:
    """The guarded session (closed with `stack`): every connection it makes was checked."""
    session = create_outbound_session(
        outbound_policy(settings), resolver=resolver, headers={"User-Agent": settings.user_agent}
    )
    return await stack.enter_async_context(session)


def pid_limits(settings: Settings) -> PidLimits:
    """Each identifier service's pool, from the CCO_* settings (NCBI's depends on the API key)."""
    ncbi_per_s = settings.ncbi_api_key_per_s if settings.ncbi_api_key else settings.ncbi_per_s
    return PidLimits(
        ncbi=PoolLimit(ncbi_per_s, 1.0, settings.ncbi_in_flight),
        openlibrary=PoolLimit(settings.openlibrary_per_s, 1.0, settings.openlibrary_in_flight),
        handle=PoolLimit(settings.handle_per_s, 1.0, settings.handle_in_flight),
        ark=PoolLimit(settings.ark_per_s, 1.0, settings.ark_in_flight),
    )


def landing_policy(settings: Settings) -> LandingFetchPolicy:
    """How landing pages are fetched (CCO_LANDING_*), with the service's User-Agent."""
    return LandingFetchPolicy(
        max_bytes=settings.landing_max_bytes,
        timeout_s=settings.landing_timeout_s,
        per_host_per_s=settings.landing_per_host_per_s,
        in_flight_per_host=settings.landing_in_flight_per_host,
        user_agent=settings.user_agent,
        retry=RetryPolicy(
            attempts=min(LANDING_ATTEMPTS, settings.retry_attempts),
            wait_initial_s=settings.retry_wait_initial_s,
            wait_max_s=settings.retry_wait_max_s,
        ),
    )


def pid_sources_from_settings(
    settings: Settings,
    http: aiohttp.ClientSession,
    outbound_http: aiohttp.ClientSession,
    *,
    shared: SharedLimitBackend | None = None,
) -> PidSources:
    """The sources of every non-DOI scheme; landing pages go through `outbound_http`."""
    fetcher = LandingFetcher(
        outbound_http,
        policy=landing_policy(settings),
        outbound=outbound_policy(settings),
        shared=shared,
    )
    api_key = settings.ncbi_api_key.get_secret_value() if settings.ncbi_api_key else None
    return build_pid_sources(
        http,
        fetcher=fetcher,
        services=PidServices(
            ncbi_eutils_url=settings.ncbi_eutils_url,
            ncbi_idconv_url=settings.ncbi_idconv_url,
            openlibrary_url=settings.openlibrary_url,
            handle_url=settings.handle_url,
            ark_resolver_url=settings.ark_resolver_url,
            mailto=settings.mailto,
            ncbi_api_key=api_key,
        ),
        user_agent=settings.user_agent,
        retry=retry_policy(settings),
        timeout_s=settings.request_timeout_s,
        limits=pid_limits(settings),
        shared=shared,
    )


@dataclass(frozen=True, slots=True)
class IdentifierSide:
    """What a worker (or the CLI) needs for the other schemes, built once at startup."""

    outbound_http: aiohttp.ClientSession
    """The guarded session: landing pages and webhooks."""
    sources: PidSources
    resolve: Resolver
    """The identifier engine, with the DOI engine behind it for the DOIs it finds."""


async def open_identifier_side(
    settings: Settings,
    stack: AsyncExitStack,
    http: aiohttp.ClientSession,
    registries: Registries,
    *,
    shared: SharedLimitBackend | None = None,
    dispatcher: Dispatcher | None = None,
) -> IdentifierSide:
    """The guarded session (closed with `stack`), every non-DOI source and the engine over them.

    DOIs found on the way (a PMID's DOI, a landing page's) join `dispatcher`'s shared batches.
    """
    outbound_http = await open_outbound_session(settings, stack)
    sources = pid_sources_from_settings(settings, http, outbound_http, shared=shared)
    return IdentifierSide(
        outbound_http, sources, identifier_resolver(sources, doi_resolver(registries, dispatcher))
    )


def doi_resolver(registries: Registries, dispatcher: Dispatcher | None = None) -> Resolver:
    """The DOI engine as a function of (DOIs, on_outcomes), sharing `dispatcher`'s batches."""

    async def resolve(dois: Sequence[DOI], on_outcomes: OnOutcomes) -> None:
        await enrich(dois, registries, on_outcomes, dispatcher=dispatcher)

    return resolve


def identifier_resolver(sources: PidSources, resolve_dois: Resolver) -> Resolver:
    """The identifier engine as a function of (`scheme:pid` keys, on_outcomes): what
    SessionRun.execute() takes next to the DOI engine."""

    async def resolve(keys: Sequence[DOI], on_outcomes: OnOutcomes) -> None:
        await resolve_identifiers(keys, sources.by_scheme, resolve_dois, on_outcomes)

    return resolve


def pool_limits(settings: Settings) -> PoolLimits:
    """Each upstream pool's limits, from the CCO_* settings (polite or public by CCO_MAILTO)."""
    return PoolLimits.from_settings(
        is_polite=settings.is_polite,
        crossref_single_per_s=settings.crossref_single_per_s,
        crossref_single_in_flight=settings.crossref_single_in_flight,
        crossref_list_per_s=settings.crossref_list_per_s,
        crossref_list_in_flight=settings.crossref_list_in_flight,
        crossref_public_single_per_s=settings.crossref_public_single_per_s,
        crossref_public_list_per_s=settings.crossref_public_list_per_s,
        crossref_public_in_flight=settings.crossref_public_in_flight,
        datacite_per_5min=settings.datacite_per_5min,
        datacite_public_per_5min=settings.datacite_public_per_5min,
        datacite_in_flight=settings.datacite_in_flight,
        doi_org_per_s=settings.doi_org_per_s,
        doi_org_in_flight=settings.doi_org_in_flight,
    )


def registries_from_settings(
    settings: Settings,
    http: aiohttp.ClientSession,
    *,
    shared: SharedLimitBackend | None = None,
    prefix_cache: PrefixCache | None = None,
) -> Registries:
    """The upstream clients as the settings describe them (used by the worker and the CLI)."""
    return build_registries(
        http,
        crossref_url=settings.crossref_url,
        datacite_url=settings.datacite_url,
        doi_url=settings.doi_url,
        mailto=settings.mailto,
        user_agent=settings.user_agent,
        retry=retry_policy(settings),
        timeout_s=settings.request_timeout_s,
        limits=pool_limits(settings),
        shared=shared,
        prefix_cache=prefix_cache,
    )


def worker_redis_settings(settings: Settings) -> RedisSettings:
    """Where the worker finds Redis (CCO_REDIS_URL or _SENTINELS), patient through outages."""
    return redis_settings(
        settings.redis_url,
        sentinels=settings.sentinel_addresses,
        sentinel_master=settings.redis_sentinel_master,
    )

"""The store: every Redis key and every Redis command of the service lives in this package.

keys.py         every key name, ours and the arq ones we look into (QUEUE_NAME, job keys)
connection.py   redis_settings(url) for arq; STORE_UNAVAILABLE_ERRORS (what "Redis is away" raises)
sessions.py     SessionStore: session hash, resources, status, checkpoints
events.py       the progress stream: ProgressEvent, reading it (part of SessionStore)
jobs.py         the queue, leases, cancel requests, the sweeper's view, worker heartbeats
cache.py        OutcomeCache (per DOI) and RedisPrefixCache (per DOI prefix)
limits.py       RedisLimitBackend: the shared request limits per upstream pool (Lua scripts)
webhooks.py     each session's log of webhook calls
ratelimit.py    what API clients may do: hits per client per minute, sessions queued
fleet.py        FleetView: sessions by state, the queue, live workers (for /readyz and /metrics)

Nothing outside this package imports redis: the registries take a limiter backend and a prefix
cache through their Protocols, and the rest catches STORE_UNAVAILABLE_ERRORS.
"""

from __future__ import annotations

from cco_enrich.store.cache import OutcomeCache, RedisPrefixCache
from cco_enrich.store.connection import (
    STORE_UNAVAILABLE_ERRORS,
    api_redis_settings,
    bound_socket_waits,
    close_idle_connections,
    follow_sentinel,
    redis_settings,
)
from cco_enrich.store.events import EVENTS_MAXLEN, ProgressEvent
from cco_enrich.store.fleet import WORKER_HEARTBEAT_TTL_S, FleetView, fleet_view
from cco_enrich.store.jobs import LEASE_RECLAIMED, PRIORITY_HEAD_START
from cco_enrich.store.keys import JOB_FUNCTION, QUEUE_NAME
from cco_enrich.store.limits import RedisLimitBackend, read_pool_limits
from cco_enrich.store.ratelimit import count_hit, queued_sessions
from cco_enrich.store.sessions import SessionRecord, SessionStore

__all__ = [
    "EVENTS_MAXLEN",
    "JOB_FUNCTION",
    "LEASE_RECLAIMED",
    "PRIORITY_HEAD_START",
    "QUEUE_NAME",
    "STORE_UNAVAILABLE_ERRORS",
    "WORKER_HEARTBEAT_TTL_S",
    "FleetView",
    "OutcomeCache",
    "ProgressEvent",
    "RedisLimitBackend",
    "RedisPrefixCache",
    "SessionRecord",
    "SessionStore",
    "api_redis_settings",
    "bound_socket_waits",
    "close_idle_connections",
    "count_hit",
    "fleet_view",
    "follow_sentinel",
    "queued_sessions",
    "read_pool_limits",
    "redis_settings",
]

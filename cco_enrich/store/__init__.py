"""The store: every Redis key and every Redis command of the service lives in this package.

keys.py         every key name, ours and the arq ones we look into (QUEUE_NAME, job keys)
connection.py   redis_settings(url) for arq; STORE_UNAVAILABLE_ERRORS (what "Redis is away" raises)
sessions.py     SessionStore: session hash, resources, status, checkpoints
events.py       the progress stream: ProgressEvent, reading it (part of SessionStore)
jobs.py         the queue, leases, cancel requests, the sweeper's view, worker heartbeats
cache.py        OutcomeCache (per DOI) and RedisPrefixCache (per DOI prefix)
limits.py       RedisLimitBackend: the shared request limits per upstream pool (Lua scripts)

Nothing outside this package imports redis: the registries take a limiter backend and a prefix
cache through their Protocols, and the rest catches STORE_UNAVAILABLE_ERRORS.
"""

from __future__ import annotations

from cco_enrich.store.cache import OutcomeCache, RedisPrefixCache
from cco_enrich.store.connection import STORE_UNAVAILABLE_ERRORS, redis_settings
from cco_enrich.store.events import EVENTS_MAXLEN, ProgressEvent
from cco_enrich.store.jobs import PRIORITY_HEAD_START
from cco_enrich.store.keys import JOB_FUNCTION, QUEUE_NAME
from cco_enrich.store.limits import RedisLimitBackend, read_pool_limits
from cco_enrich.store.sessions import SessionRecord, SessionStore

__all__ = [
    "EVENTS_MAXLEN",
    "JOB_FUNCTION",
    "PRIORITY_HEAD_START",
    "QUEUE_NAME",
    "STORE_UNAVAILABLE_ERRORS",
    "OutcomeCache",
    "ProgressEvent",
    "RedisLimitBackend",
    "RedisPrefixCache",
    "SessionRecord",
    "SessionStore",
    "read_pool_limits",
    "redis_settings",
]

"""Every Redis key this service reads or writes, including the arq keys it looks into.

Key patterns are `str.format` templates; the table with types, owners and lifetimes is in
docs/architecture.md ("Redis keys").
"""

from __future__ import annotations

from arq.constants import default_queue_name, in_progress_key_prefix, job_key_prefix

# -- a session (all expire together, CCO_SESSION_TTL_S after their last use; sessions.py) ------
SESSION_KEY = "cco:session:{session_id}"
RESOURCES_KEY = "cco:session:{session_id}:resources"
STATUS_KEY = "cco:session:{session_id}:status"
EVENTS_KEY = "cco:session:{session_id}:events"
CANCEL_KEY = "cco:session:{session_id}:cancel"

# -- across sessions ---------------------------------------------------------------------------
SESSIONS_INDEX_KEY = "cco:sessions"
ACTIVE_SESSIONS_KEY = "cco:active"

# -- jobs and workers (jobs.py) ----------------------------------------------------------------
LEASE_KEY = "cco:lease:{session_id}"
SWEEP_KEY = "cco:sweep"  # the worker sweeping this round (one per CCO_LEASE_TTL_S / 3)
WORKERS_KEY = "cco:workers"
WORKER_KEY = "cco:worker:{worker_id}"

# -- arq's own names: the queue we enqueue to and the keys arq keeps per job -------------------
# Taken from arq, so they follow it. Do not rename QUEUE_NAME or JOB_FUNCTION without draining
# the queue: jobs already waiting there carry these names.
QUEUE_NAME = default_queue_name  # "arq:queue", a zset: job id -> run-at time in ms
JOB_FUNCTION = "enrich_cco_metadata"
JOB_ID = "enrich:{session_id}:{attempt}"
ARQ_JOB_KEY = job_key_prefix + "{job_id}"  # "arq:job:{job_id}", the pickled job
ARQ_IN_PROGRESS_KEY = in_progress_key_prefix + "{job_id}"  # "arq:in-progress:{job_id}"

# -- caches shared by every worker (cache.py) --------------------------------------------------
OUTCOME_KEY = "cco:cache:doi:{doi}"
PREFIX_KEY = "cco:cache:prefix:{prefix}"

# -- shared request limits per upstream pool (limits.py) ---------------------------------------
LIMITS_KEY_PREFIX = "cco:limits"
RATE_KEY = LIMITS_KEY_PREFIX + ":{pool}:starts"
SLOTS_KEY = LIMITS_KEY_PREFIX + ":{pool}:slots"
PAUSE_KEY = LIMITS_KEY_PREFIX + ":{pool}:pause"
LEARNED_KEY = LIMITS_KEY_PREFIX + ":{pool}:learned"  # a hash: the learned limit and its ceiling
LIMIT_POOLS_KEY = LIMITS_KEY_PREFIX + ":pools"  # a set: the pools that have a learned hash


def session_keys(session_id: str) -> tuple[str, str, str, str, str]:
    """The keys of one session: hash, resources, status, events, cancel (in that order)."""
    return (
        SESSION_KEY.format(session_id=session_id),
        RESOURCES_KEY.format(session_id=session_id),
        STATUS_KEY.format(session_id=session_id),
        EVENTS_KEY.format(session_id=session_id),
        CANCEL_KEY.format(session_id=session_id),
    )


CLIENT_RATE_KEY = "cco:ratelimit:{name}:{client}:{window}"
"""Hits of one API client on one limit in one fixed window (store/ratelimit.py)."""

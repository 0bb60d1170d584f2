"""The arq worker: WorkerSettings, startup/shutdown, the enrichment task and the sweeper. Thin glue.

Surviving worker death (arq alone re-runs a SIGKILLed job only after the longest job timeout, and
counts SIGTERM restarts as tries; see shared/research/peers.md section 1):
- a job holds a lease (`cco:lease:{id}`, CCO_LEASE_TTL_S, renewed six times per TTL); no lease,
  no work, and no write: every checkpoint is fenced by the lease;
- every worker runs a sweeper task (not an arq cron job, which would wait for a free job slot);
  one of them per round (CCO_LEASE_TTL_S / 3) re-queues, under a fresh job id, every session that
  says it is queued or running but has neither a lease nor a job arq knows about. A killed
  worker's session resumes about CCO_LEASE_TTL_S + a round after the kill (docs/reliability.md);
- every checkpoint is idempotent, so a re-run does only the resources still pending.

SIGTERM (a deploy): no new upstream request starts; requests in flight land in their checkpoints
(up to CCO_STOP_GRACE_S), then the sessions go back to the queue. The worker installs its own
handler (`handle_signals = False`): arq's cancels at once, and its `job_completion_wait` waits
for whole sessions, not batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import time
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp

from cco_enrich import metrics
from cco_enrich.dispatch import Dispatcher
from cco_enrich.enrichment import enrich
from cco_enrich.errors import SessionNotFoundError
from cco_enrich.logs import configure_logging, log_context
from cco_enrich.metrics.server import worker_metrics
from cco_enrich.models import JobState
from cco_enrich.registries import (
    Registries,
    SharedLimitBackend,
)
from cco_enrich.runner import SessionRun
from cco_enrich.settings import Settings
from cco_enrich.store import (
    QUEUE_NAME,
    STORE_UNAVAILABLE_ERRORS,
    OutcomeCache,
    RedisLimitBackend,
    RedisPrefixCache,
    SessionStore,
    follow_sentinel,
)
from cco_enrich.webhooks import WebhookSender
from cco_enrich.wiring import (
    Resolver,
    open_identifier_side,
    registries_from_settings,
    worker_redis_settings,
)

log = logging.getLogger(__name__)

MAX_RESTARTS = 25
NO_MAILTO = "CCO_MAILTO is unset: Crossref's public pool is slower; set CCO_MAILTO=you@example.org"
OWN_SIGNALS = "own_signals"
JOB_TIMEOUT_S = 24 * 3600
SWEEPS_PER_LEASE_TTL = 3
# Queued sessions have no lease while they wait; whether arq still holds their job (a lost queue
# entry is rare) is checked every this many rounds, so a deep queue costs little each second.
QUEUED_CHECK_ROUNDS = 10


@dataclass(frozen=True, slots=True)
class Deps:
    """What every task needs, built once per worker process in `startup`."""

    store: SessionStore
    registries: Registries
    cache: OutcomeCache
    webhooks: WebhookSender
    worker_id: str
    lease_ttl_s: float
    identifiers: Resolver
    """Resolves the other schemes (PMIDs, ISBNs, URLs, ...) by `scheme:pid` (wiring.py)."""
    dispatcher: Dispatcher
    """The batchers every session of this worker shares."""
    stopping: asyncio.Event
    """Set on SIGTERM: jobs that start now wait to be handed back."""


async def startup(ctx: dict[str, Any]) -> None:
    """Build the loop-bound objects once: HTTP session, limiters, store; register the worker."""
    settings: Settings = ctx.get("settings") or Settings()
    configure_logging(settings.log_level, settings.log_format, secrets=settings.secret_values())
    if not settings.mailto:
        log.warning(NO_MAILTO)
    stack = AsyncExitStack()
    http = await stack.enter_async_context(_upstream_session(settings))
    redis = ctx["redis"]
    await follow_sentinel(redis, worker_redis_settings(settings))
    store = SessionStore(
        redis, session_ttl_s=settings.session_ttl_s, small_session_max=settings.small_session_max
    )
    shared = RedisLimitBackend(redis) if settings.shared_limits else None
    registries, dispatcher = await _upstreams(settings, http, redis, shared)
    stack.push_async_callback(dispatcher.aclose)
    # Identifiers of other schemes; landing pages and webhooks go through the guarded session.
    side = await open_identifier_side(
        settings, stack, http, registries, shared=shared, dispatcher=dispatcher
    )
    worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    ctx["deps"] = Deps(
        store=store,
        registries=registries,
        cache=OutcomeCache(
            redis, ttl_s=settings.cache_ttl_s, not_found_ttl_s=settings.not_found_cache_ttl_s
        ),
        webhooks=WebhookSender(
            side.outbound_http,
            secret=settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
            allow_private=settings.webhook_allow_private,
        ),
        worker_id=worker_id,
        lease_ttl_s=settings.lease_ttl_s,
        identifiers=side.resolve,
        dispatcher=dispatcher,
        stopping=asyncio.Event(),
    )
    ctx["stack"] = stack
    ctx["metrics_port"] = await stack.enter_async_context(_metrics(settings, registries))
    if ctx.get(OWN_SIGNALS):
        _install_signal_handlers(ctx, settings.stop_grace_s)
    # What start-up built (modules, schemas, clients) lives as long as the worker: frozen, it is
    # no longer rescanned by every full collection, whose cost otherwise grows with a session.
    gc.freeze()
    ctx["running"] = set()
    _start_background_tasks(ctx)
    log.info("worker %s ready (crossref %s)", worker_id, settings.crossref_url)


def _upstream_session(settings: Settings) -> aiohttp.ClientSession:
    """The HTTP session for the registries, naming us in its User-Agent."""
    return aiohttp.ClientSession(
        headers={"User-Agent": settings.user_agent},
        connector=aiohttp.TCPConnector(limit=64, ttl_dns_cache=300),
    )


def _metrics(
    settings: Settings, registries: Registries
) -> contextlib.AbstractAsyncContextManager[int | None]:
    """This worker's metrics: its port (CCO_WORKER_METRICS_PORT) and its pools' limit gauges."""
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    return worker_metrics(
        settings.worker_metrics_host,
        settings.worker_metrics_port,
        token=token,
        limiters=registries.limiters,
    )


async def _upstreams(
    settings: Settings,
    http: aiohttp.ClientSession,
    redis: Any,
    shared: SharedLimitBackend | None,
) -> tuple[Registries, Dispatcher]:
    """The registries (starting from the fleet's learned limits) and their shared batchers."""
    registries = registries_from_settings(
        settings,
        http,
        shared=shared,
        prefix_cache=RedisPrefixCache(redis, ttl_s=settings.cache_ttl_s),
    )
    with contextlib.suppress(*STORE_UNAVAILABLE_ERRORS):  # else learned at the first request
        await registries.register_limits()
    return registries, Dispatcher(registries)


async def shutdown(ctx: dict[str, Any]) -> None:
    """Close what startup opened and say goodbye in the worker list."""
    for name in ("heartbeat", "sweeper"):
        task: asyncio.Task[None] | None = ctx.get(name)
        if task:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    deps: Deps | None = ctx.get("deps")
    if deps:
        with contextlib.suppress(Exception):
            await deps.store.unregister_worker(deps.worker_id)
    stack: AsyncExitStack | None = ctx.get("stack")
    if stack:
        await stack.aclose()
    gc.unfreeze()


def _start_background_tasks(ctx: dict[str, Any]) -> None:
    """The heartbeat and the sweeper: they run until shutdown cancels them."""
    ctx["heartbeat"] = asyncio.create_task(_worker_heartbeat(ctx))
    ctx["sweeper"] = asyncio.create_task(_sweeper(ctx))


async def _worker_heartbeat(ctx: dict[str, Any]) -> None:
    deps: Deps = ctx["deps"]
    info = {"host": socket.gethostname(), "pid": os.getpid()}
    while True:
        try:
            await deps.store.register_worker(
                deps.worker_id,
                {
                    **info,
                    "sessions": sorted(ctx["running"]),
                    **metrics.heartbeat_fields(deps.registries.limiters, ctx.get("metrics_port")),
                },
                ttl_s=15,
            )
        except STORE_UNAVAILABLE_ERRORS:
            log.warning("worker %s: Redis unreachable, heartbeat skipped", deps.worker_id)
        await asyncio.sleep(5)


async def _sweeper(ctx: dict[str, Any]) -> None:
    """Sweep every CCO_LEASE_TTL_S / 3 when no other worker has this round."""
    deps: Deps = ctx["deps"]
    interval_s = deps.lease_ttl_s / SWEEPS_PER_LEASE_TTL
    rounds = 0
    while True:
        await asyncio.sleep(interval_s)
        rounds += 1
        try:
            if await deps.store.claim_sweep(deps.worker_id, interval_s * 0.9):
                await sweep_sessions(ctx, check_queued=rounds % QUEUED_CHECK_ROUNDS == 0)
        except STORE_UNAVAILABLE_ERRORS:
            log.warning("worker %s: Redis unreachable, sweep skipped", deps.worker_id)
        except Exception:  # a bug must not stop the sweeps that rescue sessions
            log.exception("worker %s: sweep failed", deps.worker_id)


def _install_signal_handlers(ctx: dict[str, Any], grace_s: float) -> None:
    """SIGTERM and SIGINT stop the worker cleanly (see the module docstring)."""
    # on_startup runs inside arq's main task: cancelling it is how the worker stops.
    main_task = asyncio.current_task()
    loop = asyncio.get_running_loop()

    def on_signal(signum: signal.Signals) -> None:
        deps: Deps = ctx["deps"]
        if deps.stopping.is_set():
            return
        log.info("worker %s: %s; stopping within %.0f s", deps.worker_id, signum.name, grace_s)
        deps.stopping.set()
        task = loop.create_task(stop_gracefully(ctx, grace_s, main_task))
        ctx["stopper"] = task

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)


async def stop_gracefully(
    ctx: dict[str, Any], grace_s: float, main_task: asyncio.Task[Any] | None
) -> bool:
    """Let the requests in flight land in their checkpoints, then stop arq, which cancels the
    sessions (they go back to the queue, resuming from those checkpoints). True when nothing
    in flight was cut short."""
    deps: Deps = ctx["deps"]
    deps.stopping.set()
    landed = await deps.dispatcher.drain(grace_s)
    log.info(
        "worker %s: %s; handing its sessions back",
        deps.worker_id,
        "drained" if landed else "grace over",
    )
    if main_task is not None:
        main_task.cancel()
    return landed


async def enrich_cco_metadata(ctx: dict[str, Any], session_id: str) -> dict[str, Any]:
    """Resolve every resource of the session still pending; checkpoint after each batch."""
    deps: Deps = ctx["deps"]
    job_id = ctx.get("job_id")
    with log_context(session_id=session_id, job_id=job_id, worker_id=deps.worker_id):
        return await _enrich_session(ctx, deps, session_id)


async def _enrich_session(ctx: dict[str, Any], deps: Deps, session_id: str) -> dict[str, Any]:
    if deps.stopping.is_set():
        # Taken while the worker stops: wait to be cancelled, which hands the job back to arq.
        await asyncio.Event().wait()
    run = SessionRun(
        deps.store,
        session_id,
        worker_id=deps.worker_id,
        job_id=ctx.get("job_id", ""),
        lease_ttl_s=deps.lease_ttl_s,
        cache=deps.cache,
    )
    ctx["running"].add(session_id)
    started = time.monotonic()
    try:
        final = await run.execute(
            lambda dois, on_outcomes: enrich(
                dois, deps.registries, on_outcomes, dispatcher=deps.dispatcher
            ),
            deps.identifiers,
        )
    finally:
        ctx["running"].discard(session_id)
    if final is not None and final.status.is_terminal:
        metrics.SESSION_DURATION.labels(final.status).observe(time.monotonic() - started)
        record = await deps.store.record(session_id)
        if record.callback_url:
            delivery = await deps.webhooks.send(record.callback_url, session_id, final)
            await deps.store.record_webhook_delivery(session_id, delivery)
    return final.model_dump(mode="json") if final else {"skipped": True}


async def ping(ctx: dict[str, Any], message: str = "ping") -> str:
    """A no-op task that proves the queue works: `cco-enrich ping` enqueues it."""
    deps: Deps = ctx["deps"]
    log.info("ping %r received by worker %s", message, deps.worker_id)
    return f"pong ({message}) from worker {deps.worker_id}"


async def sweep_sessions(ctx: dict[str, Any], *, check_queued: bool = True) -> int:
    """Re-queue sessions whose worker died: said queued/running, no lease, no job arq knows.

    Cheap while all is well: one MGET for the leases of every active session, one for the
    statuses of the unleased ones. Queued sessions (no lease while they wait their turn) are
    looked into only with `check_queued`, every QUEUED_CHECK_ROUNDS-th round.
    """
    deps: Deps = ctx["deps"]
    unleased = await deps.store.unleased(await deps.store.active_sessions())
    statuses = await deps.store.statuses(unleased)
    requeued = 0
    for session_id in unleased:
        state = statuses[session_id].status if session_id in statuses else None
        if state is None:  # expired or deleted under us: nothing to rescue
            await deps.store.forget_active(session_id)
        elif state is JobState.RUNNING or (check_queued and state is JobState.QUEUED):
            requeued += await _rescue(deps, session_id)
    return requeued


async def _rescue(deps: Deps, session_id: str) -> int:
    """Re-queue the session unless a worker or arq's queue has it; 1 when it was re-queued."""
    try:
        status = await deps.store.status(session_id)
        record = await deps.store.record(session_id)
    except SessionNotFoundError:
        await deps.store.forget_active(session_id)
        return 0
    if not status.status.is_active or await deps.store.lease_holder(session_id):
        return 0
    if (
        status.status is JobState.QUEUED
        and record.job_id
        and await deps.store.is_job_known(record.job_id)
    ):
        return 0  # waiting its turn in arq's queue
    # Running without a lease: its worker died (arq would re-run the job only after its
    # whole timeout). Queued with no job arq knows: the queue entry was lost.
    if record.attempt >= MAX_RESTARTS:
        message = f"the worker was lost {record.attempt} times; retry to go on"
        await deps.store.set_status(session_id, status.failed_at("gave up", message))
        return 0
    log.warning("session %s: no live worker holds it; re-queuing", session_id)
    await deps.store.enqueue(session_id, message="re-queued after its worker was lost")
    return 1


class WorkerSettings:
    """`arq cco_enrich.WorkerSettings`: settings come from CCO_* environment variables."""

    _settings = Settings()
    # Read once; startup() builds from it. OWN_SIGNALS: the worker handles SIGTERM itself.
    ctx: ClassVar[dict[str, Any]] = {"settings": _settings, OWN_SIGNALS: True}
    functions: ClassVar[list[Any]] = [enrich_cco_metadata, ping]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = worker_redis_settings(_settings)
    queue_name = QUEUE_NAME
    max_jobs = _settings.worker_max_jobs
    job_timeout = JOB_TIMEOUT_S
    # SIGTERM (a deploy) re-queues a running job and counts it as a try: never let a deploy
    # fail a session. Real failures are capped by MAX_RESTARTS in the sweeper.
    max_tries = 1000
    keep_result = 3600
    health_check_interval = 10
    allow_abort_jobs = False
    handle_signals = False  # ours finish the requests in flight first (stop_gracefully)
    # How often an idle worker asks Redis for a job: a cached session finishes in ~0.1 s, so
    # arq's default 0.5 s would be most of its wait.
    poll_delay = 0.05

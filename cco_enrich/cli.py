"""The `cco-enrich` command: serve, worker, ping, and enrich FILE (no Redis needed)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from cco_enrich._version import __version__
from cco_enrich.doi import DOI
from cco_enrich.enrichment import OnOutcomes
from cco_enrich.errors import EnrichError
from cco_enrich.exports import EXPORT_FORMATS, render_export
from cco_enrich.ingest import IdentifierListIngestor
from cco_enrich.logs import configure_logging
from cco_enrich.models import (
    JobState,
    Outcome,
    ProcessingStatus,
    Resource,
    ResourceStatus,
    Session,
    StatusCounts,
)
from cco_enrich.resolution import DuplicateIndex, resolve_side_by_side, resource_key
from cco_enrich.settings import Settings

log = logging.getLogger("cco_enrich")

EXIT_OK, EXIT_SOME_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cco-enrich",
        description="Fill a Complex Citation Object with Crossref, DataCite and doi.org metadata.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve", help="run the API, the web page and a worker in one process"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-worker", action="store_true", help="API only; run workers separately")
    serve.add_argument(
        "--no-local-redis",
        action="store_true",
        help="do not start a private redis-server when CCO_REDIS_URL does not answer",
    )

    commands.add_parser("worker", help="run one worker (same as `arq cco_enrich.WorkerSettings`)")

    ping = commands.add_parser(
        "ping", help="send a no-op job through the queue and print the answer"
    )
    ping.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a worker")

    run = commands.add_parser(
        "enrich", help="enrich a list file directly, without Redis or a worker"
    )
    run.add_argument("file", type=Path, help=".txt, .csv, .bib or .json list of identifiers")
    run.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    run.add_argument("--format", default="jsonld", choices=sorted(EXPORT_FORMATS))
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--include-all",
        action="store_true",
        help="CSL-JSON, BibTeX, RIS: keep hollow resources too",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format, secrets=settings.secret_values())
    if args.command == "serve":
        return _serve(settings, args)
    if args.command == "worker":
        from arq import run_worker

        from cco_enrich.worker import WorkerSettings

        run_worker(WorkerSettings)  # type: ignore[arg-type]
        return EXIT_OK
    if args.command == "ping":
        return asyncio.run(_ping(settings, args.timeout))
    return asyncio.run(_enrich_file(settings, args))


# -- ping -------------------------------------------------------------------------------------


async def _ping(settings: Settings, timeout_s: float) -> int:
    from arq import create_pool

    from cco_enrich.wiring import worker_redis_settings

    redis = await create_pool(worker_redis_settings(settings))
    try:
        job = await redis.enqueue_job("ping", f"sent {time.strftime('%H:%M:%S')}")
        if job is None:
            print("ping: could not enqueue (a job with that id exists)", file=sys.stderr)
            return EXIT_SOME_FAILED
        try:
            answer = await job.result(timeout=timeout_s, poll_delay=0.2)
        except TimeoutError:
            print(
                f"ping: no worker answered within {timeout_s:g} s; is one running?", file=sys.stderr
            )
            return EXIT_SOME_FAILED
        print(answer)
        return EXIT_OK
    finally:
        await redis.aclose()


# -- enrich FILE ------------------------------------------------------------------------------


async def _enrich_file(settings: Settings, args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    ingestor = IdentifierListIngestor(
        max_identifiers=settings.max_identifiers, max_bytes=settings.max_upload_bytes
    )
    try:
        result = ingestor.ingest_upload(args.file.name, args.file.read_bytes())
    except (OSError, EnrichError) as exc:
        print(f"cco-enrich: {args.file}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    resources = list(result.resources)
    position = {key: i for i, r in enumerate(resources) if (key := resource_key(r)) is not None}
    pending = [k for k, i in position.items() if resources[i].status is ResourceStatus.PENDING]
    duplicates = DuplicateIndex(resources)
    if not settings.mailto:
        log.warning("CCO_MAILTO is not set: Crossref's public pool is slow (1 list request/s).")

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=args.quiet,
        transient=False,
    )
    with progress:
        bar = progress.add_task(f"Resolving {len(pending)} identifiers", total=len(pending))

        async def record(outcomes: list[Outcome]) -> None:
            changed: dict[int, Resource] = {}
            for outcome in outcomes:
                i = position[outcome.doi]
                resources[i] = changed[i] = resources[i].with_outcome(outcome)
            for i, marked in duplicates.mark(resources, changed).items():
                resources[i] = marked
            progress.advance(bar, len(outcomes))

        dois = [k for k in pending if resources[position[k]].doi == k]
        others = [k for k in pending if resources[position[k]].doi != k]
        await _resolve_file(settings, dois, others, record)
    return _write_export(args, result.metadata, resources)


async def _resolve_file(
    settings: Settings, dois: list[DOI], others: list[DOI], record: OnOutcomes
) -> None:
    """The same two engines as a worker's run, without Redis: limits and caches in memory."""
    from cco_enrich.wiring import doi_resolver, open_identifier_side, registries_from_settings

    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(
            aiohttp.ClientSession(headers={"User-Agent": settings.user_agent})
        )
        registries = registries_from_settings(settings, http)
        side = await open_identifier_side(settings, stack, http, registries)
        await resolve_side_by_side(doi_resolver(registries), side.resolve, dois, others, record)


def _write_export(
    args: argparse.Namespace, metadata: dict[str, Any], resources: list[Resource]
) -> int:
    """Write the enriched CCO where asked, sum it up on stderr; the exit code says if any failed."""
    counts = StatusCounts.of(resources)
    session = Session(
        id=f"cli-{int(time.time())}",
        metadata=metadata,
        resources=resources,
        processing_status=ProcessingStatus.from_counts(counts, JobState.COMPLETED, "done"),
    )
    text, _, _ = render_export(session, args.format, include_all=args.include_all)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    summary = ", ".join(f"{n} {s.value}" for s, n in counts.by_status.items() if n)
    print(f"cco-enrich: {summary}", file=sys.stderr)
    failed = [r for r in resources if r.status is ResourceStatus.FAILED]
    for resource in failed[:20]:
        print(f"  failed: {resource.identifier}: {resource.error}", file=sys.stderr)
    return EXIT_SOME_FAILED if failed else EXIT_OK


# -- serve ------------------------------------------------------------------------------------


def _redis_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "localhost", parts.port or 6379), 0.5):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _local_redis(settings: Settings, enabled: bool) -> Iterator[None]:
    """Start a private redis-server when none answers at a local CCO_REDIS_URL (one machine)."""
    parts = urlsplit(settings.redis_url)
    binary = shutil.which("redis-server")
    if (
        not enabled
        or _redis_answers(settings.redis_url)
        or parts.hostname not in ("localhost", "127.0.0.1")
        or binary is None
    ):
        yield
        return
    data_dir = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local/share")) / "cco_enrich"
    data_dir.mkdir(parents=True, exist_ok=True)
    log.info(
        "no Redis at %s; starting one with its data in %s", settings.redis_url_redacted, data_dir
    )
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(parts.port or 6379),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data_dir),
            "--appendonly",
            "yes",
            "--save",
            "",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if _redis_answers(settings.redis_url):
                break
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(10)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    with _local_redis(settings, enabled=not args.no_local_redis):
        asyncio.run(_serve_async(settings, args.host, args.port, with_worker=not args.no_worker))
    return EXIT_OK


async def _serve_async(settings: Settings, host: str, port: int, *, with_worker: bool) -> None:
    import uvicorn
    from arq.worker import create_worker

    from cco_enrich.api import create_app
    from cco_enrich.wiring import worker_redis_settings
    from cco_enrich.worker import WorkerSettings

    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=host, port=port))
    worker = None
    if with_worker:
        worker = create_worker(
            WorkerSettings,  # type: ignore[arg-type]
            redis_settings=worker_redis_settings(settings),
            handle_signals=False,  # uvicorn owns SIGINT/SIGTERM; we stop the worker after it
            ctx={"settings": settings},
        )
    worker_task = asyncio.create_task(worker.async_run()) if worker else None
    print(f"cco_enrich {__version__}: open http://{host}:{port}/", file=sys.stderr)
    try:
        await server.serve()
    finally:
        if worker and worker_task:
            worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker_task
            await worker.close()


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m tests.standin`: serve until SIGTERM; prints `READY <port>` once listening."""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from .corpus import Corpus, make_corpus
from .limits import Policy, PoolLimit
from .server import StandinServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.standin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--corpus", type=Path, help="load a corpus written by Corpus.to_json()")
    parser.add_argument("--write-corpus", type=Path, help="also write the corpus to this file")
    parser.add_argument("--crossref", type=int, default=100, help="Crossref works")
    parser.add_argument("--datacite", type=int, default=30, help="DataCite works")
    parser.add_argument("--other", type=int, default=4, help="mEDRA and JaLC works")
    parser.add_argument("--missing", type=int, default=10, help="DOIs that exist nowhere")
    parser.add_argument("--prefixes", type=int, default=5, help="prefixes per agency")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency-base", type=float, default=0.0, metavar="S")
    parser.add_argument("--latency-per-item", type=float, default=0.0, metavar="S")
    parser.add_argument("--latency-jitter", type=float, default=0.0, metavar="S")
    parser.add_argument("--doi-rate", type=int, default=10, help="doi.org requests per second")
    parser.add_argument("--doi-in-flight", type=int, default=5, help="doi.org concurrency")
    parser.add_argument("--no-limits", action="store_true", help="count but never answer 429")
    parser.add_argument("--retry-after", action="store_true", help="send Retry-After: 1 on 429")
    parser.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="POOL=N/W[/C]",
        help="enforce N requests per W seconds and C in flight in a pool (polite-array, "
        "polite-single, public-array, public-single, datacite, doi.org); repeatable",
    )
    parser.add_argument(
        "--advertise",
        action="append",
        default=[],
        metavar="POOL=N/W[/C]",
        help="announce this in a Crossref pool's headers instead of the limit it enforces",
    )
    parser.add_argument(
        "--no-limit-headers", action="store_true", help="send no x-rate-limit-* headers"
    )
    parser.add_argument(
        "--hold-abandoned",
        action="store_true",
        help="a request whose client left keeps counting in flight until its answer was due",
    )
    return parser


def _pool_limits(pairs: list[str]) -> dict[str, list[str]]:
    limits: dict[str, list[str]] = {}
    for pair in pairs:
        pool, _, limit = pair.partition("=")
        if not limit:
            raise SystemExit(f"--limit/--advertise takes POOL=N/W[/C], not {pair!r}")
        limits[pool] = limit.split("/")
    return limits


def _corpus(args: argparse.Namespace) -> Corpus:
    if args.corpus is not None:
        return Corpus.from_json(args.corpus.read_text(encoding="utf-8"))
    return make_corpus(
        args.crossref,
        args.datacite,
        args.other,
        args.missing,
        seed=args.seed,
        n_prefixes=args.prefixes,
    )


async def _serve(corpus: Corpus, policy: Policy, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with StandinServer(corpus, policy, host=host, port=port) as server:
        print(f"READY {server.port}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build or load the corpus, serve until SIGTERM or SIGINT."""
    args = _parser().parse_args(argv)
    corpus = _corpus(args)
    if args.write_corpus is not None:
        args.write_corpus.write_text(corpus.to_json(), encoding="utf-8")
    policy = Policy(
        limits_enabled=not args.no_limits,
        retry_after=args.retry_after,
        latency_base_s=args.latency_base,
        latency_per_item_s=args.latency_per_item,
        latency_jitter_s=args.latency_jitter,
        doi_org=PoolLimit(args.doi_rate, 1.0, args.doi_in_flight),
        seed=args.seed,
        limit_headers=not args.no_limit_headers,
        hold_abandoned=args.hold_abandoned,
    )
    try:
        policy = policy.changed(
            {"limits": _pool_limits(args.limit), "advertise": _pool_limits(args.advertise)}
        )
    except ValueError as exc:
        raise SystemExit(f"python -m tests.standin: {exc}") from None
    asyncio.run(_serve(corpus, policy, args.host, args.port))


if __name__ == "__main__":
    main()

"""StandinServer: the stand-in app listening on 127.0.0.1, for one test or one process."""

from __future__ import annotations

import time
from types import TracebackType

from aiohttp import web

from .app import STATE, StandinState, create_standin_app
from .corpus import Corpus
from .limits import Clock, FaultKind, Faults, Policy
from .stats import Stats

# Request lines up to doi.org's ~8 KB must reach our own 414 logic, not aiohttp's parser limit.
_MAX_LINE_BYTES = 65536
_SHUTDOWN_TIMEOUT_S = 1.0


class StandinServer:
    """`async with StandinServer(corpus, policy) as server:` serves on a free port meanwhile."""

    def __init__(
        self,
        corpus: Corpus,
        policy: Policy | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.app = create_standin_app(corpus, policy, clock=clock)
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen; `port` becomes the bound port."""
        runner = web.AppRunner(
            self.app,
            handler_cancellation=True,  # a client that gives up frees its in-flight slot
            access_log=None,
            max_line_size=_MAX_LINE_BYTES,
            max_field_size=_MAX_LINE_BYTES,
            shutdown_timeout=_SHUTDOWN_TIMEOUT_S,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def close(self) -> None:
        """Stop listening; requests held by a "timeout" fault end at once."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> StandinServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def state(self) -> StandinState:
        return self.app[STATE]

    @property
    def corpus(self) -> Corpus:
        return self.state.corpus

    @property
    def policy(self) -> Policy:
        return self.state.policy

    @property
    def stats(self) -> Stats:
        return self.state.stats

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def crossref_url(self) -> str:
        return f"{self.base_url}/crossref"

    @property
    def datacite_url(self) -> str:
        return f"{self.base_url}/datacite"

    @property
    def doi_url(self) -> str:
        return f"{self.base_url}/doi"

    def env(self) -> dict[str, str]:
        """The CCO_* settings that point cco_enrich at this server."""
        return {
            "CCO_CROSSREF_URL": self.crossref_url,
            "CCO_DATACITE_URL": self.datacite_url,
            "CCO_DOI_URL": self.doi_url,
        }

    def add_fault(self, pool: str, kind: FaultKind | str, count: int = 1) -> None:
        """Make the next `count` requests of `pool` fail (see limits.FAULT_POOLS)."""
        self.faults.add(pool, kind, count)

    def set_policy(self, **changes: object) -> None:
        """Change the policy while serving, as POST /_standin/policy does (Policy.changed)."""
        self.state.policy = self.state.policy.changed(changes)

    def reset(self) -> None:
        """Clear stats, queued faults and rate windows, as POST /_standin/reset does."""
        self.state.reset()

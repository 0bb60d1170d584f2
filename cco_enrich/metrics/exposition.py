"""Metrics as Prometheus text: which registry, merged with what, behind which token.

One process, one registry: prometheus_client's default `REGISTRY`. When PROMETHEUS_MULTIPROC_DIR
is set (the API run as several processes of one server, `uvicorn --workers N`), every process
writes its values to files there and a scrape of any of them adds them all up instead.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from cco_enrich.metrics import POOL_LIMITS

MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST


def process_registry() -> Collector:
    """This process's metrics; those of every process on the host in multiprocess mode."""
    if os.environ.get(MULTIPROCESS_DIR_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(POOL_LIMITS)  # read live from this process's limiters, not from files
        return registry
    return REGISTRY


class _Merged(Collector):
    """A registry's metrics with some families replaced (same name) or added."""

    def __init__(self, base: Collector, extra: Iterable[Metric]) -> None:
        self.base = base
        self.extra = list(extra)

    def collect(self) -> Iterable[Metric]:
        replaced = {family.name for family in self.extra}
        for family in self.base.collect():
            if family.name not in replaced:
                yield family
        yield from self.extra


def render(base: Collector, extra: Iterable[Metric] = ()) -> bytes:
    """Prometheus text of `base`, where a family of `extra` wins over one of the same name."""
    return generate_latest(_Merged(base, extra))


def is_authorised(authorization: str | None, token: str | None) -> bool:
    """Whether an Authorization header carries the bearer token (always, when none is set)."""
    if not token:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


UNAUTHORISED_MESSAGE = (
    "The metrics need the CCO_METRICS_TOKEN: send `Authorization: Bearer TOKEN` "
    "(Prometheus: `authorization: {credentials: TOKEN}` in the scrape config)."
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="cco_enrich metrics"'}

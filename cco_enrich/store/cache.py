"""Caches shared by every worker: outcomes per DOI, and registration agency per DOI prefix.

`RedisPrefixCache` implements registries' `PrefixCache` Protocol; `OutcomeCache` is what the
runner consults before looking a DOI up.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from redis.asyncio import Redis

from cco_enrich import metrics
from cco_enrich.doi import DOI
from cco_enrich.models import Outcome, ResourceStatus, Work
from cco_enrich.store.connection import as_text
from cco_enrich.store.keys import OUTCOME_KEY, PREFIX_KEY

log = logging.getLogger(__name__)

NOT_FOUND_MARK = "!not_found:"  # a Work is stored as its JSON, which never starts like this


class OutcomeCache:
    """Resolved metadata per DOI, fresh for `ttl_s`; `not_found` answers for a shorter time.

    Failures are never cached: a DOI that failed is worth asking again.
    """

    def __init__(self, redis: Redis, *, ttl_s: int, not_found_ttl_s: int) -> None:
        self.redis = redis
        self.ttl_s = ttl_s
        self.not_found_ttl_s = not_found_ttl_s

    async def get_many(self, dois: Sequence[DOI]) -> dict[DOI, Outcome]:
        """The cached outcomes of those DOIs that have one."""
        if not dois:
            return {}
        raws = await self.redis.mget([OUTCOME_KEY.format(doi=d) for d in dois])
        found: dict[DOI, Outcome] = {}
        for doi, raw in zip(dois, raws, strict=True):
            if raw is None:
                continue
            try:
                found[doi] = _decode(doi, raw)
            except ValueError:  # an entry we cannot read (older format, corrupt): a miss
                log.warning("cache entry of %s is unreadable; looking it up again", doi)
        metrics.cache_lookups(hits=len(found), misses=len(dois) - len(found))
        return found

    async def put_many(self, outcomes: Sequence[Outcome]) -> None:
        """Remember enriched and not_found outcomes."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for outcome in outcomes:
                key = OUTCOME_KEY.format(doi=outcome.doi)
                if outcome.status is ResourceStatus.ENRICHED and outcome.work is not None:
                    pipe.set(key, outcome.work.model_dump_json(), ex=self.ttl_s)
                elif outcome.status is ResourceStatus.NOT_FOUND:
                    reason = outcome.error or ""
                    pipe.set(key, NOT_FOUND_MARK + reason, ex=self.not_found_ttl_s)
            await pipe.execute()


def _decode(doi: DOI, raw: bytes | str) -> Outcome:
    text = as_text(raw)
    if text.startswith(NOT_FOUND_MARK):
        return Outcome.not_found(doi, text[len(NOT_FOUND_MARK) :] or "no registry knows this DOI")
    return Outcome.enriched(Work.model_validate_json(text))


class RedisPrefixCache:
    """DOI prefix -> registration agency name (as doi.org spells it), shared by every worker."""

    def __init__(self, redis: Redis, *, ttl_s: int) -> None:
        self.redis = redis
        self.ttl_s = ttl_s

    async def get_many(self, prefixes: Sequence[str]) -> dict[str, str]:
        if not prefixes:
            return {}
        raws = await self.redis.mget([PREFIX_KEY.format(prefix=p) for p in prefixes])
        return {p: as_text(r) for p, r in zip(prefixes, raws, strict=True) if r is not None}

    async def set_many(self, agencies: Mapping[str, str]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for prefix, agency in agencies.items():
                pipe.set(PREFIX_KEY.format(prefix=prefix), agency, ex=self.ttl_s)
            await pipe.execute()

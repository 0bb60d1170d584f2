"""The shared caches: outcomes per DOI and registration agencies per DOI prefix."""

from __future__ import annotations

from arq.connections import ArqRedis

from cco_enrich.doi import DOI
from cco_enrich.models import Outcome, ResourceStatus, Work
from cco_enrich.store import OutcomeCache, RedisPrefixCache


async def test_enriched_and_not_found_outcomes_come_back_failures_do_not(
    fake_redis: ArqRedis,
) -> None:
    cache = OutcomeCache(fake_redis, ttl_s=60, not_found_ttl_s=10)
    work = Work(doi="10.1000/1", registry="crossref", title="A title")
    await cache.put_many(
        [
            Outcome.enriched(work),
            Outcome.not_found(DOI("10.1000/2"), "doi.org: DOI does not exist"),
            Outcome.failed(DOI("10.1000/3"), "timeout"),
        ]
    )
    found = await cache.get_many([DOI("10.1000/1"), DOI("10.1000/2"), DOI("10.1000/3")])
    assert list(found) == ["10.1000/1", "10.1000/2"]
    assert found[DOI("10.1000/1")].work == work
    assert found[DOI("10.1000/2")].status is ResourceStatus.NOT_FOUND
    assert 0 < await fake_redis.ttl("cco:cache:doi:10.1000/2") <= 10
    assert 10 < await fake_redis.ttl("cco:cache:doi:10.1000/1") <= 60


async def test_an_unreadable_cache_entry_is_a_miss(fake_redis: ArqRedis) -> None:
    cache = OutcomeCache(fake_redis, ttl_s=60, not_found_ttl_s=10)
    await fake_redis.set("cco:cache:doi:10.1000/1", b'{"work": "from an older release"}')
    await cache.put_many([Outcome.not_found(DOI("10.1000/2"), "doi.org: DOI does not exist")])
    found = await cache.get_many([DOI("10.1000/1"), DOI("10.1000/2")])
    assert list(found) == ["10.1000/2"]
    assert found[DOI("10.1000/2")].error == "doi.org: DOI does not exist"


async def test_prefix_cache_remembers_agencies_for_its_ttl(fake_redis: ArqRedis) -> None:
    cache = RedisPrefixCache(fake_redis, ttl_s=60)
    assert await cache.get_many([]) == {}
    await cache.set_many({"10.1000": "Crossref", "10.5061": "DataCite"})
    assert await cache.get_many(["10.1000", "10.5061", "10.9999"]) == {
        "10.1000": "Crossref",
        "10.5061": "DataCite",
    }
    assert 0 < await fake_redis.ttl("cco:cache:prefix:10.1000") <= 60

"""The outbound guard: every spelling of a refused address refused, before any packet is sent.

Requests only ever go to loopback: refusals of other ranges are shown by the pure checks and
by a fake resolver, never by aiming a request at them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from cco_enrich.errors import OutboundRefusedError, TooManyRedirectsError
from cco_enrich.landing import LandingFetcher, LandingStatus
from cco_enrich.models import ProcessingStatus
from cco_enrich.outbound import (
    GuardedResolver,
    OutboundPolicy,
    check_url,
    create_outbound_session,
    get_following_redirects,
    parse_ip_literal,
    resolve_checked,
)
from cco_enrich.webhooks import WebhookSender
from tests.fake_dns import FakeResolver
from tests.standin.landing import LandingServer, Page

LOOPBACK_SPELLINGS = [
    "localhost",
    "localhost.",
    "LocalHost",
    "api.localhost",
    "localhost.localdomain",
    "127.0.0.1",
    "127.0.0.1.",
    "127.1",
    "127.0.1",
    "2130706433",
    "0x7f000001",
    "0x7F.0.0.1",
    "0177.0.0.1",
    "017700000001",
    "127.000.000.001",
    "１２７.０.０.１",
    "127。0。0。1",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",
    "[64:ff9b::127.0.0.1]",
    "[2002:7f00:1::]",
]
ONLY_LOOPBACK = OutboundPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_loopback_spelling_is_refused(host: str) -> None:
    with pytest.raises(OutboundRefusedError, match="CCO_OUTBOUND_ALLOW_PRIVATE"):
        check_url(f"http://{host}:8080/page", allow_private=False)


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_loopback_spellings_pass_when_private_addresses_are_allowed(host: str) -> None:
    assert check_url(f"http://{host}:8080/page", allow_private=True).path == "/page"


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.10.10", "link-local"),
        ("[fe80::1%25eth0]", "link-local"),
        ("[fc00::5]", "unique-local"),
        ("[fd12:3456::1]", "unique-local"),
        ("100.64.0.1", "CGNAT"),
        ("240.0.0.1", "reserved"),
        ("198.18.0.1", "private"),
        ("[::ffff:192.168.0.1]", "embeds 192.168.0.1"),
        ("[2002:c0a8:101::]", "embeds 192.168.1.1"),
        ("0x0a000001", "private"),
    ],
)
def test_private_ranges_are_refused_in_any_spelling(host: str, kind: str) -> None:
    with pytest.raises(OutboundRefusedError, match=re.escape(kind)):
        check_url(f"https://{host}/", allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://2852039166/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://metadata.google.internal./computeMetadata/v1/",
        "http://0.0.0.0:8000/",
        "http://[::]/",
        "http://224.0.0.251/",
    ],
)
def test_metadata_unspecified_and_multicast_are_refused_even_when_private_is_allowed(
    url: str,
) -> None:
    with pytest.raises(OutboundRefusedError) as refused:
        check_url(url, allow_private=True)
    assert "CCO_OUTBOUND_ALLOW_PRIVATE" not in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/file",
        "file:///etc/passwd",
        "gopher://example.org/",
        "javascript:alert(1)",
        "http://user:secret@example.org/",
        "http://example.org@127.0.0.1/",
        "http:///no-host",
        "not a url",
        "http://example.org:99999/",
    ],
)
def test_other_schemes_user_information_and_broken_urls_are_refused(url: str) -> None:
    with pytest.raises(OutboundRefusedError):
        check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.ncei.noaa.gov/archive/accession/242273",
        "http://8.8.8.8/",
        "http://[2001:4860::8888]/",
    ],
)
def test_public_urls_pass(url: str) -> None:
    assert check_url(url, allow_private=False).host


def test_parse_ip_literal_reads_inet_aton_forms_and_leaves_names_alone() -> None:
    assert parse_ip_literal("0x7f.1") == ipaddress.ip_address("127.0.0.1")
    assert parse_ip_literal("3232235777") == ipaddress.ip_address("192.168.1.1")
    assert parse_ip_literal("256.1.1.1") is None
    assert parse_ip_literal("1.2.3.4.5") is None
    assert parse_ip_literal("08.1.1.1") is None  # not octal, not decimal: a (bad) name
    assert parse_ip_literal("example.org") is None


async def test_resolved_addresses_are_all_checked() -> None:
    """One private address among public ones refuses the name (no address is picked)."""
    fake = FakeResolver(
        {"mixed.example": ["93.184.216.34", "127.0.0.1"], "public.example": ["93.184.216.34"]}
    )
    resolver = GuardedResolver(OutboundPolicy(), fake)
    with pytest.raises(OutboundRefusedError, match=re.escape("127.0.0.1 is a loopback")):
        await resolver.resolve("mixed.example", 80)
    assert [r["host"] for r in await resolver.resolve("public.example", 80)] == ["93.184.216.34"]
    for name in ("localhost", "metadata.google.internal"):
        with pytest.raises(OutboundRefusedError):
            await resolver.resolve(name, 80)
    assert fake.calls == ["mixed.example", "public.example"]  # names refused unresolved


async def test_resolve_checked_refuses_a_name_that_resolves_to_an_embedded_private_address() -> (
    None
):
    fake = FakeResolver({"sneaky.example": ["::ffff:10.0.0.1"]})
    with pytest.raises(OutboundRefusedError, match=re.escape("embeds 10.0.0.1")):
        await resolve_checked("https://sneaky.example/", OutboundPolicy(), fake)


@pytest.fixture
async def standin() -> AsyncIterator[LandingServer]:
    async with LandingServer(limits=False) as server:
        yield server


@pytest.fixture
async def second_loopback() -> AsyncIterator[LandingServer]:
    """A stand-in on 127.0.0.2: loopback too, but outside ONLY_LOOPBACK's allowed network."""
    async with LandingServer("127.0.0.2", limits=False) as server:
        yield server


@pytest.mark.parametrize("host", [h for h in LOOPBACK_SPELLINGS if "localhost" not in h.lower()])
async def test_a_refused_url_is_never_requested(standin: LandingServer, host: str) -> None:
    url = f"http://{host}:{standin.port}/landing/data.example.org/dataset/3300"
    async with create_outbound_session(OutboundPolicy()) as http:
        with pytest.raises(OutboundRefusedError):
            await http.get(url)
        result = await LandingFetcher(http).fetch(url)
    assert result.status is LandingStatus.SKIPPED
    assert standin.state.requests == []


async def test_a_name_resolving_to_loopback_is_never_requested(standin: LandingServer) -> None:
    fake = FakeResolver({"www.ncei.noaa.gov": ["127.0.0.1"]})
    url = f"http://www.ncei.noaa.gov:{standin.port}/archive/accession/GOMMAPPS"
    async with create_outbound_session(OutboundPolicy(), resolver=fake) as http:
        with pytest.raises(OutboundRefusedError, match=re.escape("resolves to 127.0.0.1")):
            await http.get(url)
    assert fake.calls == ["www.ncei.noaa.gov"]
    assert standin.state.requests == []


async def test_the_connection_goes_to_the_checked_address(
    standin: LandingServer, second_loopback: LandingServer
) -> None:
    """The guarded resolver's answer is what aiohttp connects to: allowed reaches the stand-in,
    a name moved to a refused address (DNS rebinding) reaches nothing."""
    fake = FakeResolver({"www.ncei.noaa.gov": ["127.0.0.1"], "rebound.example": ["127.0.0.2"]})
    async with create_outbound_session(ONLY_LOOPBACK, resolver=fake) as http:
        url = f"http://www.ncei.noaa.gov:{standin.port}/archive/accession/GOMMAPPS"
        async with http.get(url) as response:
            assert response.status == 200
        with pytest.raises(OutboundRefusedError):
            await http.get(f"http://rebound.example:{second_loopback.port}/")
    assert standin.state.hosts_seen() == ["www.ncei.noaa.gov"]
    assert second_loopback.state.requests == []


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.2:{port}/", "http://2130706434:{port}/", "http://[::ffff:127.0.0.2]:{port}/"],
)
async def test_each_redirect_hop_is_checked(
    standin: LandingServer, second_loopback: LandingServer, target: str
) -> None:
    location = target.format(port=second_loopback.port) + "landing/data.example.org/dataset/3300"
    standin.state.pages[("pages.example.org", "/away")] = Page(status=302, location=location)
    url = standin.url("pages.example.org", "/away")
    async with create_outbound_session(ONLY_LOOPBACK) as http:
        with pytest.raises(OutboundRefusedError):
            async with get_following_redirects(http, url, ONLY_LOOPBACK):
                pass
        with pytest.raises(OutboundRefusedError):  # aiohttp's own redirects: the middleware
            await http.get(url)
        result = await LandingFetcher(http, outbound=ONLY_LOOPBACK).fetch(url)
    assert result.status is LandingStatus.SKIPPED
    assert "127.0.0.2" in (result.reason or "")
    assert [r.path for r in standin.state.requests] == ["/away"] * 3
    assert second_loopback.state.requests == []


async def test_redirects_stop_after_ten_hops(standin: LandingServer) -> None:
    policy = OutboundPolicy(allow_private=True)
    async with create_outbound_session(policy) as http:
        async with get_following_redirects(
            http, standin.url("pages.example.org", "/hops/10"), policy
        ) as final:
            assert final.response.status == 200
            assert len(final.redirects) == 10
        with pytest.raises(TooManyRedirectsError):
            async with get_following_redirects(
                http, standin.url("pages.example.org", "/hops/11"), policy
            ):
                pass


async def test_a_webhook_to_a_name_resolving_to_loopback_is_not_sent(
    standin: LandingServer,
) -> None:
    fake = FakeResolver({"hooks.example": ["127.0.0.1"]})
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(http, secret=None, allow_private=False, resolver=fake)
        url = f"http://hooks.example:{standin.port}/landing/hook"
        assert not (await sender.send(url, "session-1", ProcessingStatus())).delivered
    assert fake.calls == ["hooks.example"]
    assert standin.state.requests == []


async def test_resolve_checked_takes_literals_as_they_are_and_names_from_the_system() -> None:
    allowed = OutboundPolicy(allow_private=True)
    assert await resolve_checked("http://127.0.0.1:9/", allowed) == ["127.0.0.1"]
    # "localhost" comes from /etc/hosts: no query leaves the machine.
    assert set(await resolve_checked("http://localhost:9/", allowed)) <= {"127.0.0.1", "::1"}


async def test_a_redirect_to_something_that_is_not_a_url_is_refused(standin: LandingServer) -> None:
    standin.state.pages[("pages.example.org", "/bad")] = Page(status=302, location="http://[::1")
    async with create_outbound_session(ONLY_LOOPBACK) as http:
        with pytest.raises(OutboundRefusedError, match="not a URL"):
            async with get_following_redirects(
                http, standin.url("pages.example.org", "/bad"), ONLY_LOOPBACK
            ):
                pass

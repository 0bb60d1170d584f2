"""The outbound guard's rules: which URLs, host names and addresses we may connect to. Pure.

Refused, in every spelling (every address a name resolves to is checked by the caller):
- always: cloud metadata endpoints (169.254.169.254, fd00:ec2::254, metadata.google.internal, ...),
  unspecified (0.0.0.0, ::) and multicast addresses;
- unless `allow_private` (CCO_OUTBOUND_ALLOW_PRIVATE): loopback, private, link-local, unique-local
  (fc00::/7), reserved, CGNAT (100.64.0.0/10) and every other non-global range, `localhost` and
  its subdomains, and IPv6 addresses that embed such an IPv4 address (IPv4-mapped, -compatible,
  6to4, NAT64, Teredo);
- always: schemes other than http and https, and URLs with user information.

Legacy IPv4 spellings (`127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`) are read the way
inet_aton reads them, so they are checked as the address a resolver would connect to.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from yarl import URL

from cco_enrich.errors import OutboundRefusedError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS Route 53 resolver
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure WireServer (a public address)
        "fd00:ec2::254",  # AWS IMDS over IPv6
    )
)
METADATA_NAMES = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_PART = re.compile(r"^(?:0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$")
# IDNA maps these to "." before a resolver ever sees them.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address `host` spells, in any form a resolver accepts, or None for a host name.

    Reads `[::1]`, zone ids (`fe80::1%eth0`), full-width digits, and inet_aton's legacy IPv4
    forms: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x), the last filling the rest.
    """
    text = unicodedata.normalize("NFKC", host).translate(_DOTS).strip().strip("[]")
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.split("%", 1)[0])
        except ValueError:
            return None
    parts = text[:-1].split(".") if text.endswith(".") else text.split(".")
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART.match(part) for part in parts):
        return None
    numbers = [_inet_aton_number(part) for part in parts]
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for i, number in enumerate(leading):
        value += number << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _inet_aton_number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, 6to4, NAT64, Teredo)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def refusal_reason(
    ip: IPAddress, *, allow_private: bool, allowed: Collection[IPNetwork] = ()
) -> str | None:
    """Why we will not connect to `ip`, or None when we may.

    `allowed` networks pass even when private (an intranet's hosts); never a metadata address.
    """
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if ip.is_unspecified or (ip.version == 4 and ip in _THIS_NETWORK):
        return f"{ip} is an unspecified address"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in _embedded_ipv4(ip):
            reason = refusal_reason(inner, allow_private=allow_private, allowed=allowed)
            if reason is not None:
                return f"{ip} embeds {inner}: {reason}"
    if allow_private or any(ip in network for network in allowed):
        return None
    kinds = (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("unique-local", ip.version == 6 and ip in _UNIQUE_LOCAL),
        ("shared (CGNAT)", ip.version == 4 and ip in _CGNAT),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("NAT64 local-use", ip.version == 6 and ip in _NAT64_LOCAL),
        ("non-global", not ip.is_global),
    )
    for kind, matches in kinds:
        if matches:
            return f"{ip} is a {kind} address"
    return None


def _normalise_host_name(host: str) -> str:
    text = unicodedata.normalize("NFKC", host).translate(_DOTS).strip().lower()
    return text.rstrip(".")


def host_refusal_reason(
    host: str, *, allow_private: bool, allowed: Collection[IPNetwork] = ()
) -> str | None:
    """Why we will not connect to `host` before resolving it (a name or an address literal)."""
    ip = parse_ip_literal(host)
    if ip is not None:
        return refusal_reason(ip, allow_private=allow_private, allowed=allowed)
    name = _normalise_host_name(host)
    if not name:
        return "the URL has no host"
    if name in METADATA_NAMES:
        return f"{name!r} is a cloud metadata host"
    if not allow_private and (name in LOOPBACK_NAMES or name.endswith(".localhost")):
        return f"{name!r} is a loopback host name"
    return None


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """What the guard allows; `allow_private` comes from CCO_OUTBOUND_ALLOW_PRIVATE.

    `allowed_networks` pass even when private (one intranet range, or a test's 127.0.0.1/32)
    while the rest stay refused; cloud metadata addresses are refused whatever is allowed.
    """

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def host_refusal(self, host: str) -> str | None:
        """Why `host` (a name or an address literal) is refused before resolution, or None."""
        return host_refusal_reason(
            host, allow_private=self.allow_private, allowed=self.allowed_networks
        )

    def address_refusal(self, ip: IPAddress) -> str | None:
        """Why a resolved address is refused, or None."""
        return refusal_reason(ip, allow_private=self.allow_private, allowed=self.allowed_networks)

    def check_url(self, url: str | URL) -> URL:
        """`url` parsed (as aiohttp will parse it), if we may fetch it.

        Raises:
            OutboundRefusedError: not http(s), user information, no host, or a refused host.
        """
        try:
            parsed = url if isinstance(url, URL) else URL(url.strip())
        except (ValueError, TypeError) as exc:
            raise OutboundRefusedError(str(url), "it is not a URL we can read") from exc
        if parsed.scheme not in ALLOWED_SCHEMES:
            raise OutboundRefusedError(str(url), "only http:// and https:// URLs are fetched")
        if parsed.user is not None or parsed.password is not None or "@" in parsed.raw_authority:
            raise OutboundRefusedError(str(url), "URLs with user information are not fetched")
        if not parsed.raw_host:
            raise OutboundRefusedError(str(url), "the URL has no host")
        try:
            parsed.port  # noqa: B018  (a malformed port raises here, before any request)
        except ValueError as exc:
            raise OutboundRefusedError(str(url), "the URL has an invalid port") from exc
        reason = self.host_refusal(parsed.raw_host)
        if reason is not None:
            raise OutboundRefusedError(
                str(url), reason, allowable=self.would_allow_when_private(parsed.raw_host)
            )
        return parsed

    def would_allow_when_private(self, host: str) -> bool:
        """Whether CCO_OUTBOUND_ALLOW_PRIVATE would let `host` through (for the message)."""
        return not self.allow_private and host_refusal_reason(host, allow_private=True) is None

    def check_addresses(self, host: str, addresses: Sequence[str]) -> None:
        """Refuse `host` unless every address it resolved to is allowed.

        Raises:
            OutboundRefusedError: one of the addresses is refused, or there are none.
        """
        if not addresses:
            raise OutboundRefusedError(host, "it resolved to no address")
        for address in addresses:
            ip = parse_ip_literal(address)
            reason = f"{address!r} is not an address" if ip is None else self.address_refusal(ip)
            if reason is not None:
                raise OutboundRefusedError(
                    host,
                    f"it resolves to {reason}",
                    allowable=self.would_allow_when_private(address),
                )


def check_url(url: str | URL, *, allow_private: bool) -> URL:
    """`url` parsed, if the guard allows it (see OutboundPolicy.check_url)."""
    return OutboundPolicy(allow_private).check_url(url)

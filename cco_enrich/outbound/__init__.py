"""The outbound guard shared by landing pages and webhooks: what we may fetch, and how.

policy.py   OutboundPolicy.check_url(), check_addresses(): the rules, pure
http.py     create_outbound_session(), get_following_redirects(), resolve_checked(): in aiohttp
"""

from __future__ import annotations

from cco_enrich.outbound.http import (
    MAX_REDIRECTS,
    FinalResponse,
    GuardedResolver,
    create_outbound_session,
    get_following_redirects,
    guard_middleware,
    resolve_checked,
)
from cco_enrich.outbound.policy import (
    IPAddress,
    IPNetwork,
    OutboundPolicy,
    check_url,
    host_refusal_reason,
    parse_ip_literal,
    refusal_reason,
)

__all__ = [
    "MAX_REDIRECTS",
    "FinalResponse",
    "GuardedResolver",
    "IPAddress",
    "IPNetwork",
    "OutboundPolicy",
    "check_url",
    "create_outbound_session",
    "get_following_redirects",
    "guard_middleware",
    "host_refusal_reason",
    "parse_ip_literal",
    "refusal_reason",
    "resolve_checked",
]

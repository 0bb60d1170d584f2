"""Settings(BaseSettings): every CCO_* environment variable, read once by the entry points."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cco_enrich._version import __version__


class Settings(BaseSettings):
    """Configuration from the environment (prefix CCO_); tests build it with keyword arguments."""

    model_config = SettingsConfigDict(env_prefix="CCO_", extra="ignore", populate_by_name=True)

    redis_url: str = "redis://localhost:6379/0"
    # Sentinel: "host:port,host:port,..." finds the primary of `redis_sentinel_master` through
    # them (then redis_url gives only the database and password); empty: redis_url's host.
    redis_sentinels: str | None = None
    redis_sentinel_master: str = "mymaster"
    crossref_url: str = "https://api.crossref.org"
    datacite_url: str = "https://api.datacite.org"
    doi_url: str = "https://doi.org"
    mailto: str | None = None
    session_ttl_s: int = 604_800
    cache_ttl_s: int = 604_800
    not_found_cache_ttl_s: int = 86_400

    # The one source of pool limits: published limits (Crossref, Dec 2025; DataCite's tiers),
    # polite with CCO_MAILTO, public without; upstream rate-limit headers win at run time.
    crossref_single_per_s: int = 10
    crossref_single_in_flight: int = 3
    crossref_list_per_s: int = 3
    crossref_list_in_flight: int = 3
    crossref_public_single_per_s: int = 5
    crossref_public_list_per_s: int = 1
    crossref_public_in_flight: int = 1
    datacite_per_5min: int = 1000
    datacite_public_per_5min: int = 500
    datacite_in_flight: int = 3
    doi_org_per_s: int = 10
    doi_org_in_flight: int = 5
    shared_limits: bool = True

    request_timeout_s: float = 30.0
    retry_attempts: int = 6
    retry_wait_initial_s: float = 1.0
    retry_wait_max_s: float = 60.0

    max_upload_bytes: int = 5_000_000
    max_identifiers: int = 10_000
    small_session_max: int = 50
    # Sessions are coroutines sharing one batcher per source: a worker holds many small ones.
    worker_max_jobs: int = 100
    # A dead worker's session is taken over about this long after its last renewal (renewed
    # every lease_ttl_s / 6; see docs/reliability.md).
    lease_ttl_s: float = 3.0
    stop_grace_s: float = 8.0  # SIGTERM: requests in flight get this long to land
    webhook_secret: SecretStr | None = None
    # Landing pages and webhooks share one outbound guard (cco_enrich/outbound/).
    outbound_allow_private: bool = Field(
        default=False,
        validation_alias=AliasChoices("CCO_OUTBOUND_ALLOW_PRIVATE", "CCO_WEBHOOK_ALLOW_PRIVATE"),
    )
    landing_max_bytes: int = 2_000_000
    landing_timeout_s: float = 15.0
    landing_per_host_per_s: float = 1.0
    landing_in_flight_per_host: int = 2
    # Identifier services and their pools (`ncbi`: esummary and the ID Converter together).
    ncbi_eutils_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
    ncbi_idconv_url: str = "https://pmc.ncbi.nlm.nih.gov/tools/idconv/api/v1/articles/"
    ncbi_api_key: SecretStr | None = None
    ncbi_per_s: int = 3  # NCBI's limit per IP
    ncbi_api_key_per_s: int = 10  # NCBI's limit per API key
    ncbi_in_flight: int = 3
    openlibrary_url: str = "https://openlibrary.org"
    openlibrary_per_s: int = 1
    openlibrary_in_flight: int = 1
    handle_url: str = "https://hdl.handle.net"
    handle_per_s: int = 10  # the Handle proxy publishes no limit
    handle_in_flight: int = 5
    ark_resolver_url: str = "https://n2t.net"
    ark_per_s: int = 10  # n2t.net publishes no limit
    ark_in_flight: int = 5
    admin_token: SecretStr | None = None
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one JSON object a line (logs.py)

    @model_validator(mode="before")
    @classmethod
    def _accept_old_names(cls, data: Any) -> Any:
        # Settings(webhook_allow_private=True), from before the guard was shared, still works.
        if isinstance(data, dict) and "webhook_allow_private" in data:
            data = dict(data)
            data.setdefault("outbound_allow_private", data.pop("webhook_allow_private"))
        return data

    @property
    def webhook_allow_private(self) -> bool:
        """The old name of `outbound_allow_private`."""
        return self.outbound_allow_private

    # Who may call the API and how much (docs: README "Security").
    api_token: SecretStr | None = None
    cors_origins: str | None = None  # a comma list; unset or empty: no CORS headers at all
    rate_limit_per_min: int | None = None  # session creations per client address; None/0: off
    max_queued_sessions: int | None = None  # sessions waiting for a worker; None/0: off
    body_timeout_s: float = 30.0  # a request body must arrive within this (slow-loris guard)
    # Metrics (issue 12): workers serve theirs on this port when set (the next free one when it
    # is taken, any free one for 0); the API serves /metrics on its own port.
    worker_metrics_port: int | None = Field(default=None, ge=0, le=65535)
    worker_metrics_host: str = "0.0.0.0"
    metrics_token: SecretStr | None = None

    @field_validator("redis_sentinels")
    @classmethod
    def _check_sentinels(cls, value: str | None) -> str | None:
        parse_addresses(value or "")  # raises on a bad entry, at start rather than at first use
        return value

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        """CCO_REDIS_SENTINELS as (host, port) pairs; empty without Sentinel."""
        return parse_addresses(self.redis_sentinels or "")

    @property
    def user_agent(self) -> str:
        """The User-Agent sent upstream; with a mailto: it puts us in Crossref's polite pool."""
        contact = f"; mailto:{self.mailto}" if self.mailto else ""
        return f"cco_enrich/{__version__} (https://github.com/cco-enrich/cco_enrich{contact})"

    @property
    def is_polite(self) -> bool:
        return bool(self.mailto)

    def secret_values(self) -> list[str]:
        """Every configured secret, so the log formatter masks it wherever it turns up."""
        secrets = [v.get_secret_value() for v in dict(self).values() if isinstance(v, SecretStr)]
        password = urlsplit(self.redis_url).password
        return [s for s in (*secrets, password) if s]

    @property
    def redis_url_redacted(self) -> str:
        """CCO_REDIS_URL with its password replaced by '***', for logs and messages."""
        return redact_url(self.redis_url)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # The Redis URL may carry a password; SecretStr fields hide themselves already.
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if name == "redis_url" else value


def redact_url(url: str) -> str:
    """`url` with the password of its user info replaced by '***' (unchanged when it has none)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:***" if parts.username else ":***"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


def parse_addresses(text: str) -> list[tuple[str, int]]:
    """'a:26379,[::1]:26380' -> [("a", 26379), ("::1", 26380)].

    Raises:
        ValueError: an entry without a port number.
    """
    addresses = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit():
            msg = f"{entry!r} is not host:port; expected e.g. 'sentinel-1:26379'"
            raise ValueError(msg)
        addresses.append((host.strip("[]"), int(port)))
    return addresses


__all__ = ["Settings", "parse_addresses", "redact_url"]

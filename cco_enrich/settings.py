"""Settings(BaseSettings): every CCO_* environment variable, read once by the entry points."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from cco_enrich._version import __version__


class Settings(BaseSettings):
    """Configuration from the environment (prefix CCO_); tests build it with keyword arguments."""

    model_config = SettingsConfigDict(env_prefix="CCO_", extra="ignore")

    redis_url: str = "redis://localhost:6379/0"
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
    lease_ttl_s: float = 15.0
    stop_grace_s: float = 8.0  # SIGTERM: requests in flight get this long to land
    webhook_secret: SecretStr | None = None
    webhook_allow_private: bool = False
    admin_token: SecretStr | None = None
    log_level: str = "INFO"

    @property
    def user_agent(self) -> str:
        """The User-Agent sent upstream; with a mailto: it puts us in Crossref's polite pool."""
        contact = f"; mailto:{self.mailto}" if self.mailto else ""
        return f"cco_enrich/{__version__} (https://github.com/cco-enrich/cco_enrich{contact})"

    @property
    def is_polite(self) -> bool:
        return bool(self.mailto)


__all__ = ["Settings"]

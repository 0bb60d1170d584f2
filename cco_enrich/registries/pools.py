"""PoolLimit and PoolLimits: the configured limit of each upstream pool (the ceilings).

The numbers themselves live only in settings.py (`CCO_*_PER_S`, `_IN_FLIGHT`, `_PER_5MIN`); the
worker hands them over through `PoolLimits.from_settings()`.
"""

from __future__ import annotations

from dataclasses import dataclass

CROSSREF_SINGLE = "crossref-single"
CROSSREF_LIST = "crossref-list"
DATACITE = "datacite"
DOI_ORG = "doi-org"


@dataclass(frozen=True, slots=True)
class PoolLimit:
    """At most `requests` starts per `window_s` seconds, and at most `in_flight` at once."""

    requests: int
    window_s: float = 1.0
    in_flight: int = 1

    @property
    def per_second(self) -> float:
        return self.requests / self.window_s


@dataclass(frozen=True, slots=True)
class PoolLimits:
    """The limits of every pool; `from_settings()` picks them from the CCO_* setting values.

    doi.org publishes no limits. Its RA look-ups and content negotiation go to one host, so
    they share one pool.
    """

    crossref_single: PoolLimit
    crossref_list: PoolLimit
    datacite: PoolLimit
    doi_org: PoolLimit

    @classmethod
    def from_settings(
        cls,
        *,
        is_polite: bool,
        crossref_single_per_s: int,
        crossref_single_in_flight: int,
        crossref_list_per_s: int,
        crossref_list_in_flight: int,
        crossref_public_single_per_s: int,
        crossref_public_list_per_s: int,
        crossref_public_in_flight: int,
        datacite_per_5min: int,
        datacite_public_per_5min: int,
        datacite_in_flight: int,
        doi_org_per_s: int,
        doi_org_in_flight: int,
    ) -> PoolLimits:
        """The polite pools when we name a contact (CCO_MAILTO), else the public ones.

        Takes the values of the CCO_* settings of the same names (the registries never read
        Settings). The public DataCite limit never exceeds the identified one.
        """
        if is_polite:
            crossref_single = PoolLimit(crossref_single_per_s, 1.0, crossref_single_in_flight)
            crossref_list = PoolLimit(crossref_list_per_s, 1.0, crossref_list_in_flight)
            datacite_per_window = datacite_per_5min
        else:
            crossref_single = PoolLimit(
                crossref_public_single_per_s, 1.0, crossref_public_in_flight
            )
            crossref_list = PoolLimit(crossref_public_list_per_s, 1.0, crossref_public_in_flight)
            datacite_per_window = min(datacite_per_5min, datacite_public_per_5min)
        return cls(
            crossref_single=crossref_single,
            crossref_list=crossref_list,
            datacite=PoolLimit(datacite_per_window, 300.0, datacite_in_flight),
            doi_org=PoolLimit(doi_org_per_s, 1.0, doi_org_in_flight),
        )

    def by_pool(self) -> dict[str, PoolLimit]:
        """The limits keyed by pool name."""
        return {
            CROSSREF_SINGLE: self.crossref_single,
            CROSSREF_LIST: self.crossref_list,
            DATACITE: self.datacite,
            DOI_ORG: self.doi_org,
        }

"""The version of cco_enrich, in one place: the package, the API and the User-Agent read it."""

__version__ = "0.1.0"

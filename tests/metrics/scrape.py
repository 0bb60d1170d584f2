"""Reading Prometheus text as a scraper would: prometheus-client's own parser."""

from __future__ import annotations

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition: (name, labels) -> value. Fails on a malformed text."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    """One sample's value in an exposition, or None when it is not there."""
    return samples(text).get((name, frozenset(labels.items())))


def now(name: str, **labels: str) -> float:
    """A sample of this process's registry (0 when it has not been recorded yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def families(text: str) -> list[str]:
    """The names of the metric families in an exposition, in order (a repeat is a broken text)."""
    return [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]

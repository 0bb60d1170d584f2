"""DuplicateIndex: resources of one session that turn out to be the same work. Pure.

Ingest merges repeats it can see (the same DOI in two spellings, the same PMID twice); some only
show once resolved: a PMID and the DOI PubMed names for it, a PMCID and its PMID, a landing page
naming a DOI that is also in the list. Two resources are the same work when they share a DOI,
a PMID, a PMCID or an ISBN. The later ones (by position) gain `duplicate_of`, the identifier of
the first one as given, and keep their own outcome; nothing is removed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from cco_enrich.models import Resource

SHARED_IDS = ("doi", "pmid", "pmcid", "isbn")


class DuplicateIndex:
    """The first position holding each id, kept up to date as a run finds ids."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self._first: dict[str, int] = {}
        for position, resource in enumerate(resources):
            for key in _id_keys(resource):
                self._first.setdefault(key, position)

    def mark(
        self, resources: Sequence[Resource], changed: Mapping[int, Resource]
    ) -> dict[int, Resource]:
        """The resources `changed` reveals as later copies of an earlier one, now marked.

        `resources` must already hold the changed resources at their positions.
        """
        marked: dict[int, Resource] = {}

        def current(position: int) -> Resource:
            return marked.get(position, resources[position])

        for position in sorted(changed):
            keys = list(_id_keys(current(position)))
            same = {self._first.setdefault(key, position) for key in keys} | {position}
            first = min(same)
            for key in keys:
                self._first[key] = first
            original = current(first).duplicate_of or current(first).identifier
            for later in sorted(same - {first}):
                if current(later).duplicate_of != original:
                    marked[later] = current(later).model_copy(update={"duplicate_of": original})
        return marked


def _id_keys(resource: Resource) -> Iterator[str]:
    for name in SHARED_IDS:
        value = getattr(resource, name)
        if value:
            yield f"{name}:{value.lower()}"

"""Read an export back, as a user's tool would, to count and inspect its records."""

from __future__ import annotations

import csv
import io
import json

from bibtexparser.entrypoint import parse_string


def read_ris(text: str) -> list[dict[str, list[str]]]:
    """A tiny RIS reader: records of tag -> values, checking every line's shape."""
    records: list[dict[str, list[str]]] = []
    record: dict[str, list[str]] = {}
    for line in text.split("\r\n"):
        if not line:
            continue
        tag, separator, value = line[:2], line[2:6], line[6:]
        assert separator == "  - ", line
        if tag == "ER":
            records.append(record)
            record = {}
        else:
            record.setdefault(tag, []).append(value)
    assert not record, "a record without ER"
    return records


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def count_records(name: str, text: str) -> int:
    """How many resources a rendered export holds, read back with each format's parser."""
    if name == "jsonld":
        return len(json.loads(text)["ore:describes"]["ore:aggregates"])
    if name == "csl-json":
        return len(json.loads(text))
    if name == "bibtex":
        return len(parse_string(text).entries)
    if name == "ris":
        return len(read_ris(text))
    return len(read_csv(text))

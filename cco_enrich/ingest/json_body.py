"""JSON bodies -> resources: an identifier list, a CCO input document, or a finished CCO.

{"identifiers": [...], "metadata": {...}, "callback_url": "..."}
{"cco_metadata": {...}, "resource_pids": [...]}            cco-generator's input document
{"@type": "ore:ResourceMap", "ore:describes": {...}}       a finished CCO (resource_map.py)
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from cco_enrich.errors import InputError
from cco_enrich.ingest.resource_map import is_resource_map, read_resource_map
from cco_enrich.ingest.resources import TRIM, IngestResult, ResourceCollector, build_resource


def read_json_document(payload: Any, max_identifiers: int) -> IngestResult:
    """The resources and metadata of a parsed JSON body, whichever of the three kinds it is."""
    if not isinstance(payload, dict):
        msg = (
            f"expected a JSON object, got {json_kind(payload)}; send "
            '{"identifiers": ["10.5555/12345678", ...], "metadata": {...}}, a CCO input '
            'document {"cco_metadata": {...}, "resource_pids": [...]} or a finished CCO '
            '(an "ore:ResourceMap").'
        )
        raise InputError(msg)
    check_storable(payload)
    if is_resource_map(payload):
        return read_resource_map(payload, max_identifiers)
    if "resource_pids" in payload:
        list_key, metadata_key = "resource_pids", "cco_metadata"
    else:
        list_key, metadata_key = "identifiers", "metadata"
    unknown = sorted(set(payload) - {list_key, metadata_key, "callback_url"})
    if unknown:
        msg = (
            f"unexpected key(s) {', '.join(map(repr, unknown))} in the JSON body; expected "
            f"{list_key!r}, {metadata_key!r} and 'callback_url'."
        )
        raise InputError(msg)
    identifiers = _json_identifiers(payload.get(list_key), list_key)
    metadata = payload.get(metadata_key)
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict):
        msg = f"{metadata_key!r} must be a JSON object, got {json_kind(metadata)}."
        raise InputError(msg)
    callback_url = payload.get("callback_url")
    if callback_url is not None and not isinstance(callback_url, str):
        msg = f"'callback_url' must be a string, got {json_kind(callback_url)}."
        raise InputError(msg)
    collector = ResourceCollector(max_identifiers)
    for identifier in identifiers:
        collector.add(build_resource(identifier))
    return collector.result(f"{list_key!r} is empty.", metadata, callback_url or None)


def load_json(text: str, source: str) -> Any:
    """`text` parsed as JSON; InputError naming `source` and the place when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        raise InputError(msg) from None
    except ValueError as exc:  # a number of more than 4,300 digits
        msg = f"{source} is not JSON we can read: {exc}."
        raise InputError(msg) from None
    except RecursionError:
        msg = f'{source} nests JSON too deeply; send {{"identifiers": [...]}}.'
        raise InputError(msg) from None


def check_storable(payload: Any) -> None:
    """Refuse JSON that parses but cannot be stored: lone surrogates (\\ud800), 255+ levels deep."""
    try:
        orjson.dumps(payload)
    except orjson.JSONEncodeError as exc:
        msg = f"the JSON body cannot be stored: {exc}."
        raise InputError(msg) from None


def json_kind(value: Any) -> str:
    """What a JSON value is, for an error message: `a number (3)`, `a list`, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({json.dumps(value)})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a string ({value[:60]!r})"
    return "a list" if isinstance(value, list) else "an object"


def _json_identifiers(value: Any, key: str) -> list[str]:
    if not isinstance(value, list):
        msg = f"{key!r} must be a list of identifier strings, got {json_kind(value)}."
        raise InputError(msg)
    for position, item in enumerate(value):
        if not isinstance(item, str) or not item.strip(TRIM):
            kind = "a blank string" if isinstance(item, str) else json_kind(item)
            msg = (
                f"{key}[{position}] is {kind}; every identifier must be a non-blank string "
                "such as '10.5555/12345678' or 'https://example.org/data'."
            )
            raise InputError(msg)
    return value

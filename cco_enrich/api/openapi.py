"""GET /openapi.json: an OpenAPI 3.1 description of every endpoint.

The paths live in `api/openapi_paths.py`; this module adds the component schemas and serves it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cco_enrich._version import __version__
from cco_enrich.api.openapi_paths import OPERATIONS
from cco_enrich.api.responses import JSONResponse
from cco_enrich.models import ProcessingStatus, Resource, Session


def _create_shape(list_key: str, metadata_key: str) -> dict[str, Any]:
    """One of the two JSON bodies POST /api/sessions takes: a list and optional metadata."""
    return {
        "type": "object",
        "required": [list_key],
        "additionalProperties": False,
        "properties": {
            list_key: {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "minLength": 1},
            },
            metadata_key: {"type": "object"},
            "callback_url": {"type": "string"},
        },
    }


def _body_schemas() -> dict[str, dict[str, Any]]:
    """The request and answer bodies written by hand: errors, POST /api/sessions, queued jobs."""
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                }
            },
        },
        "CreateSession": {
            "type": "object",
            "properties": {
                "identifiers": {"type": "array", "items": {"type": "string"}},
                "metadata": {"type": "object"},
                "cco_metadata": {"type": "object"},
                "resource_pids": {"type": "array", "items": {"type": "string"}},
                "callback_url": {"type": "string"},
            },
            "oneOf": [
                _create_shape("identifiers", "metadata"),
                _create_shape("resource_pids", "cco_metadata"),
            ],
        },
        "SessionCreated": {
            "type": "object",
            "properties": {
                k: {"type": "integer"}
                for k in ("total", "dois", "duplicates", "invalid", "skipped")
            }
            | {"id": {"type": "string"}, "links": {"type": "object"}},
        },
        "Queued": {
            "type": "object",
            "properties": {"job_id": {"type": "string"}, "status": {"type": "string"}},
        },
    }


def _model_schemas() -> dict[str, dict[str, Any]]:
    """The schemas pydantic gives of our models, with the models they nest beside them."""
    ref_template = "#/components/schemas/{model}"
    schemas: dict[str, dict[str, Any]] = {
        "ProcessingStatus": ProcessingStatus.model_json_schema(ref_template=ref_template),
        "Resource": Resource.model_json_schema(ref_template=ref_template),
        "Session": Session.model_json_schema(ref_template=ref_template),
    }
    for model in ("ProcessingStatus", "Resource", "Session"):
        schemas.update(schemas[model].pop("$defs", {}))
    # GET /api/sessions/{id} adds the part tree (parent position -> parts) the page nests by.
    schemas["Session"]["properties"]["parts"] = {"type": "object"}
    return schemas


def build_schema(extra_paths: dict[str, dict[str, dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The OpenAPI document; pydantic gives the schemas of our models."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "cco_enrich", "version": __version__},
        "paths": {**OPERATIONS, **(extra_paths or {})},
        "components": {
            "schemas": _body_schemas() | _model_schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "token_query": {"type": "apiKey", "in": "query", "name": "token"},
            },
        },
    }


async def openapi_schema(request: Request) -> Response:
    return JSONResponse(build_schema())

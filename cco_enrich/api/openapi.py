"""GET /openapi.json: an OpenAPI 3.1 description of every endpoint."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cco_enrich._version import __version__
from cco_enrich.api.responses import JSONResponse
from cco_enrich.models import ProcessingStatus, Resource, Session

_ERROR = {"$ref": "#/components/schemas/Error"}
_SESSION_ID = {
    "name": "session_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The id POST /api/sessions answered.",
}


def _answer(
    description: str, schema: dict[str, Any] | None = None, media: str = "application/json"
) -> dict[str, Any]:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": {media: {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Bad request",
        404: "Unknown session",
        409: "Already queued or running",
        413: "Too large",
        415: "Unsupported media type",
        422: "Unreadable input",
        401: "Admin token missing or wrong",
    }
    return {str(code): _answer(text[code], _ERROR) for code in codes}


def _flag(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "boolean"},
        "description": description,
    }


OPERATIONS: dict[str, dict[str, dict[str, Any]]] = {
    "/healthz": {
        "get": {
            "summary": "Liveness",
            "responses": {"200": _answer("The process is up", {"type": "object"})},
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {"200": _answer("OpenAPI", {"type": "object"})},
        }
    },
    "/": {
        "get": {
            "summary": "The web page",
            "responses": {"200": _answer("HTML", {"type": "string"}, "text/html")},
        }
    },
    "/api/sessions": {
        "post": {
            "summary": "Create a session from a list of identifiers",
            "parameters": [_flag("enrich", "Also queue the enrichment at once")],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/CreateSession"}},
                    "text/plain": {"schema": {"type": "string"}},
                    "text/csv": {"schema": {"type": "string"}},
                    "application/x-bibtex": {"schema": {"type": "string"}},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                "identifiers": {"type": "string"},
                            },
                        }
                    },
                },
            },
            "responses": {
                "201": _answer("Created", {"$ref": "#/components/schemas/SessionCreated"}),
                **_errors(413, 415, 422),
            },
        }
    },
    "/api/sessions/{session_id}": {
        "get": {
            "summary": "The session: metadata, resources, processing_status",
            "parameters": [
                _SESSION_ID,
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "Only resources in these statuses (comma-separated)",
                },
            ],
            "responses": {
                "200": _answer("The session", {"$ref": "#/components/schemas/Session"}),
                **_errors(400, 404),
            },
        },
        "delete": {
            "summary": "Cancel and delete the session",
            "parameters": [_SESSION_ID],
            "responses": {"204": _answer("Deleted"), **_errors(404)},
        },
    },
    "/api/sessions/{session_id}/status": {
        "get": {
            "summary": "processing_status",
            "parameters": [_SESSION_ID],
            "responses": {
                "200": _answer("Status", {"$ref": "#/components/schemas/ProcessingStatus"}),
                **_errors(404),
            },
        }
    },
    "/api/sessions/{session_id}/events": {
        "get": {
            "summary": "Server-Sent Events of processing_status until a terminal state",
            "description": (
                "Events `status` (processing_status) and `resources` (changed resources by "
                "position); `id:` on each; honours Last-Event-ID."
            ),
            "parameters": [_SESSION_ID],
            "responses": {
                "200": _answer("Event stream", {"type": "string"}, "text/event-stream"),
                **_errors(404),
            },
        }
    },
    "/api/sessions/{session_id}/enrich": {
        "post": {
            "summary": "Queue the enrichment of pending resources",
            "parameters": [
                _SESSION_ID,
                _flag("force", "Re-resolve every DOI"),
                {
                    "name": "callback_url",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "202": _answer("Queued", {"$ref": "#/components/schemas/Queued"}),
                **_errors(404, 409, 422),
            },
        }
    },
    "/api/sessions/{session_id}/retry": {
        "post": {
            "summary": "Re-run only the failed resources",
            "parameters": [_SESSION_ID],
            "responses": {
                "202": _answer("Queued", {"$ref": "#/components/schemas/Queued"}),
                **_errors(404, 409),
            },
        }
    },
    "/api/sessions/{session_id}/cancel": {
        "post": {
            "summary": "Stop a queued or running enrichment",
            "parameters": [_SESSION_ID],
            "responses": {
                "200": _answer("Status", {"$ref": "#/components/schemas/ProcessingStatus"}),
                "202": _answer("Cancelling", {"$ref": "#/components/schemas/ProcessingStatus"}),
                **_errors(404),
            },
        }
    },
    "/api/sessions/{session_id}/export": {
        "get": {
            "summary": "Download the CCO",
            "parameters": [
                _SESSION_ID,
                {
                    "name": "format",
                    "in": "query",
                    "required": False,
                    "schema": {
                        "type": "string",
                        "enum": ["jsonld", "csl-json", "bibtex", "ris", "csv"],
                        "default": "jsonld",
                    },
                },
            ],
            "responses": {
                "200": _answer("The export", {"type": "string"}, "application/octet-stream"),
                **_errors(400, 404),
            },
        }
    },
    "/admin": {
        "get": {
            "summary": "The admin page (needs CCO_ADMIN_TOKEN)",
            "responses": {"200": _answer("HTML", {"type": "string"}, "text/html"), **_errors(404)},
        }
    },
    "/admin/login": {
        "post": {
            "summary": "Log in to the admin page with the token (sets a cookie)",
            "requestBody": {
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {"type": "object", "properties": {"token": {"type": "string"}}}
                    }
                }
            },
            "responses": {"303": _answer("Logged in"), **_errors(401, 404)},
        }
    },
    "/admin/logout": {
        "post": {
            "summary": "Log out of the admin page",
            "responses": {"303": _answer("Logged out")},
        }
    },
    "/admin/api/overview": {
        "get": {
            "summary": "Queue counts, live workers and recent sessions",
            "security": [{"bearer": []}],
            "responses": {"200": _answer("Overview", {"type": "object"}), **_errors(401, 404)},
        }
    },
    "/api/queue": {
        "get": {
            "summary": "Sessions per state, live workers, and each upstream pool's limit",
            "description": (
                "`pools` maps each upstream pool (crossref-list, crossref-single, datacite, "
                "doi-org) to its `learned` limit (`requests` per `window_s`, `in_flight`), its "
                "configured `ceiling`, and the `reason` of the last change (configured, 429, 503, "
                "timeout, headers, recovered)."
            ),
            "responses": {"200": _answer("Queue", {"type": "object"})},
        }
    },
}


def build_schema(extra_paths: dict[str, dict[str, dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The OpenAPI document; pydantic gives the schemas of our models."""
    components = {
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
        "ProcessingStatus": ProcessingStatus.model_json_schema(
            ref_template="#/components/schemas/{model}"
        ),
        "Resource": Resource.model_json_schema(ref_template="#/components/schemas/{model}"),
        "Session": Session.model_json_schema(ref_template="#/components/schemas/{model}"),
    }
    for model in ("ProcessingStatus", "Resource", "Session"):
        components.update(components[model].pop("$defs", {}))
    return {
        "openapi": "3.1.0",
        "info": {"title": "cco_enrich", "version": __version__},
        "paths": {**OPERATIONS, **(extra_paths or {})},
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


async def openapi_schema(request: Request) -> Response:
    return JSONResponse(build_schema())

"""The paths of /openapi.json: every operation, its parameters and its answers.

`OPERATIONS` is also what `api/params.py` checks each `/api/*` query against, so a parameter
declared here is one the handler may read; every `/api/*` operation gets the common answers
(400, 401, 503; 408 on POST) and the bearer token as its security.
"""

from __future__ import annotations

from typing import Any

from cco_enrich.models import ResourceStatus

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
        401: "Token missing or wrong",
        408: "The body arrived too slowly (CCO_BODY_TIMEOUT_S)",
        429: "Over a limit (CCO_RATE_LIMIT_PER_MIN, CCO_MAX_QUEUED_SESSIONS); see Retry-After",
        503: "Redis is unreachable; try again shortly",
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


# Query values with control characters are refused (400) before any handler runs.
NO_CONTROL_CHARACTERS = "^[^\\x00-\\x1f\\x7f]*$"
EVENT_ID_PATTERN = "^[0-9]{1,20}(-[0-9]{1,20})?$"
_STATUSES = "|".join(s.value for s in ResourceStatus)
_STATUS_LIST = f"^({_STATUSES})(,({_STATUSES}))*$"
_CALLBACK_URL = {
    "name": "callback_url",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "pattern": NO_CONTROL_CHARACTERS},
    "description": "A URL to POST the final status to (a signed webhook)",
}

OPERATIONS: dict[str, dict[str, dict[str, Any]]] = {
    "/healthz": {
        "get": {
            "summary": "Liveness",
            "responses": {"200": _answer("The process is up", {"type": "object"})},
        }
    },
    "/readyz": {
        "get": {
            "summary": "Readiness: Redis answers and a worker's heartbeat is fresh",
            "responses": {
                "200": _answer("Ready, with each check", {"type": "object"}),
                "503": _answer("Not ready: `error` names what is missing, `checks` each check"),
            },
        }
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics (a bearer token when CCO_METRICS_TOKEN is set)",
            "responses": {
                "200": _answer("Prometheus text format", {"type": "string"}, "text/plain"),
                "401": _answer("Metrics token missing or wrong", _ERROR),
            },
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
            "parameters": [_flag("enrich", "Also queue the enrichment at once"), _CALLBACK_URL],
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
                **_errors(413, 415, 422, 429),
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
                    "schema": {"type": "string", "pattern": _STATUS_LIST},
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
            "parameters": [
                _SESSION_ID,
                {
                    "name": "last_event_id",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "pattern": EVENT_ID_PATTERN},
                    "description": "Resume after this event id (as the Last-Event-ID header)",
                },
                {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "pattern": EVENT_ID_PATTERN},
                },
                {
                    "name": "token",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "pattern": NO_CONTROL_CHARACTERS},
                    "description": "CCO_API_TOKEN, for EventSource (which cannot send headers)",
                },
            ],
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
                _CALLBACK_URL,
            ],
            "responses": {
                "202": _answer("Queued", {"$ref": "#/components/schemas/Queued"}),
                **_errors(404, 409, 422, 429),
            },
        }
    },
    "/api/sessions/{session_id}/retry": {
        "post": {
            "summary": "Re-run only the failed resources",
            "parameters": [_SESSION_ID, _CALLBACK_URL],
            "responses": {
                "202": _answer("Queued", {"$ref": "#/components/schemas/Queued"}),
                **_errors(404, 409, 422, 429),
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
                _flag("inline", "Content-Disposition inline (view in the browser), not attachment"),
                {"name": "include", "in": "query", "schema": {"enum": ["all"]}},  # keep hollow ones
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
            "responses": {
                "200": _answer("HTML", {"type": "string"}, "text/html"),
                "401": _answer("The login form", {"type": "string"}, "text/html"),
                "404": _answer("Admin is disabled", {"type": "string"}, "text/html"),
            },
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
            "responses": {
                "303": _answer("Logged in"),
                **_errors(400),
                "401": _answer(
                    "Wrong token: the login form again", {"type": "string"}, "text/html"
                ),
                "404": _answer("Admin is disabled", {"type": "string"}, "text/html"),
            },
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
                "doi-org, ncbi, ...) to its `learned` limit (`requests` per `window_s`, "
                "`in_flight`), its configured `ceiling`, and the `reason` of the last change "
                "(configured, 429, 503, timeout, headers, recovered)."
            ),
            "responses": {"200": _answer("Queue", {"type": "object"})},
        }
    },
}


def _add_common_answers(operations: dict[str, dict[str, dict[str, Any]]]) -> None:
    """What any `/api/*` call may answer: a bad query, no token, Redis down; a slow body."""
    for path, methods in operations.items():
        if not path.startswith("/api/"):
            continue
        for method, operation in methods.items():
            common = _errors(400, 401, 503, *((408,) if method == "post" else ()))
            operation["responses"] = {**common, **operation["responses"]}
            operation.setdefault("security", API_SECURITY)


# The token is needed only when CCO_API_TOKEN is set: `{}` says calls without it may work.
API_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {}]
_add_common_answers(OPERATIONS)
OPERATIONS["/api/sessions/{session_id}/events"]["get"]["security"] = [
    {"bearer": []},
    {"token_query": []},
    {},
]

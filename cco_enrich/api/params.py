"""Query parameters of `/api/*` calls, checked against /openapi.json before any handler runs.

A parameter the operation does not declare is a 400, so a typo (`?enrch=true`) never silently does
nothing; a boolean must read as one; no value may hold control characters (a CR/LF smuggled into a
callback URL or a log line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from cco_enrich.api.errors import error_response
from cco_enrich.api.openapi_paths import OPERATIONS
from cco_enrich.api.security import is_api_path

BOOLEAN_SPELLINGS = frozenset({"", "0", "1", "true", "false", "yes", "no"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class _Operation:
    path: re.Pattern[str]
    method: str
    names: frozenset[str]
    booleans: frozenset[str]


def _operations(operations: dict[str, dict[str, dict[str, Any]]]) -> list[_Operation]:
    found = []
    for template, methods in operations.items():
        if not is_api_path(template):
            continue
        path = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method, operation in methods.items():
            query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            found.append(
                _Operation(
                    path=path,
                    method=method.upper(),
                    names=frozenset(p["name"] for p in query),
                    booleans=frozenset(
                        p["name"] for p in query if p["schema"].get("type") == "boolean"
                    ),
                )
            )
    return found


def query_problem(operation: _Operation, params: QueryParams) -> str | None:
    """What is wrong with the query of a call to `operation`, or None."""
    unknown = sorted(set(params) - operation.names)
    if unknown:
        allowed = ", ".join(sorted(operation.names)) or "none"
        return f"unknown query parameter(s) {', '.join(map(repr, unknown))}; allowed: {allowed}."
    for name, value in params.multi_items():
        if _CONTROL.search(value):
            return f"query parameter {name!r} holds control characters."
        if name in operation.booleans and value.lower() not in BOOLEAN_SPELLINGS:
            return f"query parameter {name!r} is {value[:40]!r}; use true or false."
    return None


class QueryParametersMiddleware:
    """Answers 400 when an `/api/*` call's query does not fit its operation in /openapi.json."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.operations = _operations(OPERATIONS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_api_path(scope["path"]):
            problem = self._problem(scope)
            if problem is not None:
                await error_response(400, "bad_query", problem)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _problem(self, scope: Scope) -> str | None:
        for operation in self.operations:
            if operation.method == scope["method"] and operation.path.match(scope["path"]):
                return query_problem(operation, QueryParams(scope["query_string"]))
        return None  # no such operation: the router answers 404 or 405

"""The app as a whole: health, and an OpenAPI schema that covers every route."""

from __future__ import annotations

from starlette.testclient import TestClient


def test_healthz(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["redis"] == "ok"


def test_openapi_describes_every_route(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    documented = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    routes = {
        (method, route.path)
        for route in client.app.routes  # type: ignore[attr-defined]
        if hasattr(route, "methods") and route.methods
        for method in route.methods - {"HEAD"}
    }
    assert routes <= documented, routes - documented

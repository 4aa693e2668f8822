"""The route index (nexus/domain/permissions.py, api.md §5) and the served OpenAPI document agree, both ways."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from nexus.domain.permissions import ROUTES

UNINDEXED = {"health", "ready"}  # outside /api/v1, public


async def test_every_indexed_route_is_served_and_every_served_route_is_indexed(api: AsyncTestClient[Any]) -> None:
    document = (await api.get("/schema/openapi.json")).json()
    served: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                served[operation["operationId"]] = (method.upper(), path, operation)

    indexed = {route.operation_id: route for route in ROUTES}
    assert set(served) - UNINDEXED == set(indexed)
    for op_id, route in indexed.items():
        method, path, operation = served[op_id]
        assert method == route.method, op_id
        assert path.removeprefix("/api/v1").split("/")[1:2] == route.path.split("/")[1:2], (op_id, path)
        assert operation["x-permission"] == " | ".join(route.permission)
        assert operation.get("x-extension", False) is route.extension, op_id
        assert str(route.status) in operation["responses"], op_id
        if route.permission != ("public",):
            assert operation["security"] == [{"bearer": []}], op_id
        else:
            assert "security" not in operation, op_id

"""App factory: settings, the pool in the lifespan, CORS, limits, headers, OpenAPI/docs and the controllers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import psycopg
from litestar import Litestar, Response, get
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.pydantic import PydanticPlugin
from litestar.static_files import create_static_files_router
from psycopg_pool import PoolTimeout

from nexus.api.audit import AuditController
from nexus.api.auth import AuthController
from nexus.api.drafting import DraftsController, WorkspaceDraftingController
from nexus.api.drift import DriftController
from nexus.api.edge import edge
from nexus.api.errors import EXCEPTION_HANDLERS, error_response
from nexus.api.golden import GoldenRecordController
from nexus.api.graph import GraphController
from nexus.api.links import add_links
from nexus.api.openapi import errors_for
from nexus.api.reconciliation import UPLOAD_REQUEST_BODY, ReconciliationController
from nexus.api.request import NexusRequest
from nexus.api.schemas import fix_nullable_schemas
from nexus.api.workspaces import CREATE_REQUEST_BODY, InvitationController, WorkspaceController
from nexus.config import Settings, load_settings
from nexus.db.migrate import shipped_ids
from nexus.db.pool import create_pool
from nexus.domain.permissions import ROUTES_BY_OPERATION
from nexus.services import auth as auth_service
from nexus.services.context import Context

VERSION = version("nexus")
JSON_BODY_LIMIT = 1024 * 1024
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


def _iso_now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _health() -> dict[str, Any]:
    return {"success": True, "status": "ok", "version": VERSION, "timestamp": _iso_now()}


@get("/health", operation_id="health", sync_to_thread=False, tags=["meta"], responses=errors_for())
def health() -> dict[str, Any]:
    """Liveness: the process answers; no database call."""
    return _health()


@get("/api/v1/health", sync_to_thread=False, include_in_schema=False)
def health_alias() -> dict[str, Any]:
    return _health()


@get("/ready", operation_id="ready", tags=["meta"], responses=errors_for())
async def ready(state: State) -> Response[dict[str, Any]]:
    """Readiness: the database answers and its migrations are at the head shipped with this build."""
    return await _ready(state)


@get("/api/v1/ready", include_in_schema=False)
async def ready_alias(state: State) -> Response[dict[str, Any]]:
    return await _ready(state)


async def _ready(state: State) -> Response[dict[str, Any]]:
    from nexus.db.queries import meta

    head = shipped_ids()[-1]
    try:
        async with state.ctx.pool.connection() as conn:
            applied = [row.migration_id for row in await meta.applied_migrations(conn)]
    except (psycopg.Error, PoolTimeout, OSError):
        return error_response(
            503,
            "DATABASE_UNAVAILABLE",
            "Database unavailable",
            {"reason": "unreachable"},
            {"Retry-After": "5"},
        )
    current = applied[-1] if applied else None
    if head not in applied:
        return error_response(
            503,
            "DATABASE_UNAVAILABLE",
            "Database migrations are not at head",
            {"reason": "migrations_pending", "current": current, "head": head},
            {"Retry-After": "5"},
        )
    return Response(
        {
            "success": True,
            "status": "ready",
            "database": "ok",
            "migrations": {"current": current, "head": head},
        }
    )


@get("/api/v1", operation_id="meta_index", sync_to_thread=False, tags=["meta"], responses=errors_for())
def api_root() -> dict[str, Any]:
    """Where the API and its documentation are."""
    return {"success": True, "message": "Nexus API v1", "version": VERSION, "documentation": "/api/v1/docs"}


async def json_errors_only(response: Response[Any]) -> Response[Any]:
    """Litestar's OpenAPI router answers unknown `/schema/...` paths with an HTML page; the contract says JSON."""
    media_type = getattr(response, "media_type", None)
    media_type = getattr(media_type, "value", media_type)
    if response.status_code == 404 and str(media_type).startswith("text/html"):
        return error_response(404, "NOT_FOUND", "Not found")
    return response


def _swagger_static() -> Path:
    spec = find_spec("swagger_ui")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "static"


def openapi_config() -> OpenAPIConfig:
    base = "/api/v1/docs/assets"
    return OpenAPIConfig(
        title="Nexus API",
        version=VERSION,
        description="HTTP API of LMA Nexus. Errors use the envelope {success:false, error:{code, message, details}}.",
        path="/schema",
        render_plugins=[
            SwaggerRenderPlugin(
                path="/swagger",
                js_url=f"{base}/swagger-ui-bundle.js",
                css_url=f"{base}/swagger-ui.css",
                standalone_preset_js_url=f"{base}/swagger-ui-standalone-preset.js",
            )
        ],
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
        ),
    )


@get("/api/v1/docs", include_in_schema=False, sync_to_thread=False)
def docs_page() -> Response[str]:
    """Swagger UI for /schema/openapi.json, with assets served from this process (no CDN)."""
    base = "/api/v1/docs/assets"
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Nexus API</title>
<link rel="stylesheet" href="{base}/swagger-ui.css"></head><body><div id="swagger-ui"></div>
<script src="{base}/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{url: "/schema/openapi.json", dom_id: "#swagger-ui", deepLinking: true}});</script>
</body></html>"""
    return Response(html, media_type="text/html")


@get("/api/v1/schema/openapi.json", include_in_schema=False)
async def openapi_alias(request: NexusRequest) -> Response[bytes]:
    """The same OpenAPI document as /schema/openapi.json, byte for byte."""
    from litestar.serialization import encode_json

    schema = request.app.plugins.get(OpenAPIPlugin).provide_openapi_schema()
    return Response(encode_json(schema), media_type="application/vnd.oai.openapi+json")


def create_app(settings: Settings | None = None, route_handlers: Sequence[Any] = ()) -> Litestar:
    """Build the application. `settings` defaults to the environment (granian calls this with no arguments)."""
    settings = settings or load_settings()
    if settings.database is None:
        raise RuntimeError("DATABASE_URL is not set")
    database = settings.database
    app_settings = settings

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        from nexus.services.delivery import Background

        pool = create_pool(database)
        await pool.open(wait=False)
        read_pool = None
        if app_settings.read is not None:  # DATABASE_READ_URL: audit export and clause search read there
            read_pool = create_pool(app_settings.read, max_size=4, read_only=True, name="nexus-read")
            await read_pool.open(wait=False)
        app.state.ctx = Context.create(pool, app_settings, read_pool)
        await auth_service.dummy_hash(app.state.ctx)  # warm: the first unknown-email login costs what others do
        # NEXUS_DELIVERY_WORKER: the connector outbox and the maintenance sweep run beside the API.
        background = Background(app.state.ctx) if app_settings.delivery_worker else None
        try:
            yield
        finally:
            if background is not None:
                await background.stop()
            if read_pool is not None:
                await read_pool.close()
            await pool.close()

    extra: list[Any] = list(route_handlers)
    if settings.web_root is not None:
        from nexus.api.spa import spa_router

        extra.append(spa_router(settings.web_root))  # registered last: literal API routes win

    app = Litestar(
        route_handlers=[
            health,
            health_alias,
            ready,
            ready_alias,
            api_root,
            docs_page,
            openapi_alias,
            create_static_files_router(
                path="/api/v1/docs/assets", directories=[_swagger_static()], include_in_schema=False
            ),
            AuthController,
            WorkspaceController,
            InvitationController,
            WorkspaceDraftingController,
            DraftsController,
            GraphController,
            DriftController,
            ReconciliationController,
            GoldenRecordController,
            AuditController,
            *extra,
        ],
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        after_request=json_errors_only,
        request_class=NexusRequest,
        # Strict validation: "yes" is not a boolean and "5" is not a number (the models say strict; so must the plugin).
        plugins=[PydanticPlugin(validate_strict=True)],
        request_max_body_size=JSON_BODY_LIMIT,
        openapi_config=openapi_config(),
        state=State({"settings": settings}),
        on_startup=[document_permissions],
        debug=False,
    )
    app.asgi_handler = edge(app.asgi_handler, settings.cors_origins)
    return app


# Bodies the handlers read themselves (multipart), documented here since Litestar only describes `data` models.
REQUEST_BODIES: dict[str, dict[str, Any]] = {
    "recon_upload": UPLOAD_REQUEST_BODY,
    "workspace_create": CREATE_REQUEST_BODY,
}


def document_permissions(app: Litestar) -> None:
    """Add `x-permission` (and `x-extension`) to every operation from the route index (api.md §1.14)."""
    schema = app.plugins.get(OpenAPIPlugin).provide_openapi_schema()
    fix_nullable_schemas(schema.get("components", {}).get("schemas", {}))
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            route = ROUTES_BY_OPERATION.get(operation["operationId"])
            operation["x-permission"] = " | ".join(route.permission) if route else "public"
            if route is not None and route.permission != ("public",):
                operation["security"] = [{"bearer": []}]
            if route is not None and route.extension:
                operation["x-extension"] = True
            if operation["operationId"] in REQUEST_BODIES:
                operation["requestBody"] = REQUEST_BODIES[operation["operationId"]]
            if operation["operationId"] == "audit_export":
                # The export is a file: JSON by default, CSV with format=csv (api.md §3.8).
                operation["responses"]["200"]["content"] = {
                    "application/json; charset=utf-8": {"schema": {"type": "array", "items": {"type": "object"}}},
                    "text/csv; charset=utf-8": {"schema": {"type": "string"}},
                }
    add_links(schema)  # create-then-use chains (nexus/api/links.py)

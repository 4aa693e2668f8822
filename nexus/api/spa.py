"""Optional single-page client (`NEXUS_WEB_ROOT`): static files at `/`, unknown paths fall back to index.html.

Never for API paths: `/api/…`, `/schema/…`, `/health` and `/ready` keep answering JSON (404 when unknown).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import anyio
from litestar import Response, Router, get

from nexus.domain.errors import NotFound

_RESERVED = ("api", "schema", "health", "ready")


def spa_router(root: Path) -> Router:
    root = root.resolve()
    index = root / "index.html"

    @get(["/", "/{path:path}"], include_in_schema=False)
    async def serve(path: str = "/") -> Response[bytes]:
        relative = path.lstrip("/")
        if relative.split("/", 1)[0] in _RESERVED:
            raise NotFound("Not found")
        candidate = (root / relative).resolve()
        if relative and candidate.is_file() and candidate.is_relative_to(root):
            media_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
            return Response(await anyio.Path(candidate).read_bytes(), media_type=media_type)
        return Response(await anyio.Path(index).read_bytes(), media_type="text/html")

    return Router(path="/", route_handlers=[serve])

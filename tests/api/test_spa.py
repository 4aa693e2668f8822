"""NEXUS_WEB_ROOT: a built single-page client served at `/` with index.html fallback, never shadowing the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from nexus.api.app import create_app
from tests.fix_api import api_settings


@pytest.fixture
def web_root(tmp_path: Path) -> Path:
    (tmp_path / "static").mkdir()
    (tmp_path / "index.html").write_text("<html>client</html>")
    (tmp_path / "static" / "app.css").write_text("body{}")
    return tmp_path


async def test_spa_serves_files_and_falls_back_to_index(db_url: str, web_root: Path) -> None:
    app = create_app(api_settings(db_url, NEXUS_WEB_ROOT=str(web_root)))
    async with AsyncTestClient(app=app) as client:
        root = await client.get("/")
        assert root.status_code == 200 and root.text == "<html>client</html>"
        assert root.headers["content-type"].startswith("text/html")
        deep = await client.get("/workspaces/ws-001/drafting")
        assert deep.status_code == 200 and deep.text == "<html>client</html>"
        css = await client.get("/static/app.css")
        assert css.status_code == 200 and css.text == "body{}" and css.headers["content-type"].startswith("text/css")
        escape = await client.get("/static/%2e%2e/%2e%2e/etc/passwd")
        assert escape.text == "<html>client</html>"


async def test_spa_never_answers_for_api_paths(db_url: str, web_root: Path) -> None:
    app = create_app(api_settings(db_url, NEXUS_WEB_ROOT=str(web_root)))
    async with AsyncTestClient(app=app) as client:
        for path in ("/api/v1/unknown", "/api/nothing", "/schema/nothing", "/health/x", "/ready/x"):
            response = await client.get(path)
            assert response.status_code == 404, path
            assert response.json()["error"]["code"] == "NOT_FOUND"
        assert (await client.get("/api/v1")).json()["message"] == "Nexus API v1"
        assert (await client.get("/health")).json()["status"] == "ok"


async def test_without_web_root_unknown_paths_are_json_404(api: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await api.get("/some/page")
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": {"code": "NOT_FOUND", "message": "Not found"}}

"""API fixtures: the real app (lifespan, pool, middleware) over an in-process ASGI client per test database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from nexus.api.app import create_app
from nexus.config import Settings, load_settings

JWT_SECRET = "test-secret-0123456789-0123456789-abcdef"


def api_settings(db_url: str, **extra: str) -> Settings:
    env = {
        "DATABASE_URL": db_url,
        "NEXUS_JWT_SECRET": JWT_SECRET,
        "NEXUS_ENV": "test",
        "NEXUS_PASSWORD_PROFILE": "test",
        **extra,
    }
    return load_settings(env)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return api_settings(db_url)


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """An HTTP client for a fresh app on the test's own database."""
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        yield client


@pytest.fixture
async def demo_api(seeded_db_url: str) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """An HTTP client for a fresh app on a fresh copy of the demo data."""
    async with AsyncTestClient(
        app=create_app(api_settings(seeded_db_url)), base_url="http://testserver.local"
    ) as client:
        yield client

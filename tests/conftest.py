"""Test configuration: fixtures live in small plug-in modules (psycopg style); this file only wires them."""

from __future__ import annotations

import inspect
import os

import pytest

# Cheap argon2 parameters in tests only (domain.md §3.1); set before any nexus module reads the environment.
os.environ.setdefault("NEXUS_PASSWORD_PROFILE", "test")
os.environ.setdefault("NEXUS_ENV", "test")

pytest_plugins = ["tests.fix_db", "tests.fix_api"]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Run every `async def` test under anyio without a marker on each one.

    Marked at collection (before anyio's own hook) so parametrized async tests keep their parameters.
    """
    if collector.funcnamefilter(name) and inspect.iscoroutinefunction(obj):  # type: ignore[attr-defined]
        pytest.mark.anyio(obj)

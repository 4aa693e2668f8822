"""Truly concurrent requests for race tests.

Litestar's AsyncTestClient runs each request to completion inside its portal call, so `asyncio.gather` over it sends
requests one after another. `race` instead sends each request from its own thread through one sync TestClient (the
app serves them concurrently in the portal's event loop), all released at once by a barrier.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar.testing import TestClient

from nexus.api.app import create_app
from tests.fix_api import api_settings


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    json: Any = field(default_factory=dict)


def race(db_url: str, *calls: Call) -> list[httpx.Response]:
    """Send every call at the same moment against a fresh app on `db_url`; the responses in call order."""
    barrier = threading.Barrier(len(calls))
    with TestClient(app=create_app(api_settings(db_url)), base_url="http://testserver.local") as client:

        def send(call: Call) -> httpx.Response:
            barrier.wait(timeout=30)
            return client.request(call.method, call.path, headers=call.headers, json=call.json)

        with ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(send, calls))

"""End to end over HTTP (domain.md §10.3–10.4): an admin points a connector at a receiver, publishes, and the
delivery worker running in the API process POSTs exactly the published version's bytes with its headers; the
deliveries list and the connector show the outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from nexus.api.app import create_app
from tests.fix_api import api_settings
from tests.services.delivery_support import Receiver

pytestmark = pytest.mark.anyio

G = "/api/v1/golden-records"


async def test_publish_is_delivered_by_the_in_process_worker(seeded_db_url: str) -> None:
    settings = api_settings(seeded_db_url, NEXUS_DELIVERY_WORKER="1")
    with Receiver([200]).running() as receiver:
        async with AsyncTestClient(app=create_app(settings)) as api:
            login = await api.post(
                "/api/v1/auth/login", json={"email": "sarah.chen@bankco.com", "password": "Password123"}
            )
            sarah = {"Authorization": f"Bearer {login.json()['data']['accessToken']}"}
            patched = await api.patch(f"{G}/connectors/conn-001", headers=sarah, json={"endpointUrl": receiver.url})
            assert patched.status_code == 200, patched.text
            published = await api.post(
                f"{G}/ws-002/publish", headers=sarah, json={"reason": "Quarterly update", "reasonCategory": "other"}
            )
            assert published.status_code == 200, published.text
            version = published.json()["version"]
            assert version["version"] == 2

            await asyncio.to_thread(receiver.wait_for_requests, 1)
            deliveries: list[dict[str, Any]] = []
            for _ in range(100):
                listed = await api.get(f"{G}/connectors/conn-001/deliveries", headers=sarah)
                deliveries = listed.json()["deliveries"]
                if deliveries and deliveries[0]["status"] == "delivered":
                    break
                await asyncio.sleep(0.05)
            detail = (await api.get(f"{G}/ws-002/versions/2", headers=sarah)).json()["version"]
            connectors = (await api.get(f"{G}/ws-002/connectors", headers=sarah)).json()["connectors"]

    (received,) = receiver.requests
    assert received.body == detail["schemaJson"].encode()
    assert received.key == deliveries[0]["id"]
    headers = {k.lower(): v for k, v in received.headers.items()}
    assert headers["x-nexus-version"] == "2" and headers["x-nexus-workspace"] == "ws-002"
    assert headers["x-nexus-content-hash"] == version["contentHash"]
    assert headers["content-type"] == "application/json"
    assert (deliveries[0]["status"], deliveries[0]["version"], deliveries[0]["attempts"]) == ("delivered", 2, 1)
    assert deliveries[0]["lastStatusCode"] == 200
    conn_001 = next(c for c in connectors if c["id"] == "conn-001")
    assert conn_001["status"] == "READY" and conn_001["lastSyncAt"] is not None

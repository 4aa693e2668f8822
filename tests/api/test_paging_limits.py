"""A page far past the end is 200 with an empty list on every paged route (api.md §1.7), never a database error."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from nexus.domain.pagination import MAX_OFFSET, page_offset

HUGE = "5422584675841033109504"  # far beyond bigint: found by schemathesis on the drift list


@pytest.mark.parametrize(
    ("path", "key"),
    [
        (f"/api/v1/audit/events?workspaceId=ws-001&page={HUGE}", "events"),
        (f"/api/v1/audit/events?page={HUGE}&limit=200", "events"),
        (f"/api/v1/audit/events?workspaceId=ws-001&eventType=LOGIN&page={HUGE}", "events"),
        (f"/api/v1/audit/target/workspace/ws-001?page={HUGE}", "events"),
        (f"/api/v1/drifts?workspaceId=ws-001&page={HUGE}", "driftItems"),
        (f"/api/v1/drifts?workspaceId=ws-001&status=unresolved&page={HUGE}&limit=200", "driftItems"),
    ],
)
async def test_a_page_far_past_the_end_is_empty(demo_api: AsyncTestClient[Any], path: str, key: str) -> None:
    login = await demo_api.post(
        "/api/v1/auth/login", json={"email": "sarah.chen@bankco.com", "password": "Password123"}
    )
    auth = {"Authorization": f"Bearer {login.json()['data']['accessToken']}"}
    response = await demo_api.get(path, headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body[key] == []
    assert body["pagination"]["hasNext"] is False


def test_offsets_are_clamped_within_postgres_integer_range() -> None:
    assert page_offset(1, 50) == 0
    assert page_offset(3, 50) == 100
    assert page_offset(int(HUGE), 200) == MAX_OFFSET
    assert MAX_OFFSET + 201 < 2**31

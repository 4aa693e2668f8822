"""The Atlas story of issue 5 over HTTP: every read right after a write sees drift, graph flags and integrity move.

Applicable Margin (var-002) stands at 275 bps against a 250 baseline with an open HIGH drift (drift-001). Reverting
closes the drift, clears the node's flag and raises integrity; editing the margin to 300 reopens exactly one HIGH
drift, and the node and integrity follow at once. A recompute afterwards changes nothing.
"""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Any]


async def _login(api: Client, email: str) -> dict[str, str]:
    response = await api.post("/api/v1/auth/login", json={"email": email, "password": "Password123"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['data']['accessToken']}"}


async def _state(api: Client, auth: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    drifts = await api.get("/api/v1/drifts", params={"workspaceId": "ws-001", "status": "unresolved"}, headers=auth)
    assert drifts.status_code == 200, drifts.text
    graph = await api.get("/api/v1/graph/ws-001", headers=auth)
    assert graph.status_code == 200, graph.text
    nodes = {n["id"]: n for n in graph.json()["graph"]["nodes"]}
    return drifts.json()["driftItems"], graph.json()["graph"], nodes


async def test_revert_then_edit_moves_drift_node_and_integrity_together(demo_api: Client) -> None:
    sarah = await _login(demo_api, "sarah.chen@bankco.com")

    drifts, graph, nodes = await _state(demo_api, sarah)
    assert [d["id"] for d in drifts] == ["drift-002", "drift-001"]
    assert graph["integrityScore"] == 89
    assert nodes["node-v-var-002"]["hasDrift"] and nodes["node-v-var-002"]["hasWarning"]
    assert nodes["node-c-clause-003"]["hasDrift"]

    reverted = await demo_api.post(
        "/api/v1/drifts/drift-001/revert",
        json={"reason": "Margin stays at the approved level", "reasonCategory": "credit_update"},
        headers=sarah,
    )
    assert reverted.status_code == 200, reverted.text
    assert reverted.json()["drift"]["status"] == "reverted"

    drifts, graph, nodes = await _state(demo_api, sarah)
    assert [d["id"] for d in drifts] == ["drift-002"]
    assert not nodes["node-v-var-002"]["hasDrift"] and not nodes["node-v-var-002"]["hasWarning"]
    assert nodes["node-v-var-002"]["value"] == "250 bps"
    assert not nodes["node-c-clause-003"]["hasDrift"]
    assert graph["integrityScore"] == 95  # 19 nodes, 2 drifting + 2 warning: floor(100 - 100/19 + 0.5)

    edited = await demo_api.patch("/api/v1/drafts/variables/var-002", json={"value": "300"}, headers=sarah)
    assert edited.status_code == 200, edited.text
    assert edited.json()["variable"]["value"] == "300"

    drifts, graph, nodes = await _state(demo_api, sarah)
    margin = [d for d in drifts if d["variableId"] == "var-002"]
    assert len(margin) == 1
    assert margin[0]["severity"] == "HIGH" and margin[0]["id"] != "drift-001"
    assert (margin[0]["baselineValue"], margin[0]["currentValue"]) == ("250", "300")
    assert nodes["node-v-var-002"]["hasDrift"] and nodes["node-v-var-002"]["hasWarning"]
    assert nodes["node-v-var-002"]["value"] == "300 bps"
    assert nodes["node-c-clause-003"]["hasDrift"]
    assert graph["integrityScore"] == 89

    recompute = await demo_api.post("/api/v1/drifts/recompute", json={"workspaceId": "ws-001"}, headers=sarah)
    assert recompute.status_code == 200, recompute.text
    assert recompute.json()["driftCount"] == 2
    assert await _state(demo_api, sarah) == (drifts, graph, nodes)

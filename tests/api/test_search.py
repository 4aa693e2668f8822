"""HTTP tests of clause search (api.md §3.3 row 26, §2 SearchHit; domain.md §5.6) against the demo data."""

from __future__ import annotations

import pytest

from tests.api.test_clauses import CLAUSES, EMMA, SARAH, WS, Client, assert_error, auth

pytestmark = pytest.mark.anyio

HIT_KEYS = {"clauseId", "workspaceId", "title", "type", "order", "rank", "snippet"}


async def test_search_applicable_margin(demo_api: Client) -> None:
    sarah = await auth(demo_api, SARAH)
    resp = await demo_api.get(f"{WS}/ws-001/search", headers=sarah, params={"q": "Applicable Margin"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"success", "query", "results"} and body["query"] == "Applicable Margin"
    assert {h["clauseId"] for h in body["results"]} == {"clause-001", "clause-003", "clause-011"}
    ranks = [h["rank"] for h in body["results"]]
    assert ranks == sorted(ranks, reverse=True)
    for hit in body["results"]:
        assert set(hit) == HIT_KEYS and hit["workspaceId"] == "ws-001"
        assert isinstance(hit["rank"], float | int) and round(hit["rank"], 4) == hit["rank"]
        assert "<mark>" in hit["snippet"] and "</mark>" in hit["snippet"]
        assert "\u0002" not in hit["snippet"] and "\u0003" not in hit["snippet"]
    # clause-001's body contains quotes: escaped in the snippet
    definitions = next(h for h in body["results"] if h["clauseId"] == "clause-001")
    assert "&quot;" in definitions["snippet"] and '"' not in definitions["snippet"]

    resp = await demo_api.get(f"{WS}/ws-001/search", headers=sarah, params={"q": "Applicable Margin", "limit": 1})
    assert len(resp.json()["results"]) == 1


async def test_snippet_is_html_escaped(demo_api: Client) -> None:
    sarah = await auth(demo_api, SARAH)
    resp = await demo_api.patch(
        f"{CLAUSES}/clause-009",
        headers=sarah,
        json={"newBody": "The zebra ratio must stay < 5 & > 2 at all times for the Borrower's warranty."},
    )
    assert resp.status_code == 200, resp.text
    resp = await demo_api.get(f"{WS}/ws-001/search", headers=sarah, params={"q": "zebra"})
    hits = resp.json()["results"]
    assert [h["clauseId"] for h in hits] == ["clause-009"]
    snippet = hits[0]["snippet"]
    assert "&lt;" in snippet and "&gt;" in snippet and "&amp;" in snippet and "&#x27;" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert "<mark>zebra</mark>" in snippet


async def test_empty_and_invalid_queries(demo_api: Client) -> None:
    sarah = await auth(demo_api, SARAH)
    for q in ("the", "   ", "a an of"):
        resp = await demo_api.get(f"{WS}/ws-001/search", headers=sarah, params={"q": q})
        assert resp.status_code == 200, resp.text
        assert resp.json()["results"] == []
    assert_error(await demo_api.get(f"{WS}/ws-001/search", headers=sarah), 400, "VALIDATION_ERROR")
    assert_error(
        await demo_api.get(f"{WS}/ws-001/search", headers=sarah, params={"q": "x" * 201}), 400, "VALIDATION_ERROR"
    )
    for limit in ("0", "101", "ten"):
        assert_error(
            await demo_api.get(f"{WS}/ws-001/search", headers=sarah, params={"q": "loan", "limit": limit}),
            400,
            "VALIDATION_ERROR",
        )
    # websearch syntax never errors
    resp = await demo_api.get(f"{WS}/ws-001/search", headers=sarah, params={"q": '"unbalanced -or OR ('})
    assert resp.status_code == 200
    emma = await auth(demo_api, EMMA)
    assert_error(await demo_api.get(f"{WS}/ws-001/search", headers=emma, params={"q": "loan"}), 404, "NOT_FOUND")

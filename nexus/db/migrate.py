"""Thin wrapper over yoyo-migrations: apply, roll back and report the migrations in `migrations/`.

Migrations always run over the direct URL (never a pooler), as the schema owner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yoyo import get_backend, read_migrations

from nexus.config import DatabaseUrl

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = ROOT / "migrations"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class MigrationState:
    id: str
    applied: bool


def shipped_ids(directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Ids of the migration files in order (the last one is `head`)."""
    return sorted(p.name[: -len(".sql")] for p in directory.glob("*.sql") if not p.name.endswith(".rollback.sql"))


def _backend(url: DatabaseUrl) -> Any:
    return get_backend(url.yoyo_url)


def status(url: DatabaseUrl, directory: Path = MIGRATIONS_DIR) -> list[MigrationState]:
    backend = _backend(url)
    migrations = read_migrations(str(directory))
    with backend.lock():
        applied = {m.id for m in migrations if backend.is_applied(m)}
    return [MigrationState(m.id, m.id in applied) for m in migrations]


def apply(url: DatabaseUrl, directory: Path = MIGRATIONS_DIR, progress: Progress | None = None) -> list[str]:
    """Apply every pending migration, each in its own transaction; returns the ids applied."""
    backend = _backend(url)
    migrations = read_migrations(str(directory))
    done: list[str] = []
    with backend.lock():
        pending = backend.to_apply(migrations)
        for i, migration in enumerate(pending, 1):
            if progress:
                progress(f"[{i}/{len(pending)}] applying {migration.id}")
            backend.apply_migrations(backend.to_apply(migrations.filter(lambda m, mid=migration.id: m.id == mid)))
            done.append(migration.id)
    return done


def rollback(
    url: DatabaseUrl,
    *,
    everything: bool = False,
    directory: Path = MIGRATIONS_DIR,
    progress: Progress | None = None,
) -> list[str]:
    """Roll back the last applied migration, or all of them (`everything`), newest first."""
    backend = _backend(url)
    migrations = read_migrations(str(directory))
    done: list[str] = []
    with backend.lock():
        to_rollback = list(backend.to_rollback(migrations))
        if not everything:
            to_rollback = to_rollback[:1]
        for i, migration in enumerate(to_rollback, 1):
            if progress:
                progress(f"[{i}/{len(to_rollback)}] rolling back {migration.id}")
            backend.rollback_migrations(migrations.filter(lambda m, mid=migration.id: m.id == mid))
            done.append(migration.id)
    return done

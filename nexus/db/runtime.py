"""Runtime of the generated modules in `nexus/db/queries/`: SQL loaded through aiosql, and executed.

The helpers are the hot path of every database call, so they stay minimal: one cursor with a tuple row factory
(so they work whatever row factory the connection has), one execute, rows built by the row type's `_make`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import aiosql
from psycopg import AsyncConnection
from psycopg.rows import tuple_row

ROOT = Path(__file__).resolve().parents[2]

T = TypeVar("T")

JsonValue: TypeAlias = dict[str, "JsonValue"] | list["JsonValue"] | str | int | float | bool | None
"""A json/jsonb value as psycopg returns it."""

JsonIn: TypeAlias = Mapping[str, Any] | Sequence[Any] | str | int | float | bool | None
"""What a json/jsonb parameter accepts (wrapped in `Jsonb`/`Json` by the generated function)."""

InetValue: TypeAlias = IPv4Address | IPv6Address
"""An inet result: psycopg returns an address, or an interface (a subclass) when the value has a prefix."""

InetIn: TypeAlias = str | IPv4Address | IPv6Address
"""What an inet parameter accepts."""


class QueriesOutOfDate(RuntimeError):
    """A generated module expects a query its SQL file no longer defines."""


def load_queries(path: str, names: Sequence[str]) -> dict[str, str]:
    """Load `path` (relative to the repository root, or absolute) with aiosql: name -> SQL (`%(name)s` style).

    Fails at import time, not at call time, when a generated module and its SQL file disagree on query names.
    """
    file = Path(path)
    if not file.is_absolute():
        file = ROOT / file
    queries = aiosql.from_path(file, "apsycopg")
    found: dict[str, str] = {}
    for name in names:
        fn = getattr(queries, name, None)
        if fn is None:
            raise QueriesOutOfDate(f"{path} no longer defines query {name!r}; run `nexus gen`")
        found[name] = fn.sql
    return found


async def fetch_one(
    conn: AsyncConnection[Any], sql: str, params: Mapping[str, Any], make: Callable[[Sequence[Any]], T]
) -> T | None:
    """The first row of `sql` built with `make`, or None when there is no row."""
    cur = conn.cursor(row_factory=tuple_row)
    await cur.execute(sql, params)
    row = await cur.fetchone()
    return None if row is None else make(row)


async def fetch_all(
    conn: AsyncConnection[Any], sql: str, params: Mapping[str, Any], make: Callable[[Sequence[Any]], T]
) -> list[T]:
    """Every row of `sql`, each built with `make`."""
    cur = conn.cursor(row_factory=tuple_row)
    await cur.execute(sql, params)
    return [make(row) for row in await cur.fetchall()]


async def fetch_value(conn: AsyncConnection[Any], sql: str, params: Mapping[str, Any]) -> Any:
    """The first column of the first row of `sql`, or None when there is no row."""
    cur = conn.cursor(row_factory=tuple_row)
    await cur.execute(sql, params)
    row = await cur.fetchone()
    return None if row is None else row[0]


async def execute(conn: AsyncConnection[Any], sql: str, params: Mapping[str, Any]) -> int:
    """Run `sql`; return the number of rows it affected."""
    cur = conn.cursor(row_factory=tuple_row)
    await cur.execute(sql, params)
    return cur.rowcount

"""Reading `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` output: node types, relations scanned, indexes used, buffers.

Shared by the hot-query suite (reports) and the plan gates (tests/perf, `nexus bench queries --check`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

LARGE_TABLES: Final = frozenset(
    {
        "audit_events", "clauses", "variables", "graph_nodes", "graph_edges", "drift_items", "workspace_members",
        "sessions", "users", "reconciliation_items", "reconciliation_sessions", "workspaces", "golden_records",
        "downstream_connectors", "covenants", "graph_state", "audit_chain_heads",
    }
)  # fmt: skip
"""Tables that are large in production (grow with users, deals or history): never sequentially scanned by a hot
query."""


@dataclass
class PlanSummary:
    node_types: list[str] = field(default_factory=list)
    seq_scans: list[str] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    execution_ms: float = 0.0
    planning_ms: float = 0.0
    shared_hit: int = 0
    shared_read: int = 0
    rows: int = 0

    @property
    def buffers(self) -> int:
        return self.shared_hit + self.shared_read

    @property
    def shape(self) -> str:
        """Compact plan shape: node types in walk order, consecutive repeats folded."""
        out: list[str] = []
        for node in self.node_types:
            if not out or out[-1] != node:
                out.append(node)
        return " > ".join(out)


def _walk(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _walk(child)


def summarize(explain: Any) -> PlanSummary:
    """One EXPLAIN JSON document (the list PostgreSQL returns) to a summary."""
    doc = explain[0] if isinstance(explain, list) else explain
    top = doc["Plan"]
    out = PlanSummary(
        execution_ms=float(doc.get("Execution Time", 0.0)),
        planning_ms=float(doc.get("Planning Time", 0.0)),
        shared_hit=int(top.get("Shared Hit Blocks", 0)),
        shared_read=int(top.get("Shared Read Blocks", 0)),
        rows=int(top.get("Actual Rows", 0)),
    )
    for node in _walk(top):
        kind = str(node["Node Type"])
        out.node_types.append(kind)
        if kind == "Seq Scan" and "Relation Name" in node:
            out.seq_scans.append(str(node["Relation Name"]))
        if "Index Name" in node and node["Index Name"] not in out.indexes:
            out.indexes.append(str(node["Index Name"]))
    return out


def gate_problems(summary: PlanSummary, intended: frozenset[str], large: frozenset[str] = LARGE_TABLES) -> list[str]:
    """Plan-shape regressions: a sequential scan of a large table, or none of the intended indexes used."""
    problems = [f"sequential scan on {t}" for t in summary.seq_scans if t in large]
    if intended and not intended.intersection(summary.indexes):
        problems.append(f"intended index {' or '.join(sorted(intended))} not used (used: {summary.indexes or 'none'})")
    return problems


def growth_problem(small: PlanSummary, big: PlanSummary, factor: float = 1.5, slack: int = 16) -> str | None:
    """Buffers must follow the result, not the table: at 2x the data they may grow with the rows returned, never
    with the table (allowed: factor x the small run's buffers, or per returned row, plus a B-tree level of slack)."""
    if big.buffers <= small.buffers * factor + slack:
        return None
    per_row_small = small.buffers / max(small.rows, 1)
    per_row_big = big.buffers / max(big.rows, 1)
    if per_row_big <= per_row_small * factor + 2:
        return None
    return f"buffers grew with the table: {small.buffers} -> {big.buffers} ({small.rows} -> {big.rows} rows returned)"

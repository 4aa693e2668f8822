"""Deterministic benchmark rows: scales, workspace sizes (a few huge deals, many small), and one generator of COPY
text lines per table.

Every value is a pure function of (seed, workspace, index): ids, types, values and flags come from `mix()`, so
each table's pass regenerates exactly the rows the other passes reference without keeping them in memory. Text
values use a safe alphabet (no tab, newline, backslash or quote), so COPY text lines and JSON need no escaping;
`check_safe` guards that on a sample.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Final

from argon2.low_level import Type, hash_secret

from nexus.domain.audit import GENESIS_HASH, GLOBAL_CHAIN

_MASK: Final = (1 << 64) - 1
START_US: Final = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z: first row; audit events span two years
SPAN_US: Final = 2 * 365 * 86_400_000_000
NULL: Final = "\\N"
PASSWORD: Final = "Password123"  # noqa: S105 - the demo password (spec/demo-data.md)


@dataclass(frozen=True)
class Scale:
    """Row counts of one scale. Variables are 1..5 per clause (3 on average), so variables = 3 x clauses."""

    name: str
    workspaces: int
    clauses: int
    audit_events: int
    users: int
    whale_events: int  # audit events of the largest deal (workspace 0): deep keyset pages, 1M-row exports
    global_events: int  # LOGIN/LOGOUT events outside any workspace (the 'global' chain)
    seed: int = 20250101

    @property
    def variables(self) -> int:
        return 3 * self.clauses

    def times(self, factor: int) -> Scale:
        """The same shape with `factor` times the rows (plan gates compare S with 2 x S)."""
        return replace(
            self,
            name=f"{self.name}x{factor}",
            workspaces=self.workspaces * factor,
            clauses=self.clauses * factor,
            audit_events=self.audit_events * factor,
            users=self.users * factor,
            whale_events=self.whale_events * factor,
            global_events=self.global_events * factor,
        )


SCALES: Final[dict[str, Scale]] = {
    "S": Scale("S", workspaces=40, clauses=8_000, audit_events=100_000, users=400, whale_events=20_000,
               global_events=1_000),
    "M": Scale("M", workspaces=500, clauses=100_000, audit_events=1_250_000, users=2_500, whale_events=250_000,
               global_events=12_500),
    "L": Scale("L", workspaces=2_000, clauses=400_000, audit_events=5_000_000, users=8_000, whale_events=1_000_000,
               global_events=50_000),
}  # fmt: skip


_MIX_START: Final = 0x9E3779B97F4A7C15


def mix(*parts: int) -> int:
    """splitmix64 over the parts: a cheap, stateless, well-spread 64-bit hash."""
    return mix_from(_MIX_START, *parts)


def mix_from(x: int, *parts: int) -> int:
    """`mix` continued from state `x`: mix(a, b, c) == mix_from(mix(a, b), c) (hot loops reuse a fixed prefix)."""
    for p in parts:
        x = (x ^ (p & _MASK)) * 0xBF58476D1CE4E5B9 & _MASK
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK
        x ^= x >> 31
    return x


_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


_B36_PAIRS: Final = tuple(a + b for a in _B36 for b in _B36)  # two base36 digits of 0..1295


def _base36(n: int, width: int) -> str:
    if width == 8:  # ids: four table lookups instead of eight divisions
        n, d = divmod(n, 1296)
        n, c = divmod(n, 1296)
        n, b = divmod(n, 1296)
        return _B36_PAIRS[n % 1296] + _B36_PAIRS[b] + _B36_PAIRS[c] + _B36_PAIRS[d]
    out = []
    for _ in range(width):
        n, r = divmod(n, 36)
        out.append(_B36[r])
    return "".join(reversed(out))


def make_id(at_us: int, *key: int) -> str:
    """An id in the `nexus_id()` format (`c` + 8 base36 of epoch ms + 16 chars of [0-9a-z]), deterministic."""
    return "c" + _base36(at_us // 1000, 8) + format(mix(*key), "016x")


def make_id_hashed(at_us: int, key_hash: int) -> str:
    """`make_id(at_us, *key)` when `key_hash == mix(*key)` is already known."""
    return "c" + _base36(at_us // 1000, 8) + format(key_hash, "016x")


def ts(us: int) -> str:
    """COPY text of a timestamptz given in epoch microseconds (UTC)."""
    sec, frac = divmod(us, 1_000_000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(sec)) + f".{frac:06d}+00"


def iso(us: int) -> str:
    """The audit canonical form of a timestamp (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, nexus/domain/audit.py)."""
    sec, frac = divmod(us, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{frac:06d}Z"


def apportion(total: int, weights: list[float], minimum: int) -> list[int]:
    """Split `total` into integer parts proportional to `weights`, each at least `minimum` (largest remainder)."""
    spare = total - minimum * len(weights)
    if spare < 0:
        raise ValueError(f"{total} rows cannot give {len(weights)} parts at least {minimum} each")
    norm = sum(weights)
    raw = [spare * w / norm for w in weights]
    parts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in by_remainder[: spare - sum(parts)]:
        parts[i] += 1
    return [p + minimum for p in parts]


def zipf(n: int, exponent: float = 0.7) -> list[float]:
    """Deal sizes by rank: a few huge deals, a long tail of small ones."""
    return [(i + 1) ** -exponent for i in range(n)]


CLAUSE_TYPES: Final = ("definition", "financial", "covenant", "xref", "general")
_CLAUSE_TYPE_SLOTS: Final = (0,) * 10 + (1,) * 25 + (2,) * 20 + (3,) * 15 + (4,) * 30  # percent per type
VARIABLE_TYPES: Final = ("financial", "covenant", "definition", "ratio")
VARIABLE_NODE_TYPE: Final = {"financial": "financial", "covenant": "covenant", "definition": "definition",
                             "ratio": "covenant"}  # fmt: skip
ROLES: Final = ("agent", "legal", "risk", "investor")
SEVERITIES: Final = ("HIGH", "MEDIUM", "MEDIUM", "LOW", "LOW")
SENTENCES: Final = (
    "The Borrower shall ensure that the Leverage Ratio does not exceed the agreed level on any Quarter Date.",
    "Each Lender shall make its participation in each Loan available through its Facility Office.",
    "The Margin applicable to each Loan is the rate per annum set out in the pricing grid below.",
    "Interest on each Loan for each Interest Period is payable on the last day of that Interest Period.",
    "The Agent shall promptly notify the Borrower and the Lenders of the determination of a rate of interest.",
    "No Default is continuing or would result from the proposed Utilisation.",
    "The Borrower may prepay the whole or any part of any Loan on giving not less than five Business Days notice.",
    "The Borrower shall supply to the Agent its audited consolidated financial statements for each Financial Year.",
    "Any Lender may assign any of its rights or transfer by novation any of its rights and obligations.",
    "The Guarantor irrevocably and unconditionally guarantees the punctual performance of each Obligor.",
    "Interest Cover in respect of any Relevant Period shall not be less than the required ratio.",
    "The Commitment Fee accrues on the unused and uncancelled amount of each Available Commitment.",
    "All payments by the Obligors shall be calculated and made without set off or counterclaim.",
    "The Agent may rely on any representation, notice or document believed by it to be genuine and correct.",
    "This Agreement and any non-contractual obligations arising out of it are governed by English law.",
    "A certificate of a Finance Party setting forth any amount payable is conclusive evidence of that amount.",
)
UNITS: Final = ("USD", "%", "x", "bps", "days")
EVENT_TYPES: Final = (
    ("VARIABLE_EDIT", 40), ("CLAUSE_EDIT", 18), ("GRAPH_SYNC", 8), ("RECON_APPLY", 6), ("DRIFT_APPROVE", 4),
    ("DRIFT_OVERRIDE", 3), ("DRIFT_REVERT", 3), ("RECON_REJECT", 2), ("SECTION_LOCKED", 2),
    ("SECTION_UNLOCKED", 2), ("INVITE_SENT", 2), ("EXPORT_JSON", 2), ("VARIABLE_BIND", 2), ("RECON_UPLOAD", 1),
    ("ROLE_CHANGED", 1), ("PUBLISH", 1), ("GOVERNANCE_UPDATED", 1), ("EXPORT_AUDIT", 1), ("MEMBER_REMOVED", 1),
)  # fmt: skip
_EVENT_SLOTS: Final = tuple(name for name, weight in EVENT_TYPES for _ in range(weight))
REASONS: Final = (
    ("Borrower requested amendment", "borrower_request"),
    ("Market conditions changed", "market_conditions"),
    ("Credit committee update", "credit_update"),
    ("Required by counsel", "legal_requirement"),
)
_UNSAFE: Final = frozenset("\t\n\r\\")  # COPY text specials; JSON strings are checked by _check_canonical

# Kinds in id keys, so ids of different tables never collide.
K_USER, K_WS, K_MEMBER, K_CLAUSE, K_VAR, K_DRIFT, K_SESSION, K_GRAPH_STATE = range(1, 9)
K_GOLDEN, K_VERSION, K_CONNECTOR, K_DELIVERY, K_COVENANT, K_RSESSION, K_RITEM, K_EVENT = range(9, 17)
K_ATTR = 99


def check_safe(*values: str) -> None:
    """Generated text must need no COPY or JSON escaping (guarded on a sample, not on every row)."""
    for v in values:
        if _UNSAFE.intersection(v):
            raise ValueError(f"generated text needs escaping: {v!r}")


def password_hash() -> str:
    """Deterministic argon2id PHC string of the demo password (fixed salt; cheap test parameters)."""
    raw: bytes = hash_secret(
        PASSWORD.encode(), b"nexus-bench-salt", time_cost=1, memory_cost=8192, parallelism=1, hash_len=32,
        type=Type.ID,
    )  # fmt: skip
    return raw.decode()


@dataclass
class Plan:
    """The shape of one generated database: sizes per workspace and the derived ids shared by every pass."""

    scale: Scale
    clause_counts: list[int] = field(default_factory=list)
    member_counts: list[int] = field(default_factory=list)
    event_counts: list[int] = field(default_factory=list)
    created_us: list[int] = field(default_factory=list)
    # Filled by earlier passes, read by later ones (small: one number per workspace).
    node_counts: list[int] = field(default_factory=list)
    edge_counts: list[int] = field(default_factory=list)
    drift_node_counts: list[int] = field(default_factory=list)
    open_high_counts: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, scale: Scale) -> Plan:
        n = scale.workspaces
        plan = cls(scale)
        plan.clause_counts = apportion(scale.clauses, zipf(n), minimum=20)
        plan.member_counts = [min(scale.users, 3 + c // 150, 40) for c in plan.clause_counts]
        rest = scale.audit_events - scale.whale_events - scale.global_events
        plan.event_counts = [scale.whale_events, *apportion(rest, zipf(n - 1), minimum=10)]
        # Deals open over the first year: the big ones first.
        plan.created_us = [START_US + i * (SPAN_US // 2) // n for i in range(n)]
        plan.node_counts = [0] * n
        plan.edge_counts = [0] * n
        plan.drift_node_counts = [0] * n
        plan.open_high_counts = [0] * n
        return plan

    # -- ids and derived attributes ---------------------------------------------------------------------------
    def seed(self) -> int:
        return self.scale.seed

    def user_id(self, u: int) -> str:
        return make_id(START_US - 86_400_000_000 + u * 1000, self.seed(), K_USER, u)

    def ws_id(self, w: int) -> str:
        return make_id(self.created_us[w], self.seed(), K_WS, w)

    def member_user(self, w: int, j: int) -> int:
        """The j-th member's user index: a stride walk, distinct for j < users (7919 is prime)."""
        return (w * 131 + j * 7919) % self.scale.users

    def member_role(self, w: int, j: int) -> tuple[str, bool, str]:
        """(role, is_admin, status) of the j-th member; member 0 is the deal's agent and admin."""
        if j == 0:
            return "agent", True, "active"
        h = mix(self.seed(), K_ATTR, K_MEMBER, w, j)
        status = "active" if h % 20 < 18 else ("pending" if h % 20 == 18 else "removed")
        return ROLES[(h >> 8) % 4], (h >> 16) % 10 == 0 and status == "active", status

    def clause_id(self, w: int, i: int) -> str:
        return make_id(self.created_us[w] + i * 1000, self.seed(), K_CLAUSE, w, i)

    def clause_type(self, w: int, i: int) -> str:
        return CLAUSE_TYPES[_CLAUSE_TYPE_SLOTS[mix(self.seed(), K_ATTR, K_CLAUSE, w, i) % 100]]

    def variable_count(self, w: int, i: int) -> int:
        """1..5 variables per clause (cycling); the last clause of a deal takes the rest, so a deal with n clauses
        has exactly 3n variables."""
        n = self.clause_counts[w]
        if i < n - 1:
            return 1 + i % 5
        m = n - 1
        return 3 * n - (15 * (m // 5) + (m % 5) * (m % 5 + 1) // 2)

    def variable_id(self, w: int, i: int, k: int) -> str:
        return make_id(self.created_us[w] + i * 1000 + k, self.seed(), K_VAR, w, i, k)

    def variable_state(self, w: int, i: int, k: int) -> tuple[str, str, int]:
        """(baseline, value, drift) of a variable; drift: 0 none, 1 open, 2 settled (approved/overridden/reverted)."""
        h = mix(self.seed(), K_ATTR, K_VAR, w, i, k)
        baseline = f"{1 + h % 9000 / 100:.2f}"
        drift = 0 if h >> 20 & 31 else (1 if (h >> 30) % 5 < 3 else 2)
        value = f"{1 + (h >> 40) % 9000 / 100 + 0.25:.2f}" if drift == 1 else baseline
        return baseline, value, drift

    def actor(self, w: int, h: int) -> int:
        """A member user of workspace w chosen by hash h."""
        return self.member_user(w, h % self.member_counts[w])


# -- row generators: each yields COPY text lines (tab separated, newline terminated) -------------------------
def _line(*values: object) -> str:
    return "\t".join(NULL if v is None else str(v) for v in values) + "\n"


def users(plan: Plan) -> Iterator[str]:
    pw = password_hash()
    for u in range(plan.scale.users):
        at = ts(START_US - 86_400_000_000 + u * 1000)
        yield _line(plan.user_id(u), f"user{u}@bench.example", f"User {u}", pw, at, at)


def sessions(plan: Plan) -> Iterator[str]:
    """Two per user: a live one (expires 2099) and one revoked at logout."""
    for u in range(plan.scale.users):
        uid = plan.user_id(u)
        at = START_US + u * 1_000_000
        yield _line(make_id(at, plan.seed(), K_SESSION, u, 0), uid, ts(at), "2099-01-01 00:00:00+00", None, None,
                    "bench-agent/1.0", f"10.{u >> 16 & 255}.{u >> 8 & 255}.{u & 255}")  # fmt: skip
        yield _line(make_id(at + 1, plan.seed(), K_SESSION, u, 1), uid, ts(at + 1), ts(at + 86_400_000_000),
                    ts(at + 3_600_000_000), "logout", "bench-agent/1.0", None)  # fmt: skip


def workspaces(plan: Plan) -> Iterator[str]:
    for w in range(plan.scale.workspaces):
        at = ts(plan.created_us[w])
        amount = 50_000_000 + mix(plan.seed(), K_ATTR, K_WS, w) % 2_000_000_000
        yield _line(plan.ws_id(w), f"Facility Agreement {w}", ("USD", "EUR", "GBP")[w % 3], f"{amount}.00", "LMA",
                    f"deal-{w}.pdf", plan.user_id(plan.member_user(w, 0)), at, at, at)  # fmt: skip


def members(plan: Plan) -> Iterator[str]:
    for w in range(plan.scale.workspaces):
        wid = plan.ws_id(w)
        for j in range(plan.member_counts[w]):
            role, admin, status = plan.member_role(w, j)
            at = plan.created_us[w] + j * 60_000_000
            yield _line(make_id(at, plan.seed(), K_MEMBER, w, j), wid, plan.user_id(plan.member_user(w, j)), role,
                        "t" if admin else "f", "t" if role == "legal" and j % 3 == 0 else "f", status, ts(at),
                        ts(at + 3_600_000_000) if status == "active" else None)  # fmt: skip


def _body(plan: Plan, w: int, i: int, ctype: str) -> str:
    h = mix(plan.seed(), K_ATTR, K_CLAUSE, w, i, 1)
    parts = [SENTENCES[(h >> (4 * s)) % len(SENTENCES)] for s in range(2 + h % 3)]
    if ctype == "definition":
        parts.insert(0, f"In this Agreement Term {w} {i} means the amount of item {i} in Schedule {1 + h % 9}.")
    elif ctype == "xref":
        parts.append(f"Subject to Clause {1 + (h >> 32) % max(i, 1)} (Section {1 + (h >> 40) % max(i, 1)}).")
    return " ".join(parts)


def clauses(plan: Plan) -> Iterator[str]:
    for w in range(plan.scale.workspaces):
        wid = plan.ws_id(w)
        owner = plan.user_id(plan.member_user(w, 0))
        for i in range(plan.clause_counts[w]):
            ctype = plan.clause_type(w, i)
            at = plan.created_us[w] + i * 1000
            locked = mix(plan.seed(), K_ATTR, K_CLAUSE, w, i, 2) % 100 == 0
            yield _line(plan.clause_id(w, i), wid, f"{i + 1}. Section {i + 1}", _body(plan, w, i, ctype), ctype,
                        i + 1, "t" if i % 7 == 0 else "f", "t" if locked else "f", owner if locked else None,
                        ts(at) if locked else None, ts(at), owner, ts(at), ts(at))  # fmt: skip


def variables(plan: Plan) -> Iterator[str]:
    for w in range(plan.scale.workspaces):
        wid = plan.ws_id(w)
        for i in range(plan.clause_counts[w]):
            cid = plan.clause_id(w, i)
            for k in range(plan.variable_count(w, i)):
                baseline, value, _drift = plan.variable_state(w, i, k)
                at = ts(plan.created_us[w] + i * 1000 + k)
                vtype = VARIABLE_TYPES[(i + k) % 4]
                yield _line(plan.variable_id(w, i, k), wid, cid, f"Amount {k + 1} of clause {i + 1}", vtype, value,
                            UNITS[(i + k) % 5], baseline, at, at, at, plan.user_id(plan.actor(w, i + k)),
                            at)  # fmt: skip


def _has_node(ctype: str) -> bool:
    return ctype != "general"


def graph_nodes(plan: Plan) -> Iterator[str]:
    """Clause nodes (all but general clauses) and variable nodes, as the graph build names them."""
    for w in range(plan.scale.workspaces):
        wid = plan.ws_id(w)
        at = ts(plan.created_us[w] + 86_400_000_000)
        nodes = drifting = 0
        for i in range(plan.clause_counts[w]):
            ctype = plan.clause_type(w, i)
            cid = plan.clause_id(w, i)
            open_drift = False
            for k in range(plan.variable_count(w, i)):
                _baseline, value, drift = plan.variable_state(w, i, k)
                vid = plan.variable_id(w, i, k)
                vtype = VARIABLE_TYPES[(i + k) % 4]
                open_drift = open_drift or drift == 1
                nodes += 1
                drifting += drift == 1
                yield _line(f"node-v-{vid}", wid, f"Amount {k + 1} of clause {i + 1}", VARIABLE_NODE_TYPE[vtype], None,
                            vid, value, "t" if drift == 1 else "f", "f", at, at)  # fmt: skip
            if _has_node(ctype):
                nodes += 1
                drifting += open_drift
                yield _line(f"node-c-{cid}", wid, f"{i + 1}. Section {i + 1}", ctype, cid, None, None,
                            "t" if open_drift else "f", "f", at, at)  # fmt: skip
        plan.node_counts[w], plan.drift_node_counts[w] = nodes, drifting


def graph_edges(plan: Plan) -> Iterator[str]:
    """Binding (variable -> clause, 5), definition (definer -> the next clauses, 3), reference (cited -> citing, 2)."""
    for w in range(plan.scale.workspaces):
        wid = plan.ws_id(w)
        at = ts(plan.created_us[w] + 86_400_000_000)
        n = plan.clause_counts[w]
        types = [plan.clause_type(w, i) for i in range(n)]
        seen: set[tuple[int, int]] = set()
        edges = 0
        for i in range(n):
            cnode = f"node-c-{plan.clause_id(w, i)}"
            if not _has_node(types[i]):
                continue
            for k in range(plan.variable_count(w, i)):
                vnode = f"node-v-{plan.variable_id(w, i, k)}"
                edges += 1
                yield _line(f"edge-{vnode}--{cnode}", wid, vnode, cnode, 5, at)
            if types[i] == "definition":
                for j in range(i + 1, min(n, i + 6)):
                    if _has_node(types[j]) and (i, j) not in seen:
                        seen.add((i, j))
                        edges += 1
                        yield _line(f"edge-{cnode}--node-c-{plan.clause_id(w, j)}", wid, cnode,
                                    f"node-c-{plan.clause_id(w, j)}", 3, at)  # fmt: skip
            if types[i] == "xref" and i > 0:
                src = mix(plan.seed(), K_ATTR, 7, w, i) % i
                if _has_node(types[src]) and (src, i) not in seen:
                    seen.add((src, i))
                    snode = f"node-c-{plan.clause_id(w, src)}"
                    edges += 1
                    yield _line(f"edge-{snode}--{cnode}", wid, snode, cnode, 2, at)
        plan.edge_counts[w] = edges


def drift_items(plan: Plan) -> Iterator[str]:
    """One drift row per drifting variable: open (value != baseline) or settled by approve/override/revert."""
    for w in range(plan.scale.workspaces):
        wid = plan.ws_id(w)
        high = 0
        for i in range(plan.clause_counts[w]):
            for k in range(plan.variable_count(w, i)):
                baseline, value, drift = plan.variable_state(w, i, k)
                if not drift:
                    continue
                h = mix(plan.seed(), K_ATTR, K_DRIFT, w, i, k)
                severity = SEVERITIES[h % 5]
                at_us = plan.created_us[w] + 86_400_000_000 + (h >> 8) % (SPAN_US // 2)
                actor = plan.user_id(plan.actor(w, h >> 16))
                if drift == 1:
                    high += severity == "HIGH"
                    status, approved_by, approved_at, reason, current = "unresolved", None, None, None, value
                else:
                    status = ("approved", "overridden", "reverted")[(h >> 24) % 3]
                    approved_by, approved_at = actor, ts(at_us + 3_600_000_000)
                    reason, current = REASONS[(h >> 28) % 4][0], f"{float(baseline) + 0.5:.2f}"
                yield _line(make_id(at_us, plan.seed(), K_DRIFT, w, i, k), wid, plan.clause_id(w, i),
                            plan.variable_id(w, i, k), f"Amount {k + 1} of clause {i + 1}", plan.clause_type(w, i),
                            severity, baseline, ts(plan.created_us[w]), current, UNITS[(i + k) % 5], ts(at_us), actor,
                            status, approved_by, approved_at, reason, ts(at_us), ts(at_us))  # fmt: skip
        plan.open_high_counts[w] = high


def _integrity(plan: Plan, w: int) -> int:
    nodes = max(plan.node_counts[w], 1)
    return max(0, 100 - (100 * plan.drift_node_counts[w]) // nodes)


def graph_state(plan: Plan) -> Iterator[str]:
    for w in range(plan.scale.workspaces):
        at = ts(plan.created_us[w] + 86_400_000_000)
        yield _line(make_id(plan.created_us[w], plan.seed(), K_GRAPH_STATE, w), plan.ws_id(w), _integrity(plan, w),
                    plan.node_counts[w], plan.edge_counts[w], plan.drift_node_counts[w], 0, at, at)  # fmt: skip


def _versions(plan: Plan, w: int) -> int:
    return mix(plan.seed(), K_ATTR, K_VERSION, w) % 4  # 0..3 published versions


def golden_records(plan: Plan) -> Iterator[str]:
    for w in range(plan.scale.workspaces):
        at = plan.created_us[w]
        published = _versions(plan, w) > 0
        last = ts(at + 30 * 86_400_000_000) if published else None
        yield _line(make_id(at, plan.seed(), K_GOLDEN, w), plan.ws_id(w),
                    "READY" if published and plan.open_high_counts[w] == 0 else "IN_REVIEW", _integrity(plan, w),
                    plan.open_high_counts[w], last, last, "{}", ts(at), ts(at))  # fmt: skip


def golden_versions(plan: Plan) -> Iterator[str]:
    for w in range(plan.scale.workspaces):
        wid = plan.ws_id(w)
        for v in range(1, _versions(plan, w) + 1):
            at = plan.created_us[w] + v * 10 * 86_400_000_000
            doc = f'{{"workspaceId": "{wid}", "version": {v}}}'
            yield _line(make_id(at, plan.seed(), K_VERSION, w, v), wid,
                        make_id(plan.created_us[w], plan.seed(), K_GOLDEN, w), v, doc,
                        f"sha256:{mix(plan.seed(), K_VERSION, w, v):016x}{'0' * 48}", 90,
                        plan.user_id(plan.member_user(w, 0)), ts(at), "Quarterly publication",
                        "credit_update")  # fmt: skip


CONNECTOR_TYPES: Final = ("LoanIQ", "Finastra", "Allvue", "CovenantTracker")


def connectors(plan: Plan) -> Iterator[str]:
    """One per type; even workspaces have an endpoint on their LoanIQ connector."""
    for w in range(plan.scale.workspaces):
        at = ts(plan.created_us[w])
        for t, ctype in enumerate(CONNECTOR_TYPES):
            endpoint = f"https://hooks.bench.example/{w}" if t == 0 and w % 2 == 0 else None
            status = ("READY" if endpoint is None else "IN_REVIEW") if _versions(plan, w) else "DISCONNECTED"
            yield _line(make_id(plan.created_us[w], plan.seed(), K_CONNECTOR, w, t), plan.ws_id(w), ctype, ctype,
                        status, at if _versions(plan, w) else None, endpoint, at, at)  # fmt: skip


def deliveries(plan: Plan) -> Iterator[str]:
    for w in range(0, plan.scale.workspaces, 2):
        last = _versions(plan, w)
        for v in range(1, last + 1):
            at = ts(plan.created_us[w] + v * 10 * 86_400_000_000)
            status = "delivered" if v == last else "superseded"
            yield _line(make_id(plan.created_us[w], plan.seed(), K_DELIVERY, w, v), plan.ws_id(w),
                        make_id(plan.created_us[w], plan.seed(), K_CONNECTOR, w, 0),
                        make_id(plan.created_us[w] + v * 10 * 86_400_000_000, plan.seed(), K_VERSION, w, v), status,
                        1 if status == "delivered" else 0, None, at if status == "delivered" else None,
                        at if status == "delivered" else None, 200 if status == "delivered" else None, at,
                        at)  # fmt: skip


def covenants(plan: Plan) -> Iterator[str]:
    """The first ten covenant clauses of each deal carry a covenant bound to their first variable."""
    for w in range(plan.scale.workspaces):
        wid, at, found = plan.ws_id(w), ts(plan.created_us[w]), 0
        for i in range(plan.clause_counts[w]):
            if found == 10:
                break
            if plan.clause_type(w, i) != "covenant":
                continue
            found += 1
            yield _line(make_id(plan.created_us[w], plan.seed(), K_COVENANT, w, i), wid, f"Covenant {found}",
                        "Quarterly", "not more than 3.50x", "Consolidated EBITDA over Total Net Debt",
                        plan.clause_id(w, i), plan.variable_id(w, i, 0), at, at)  # fmt: skip


def _recon_sessions(plan: Plan, w: int) -> int:
    return 1 + plan.clause_counts[w] // 1000


RECON_ITEMS: Final = 12


def recon_sessions(plan: Plan) -> Iterator[str]:
    """Earlier uploads fully decided (8 applied, 4 rejected), the newest one still pending."""
    for w in range(plan.scale.workspaces):
        n = _recon_sessions(plan, w)
        for s in range(n):
            at = ts(plan.created_us[w] + (s + 1) * 7 * 86_400_000_000)
            applied, rejected = (0, 0) if s == n - 1 else (8, 4)
            yield _line(make_id(plan.created_us[w] + s, plan.seed(), K_RSESSION, w, s), plan.ws_id(w),
                        f"markup-{s + 1}.docx", "docx", at, plan.user_id(plan.member_user(w, 0)), RECON_ITEMS,
                        applied, rejected, RECON_ITEMS - applied - rejected, at, at)  # fmt: skip


def recon_items(plan: Plan) -> Iterator[str]:
    for w in range(plan.scale.workspaces):
        n = _recon_sessions(plan, w)
        for s in range(n):
            sid = make_id(plan.created_us[w] + s, plan.seed(), K_RSESSION, w, s)
            at_us = plan.created_us[w] + (s + 1) * 7 * 86_400_000_000
            for p in range(RECON_ITEMS):
                h = mix(plan.seed(), K_ATTR, K_RITEM, w, s, p)
                i = h % plan.clause_counts[w]
                baseline, value, _d = plan.variable_state(w, i, 0)
                decision = "pending" if s == n - 1 else ("applied" if p < 8 else "rejected")
                decided = decision != "pending"
                yield _line(make_id(at_us, plan.seed(), K_RITEM, w, s, p), plan.ws_id(w), sid,
                            f"The amount of item {p} shall be {value}", plan.clause_id(w, i),
                            plan.variable_id(w, i, 0), ("HIGH", "MEDIUM", "LOW")[h >> 8 & 1 if p < 8 else 2],
                            baseline, value, f"{float(value) + 1:.2f}", decision,
                            "Agreed in markup" if decided else None,
                            plan.user_id(plan.member_user(w, 0)) if decided else None,
                            ts(at_us + 3_600_000_000) if decided else None, p, 50 + h % 50, "value change",
                            ts(at_us), ts(at_us))  # fmt: skip


# -- audit events: one time-ordered stream over all chains, hashed here ----------------------------------------
@dataclass
class ChainHead:
    seq: int = 0
    hash: str = GENESIS_HASH
    last_us: int = 0


def _json_text(value: str | None) -> str:
    return "null" if value is None else f'"{value}"'


def canonical(
    *, eid: str, chain: str, seq: int, prev: str, ws: str | None, at_iso: str, actor: str, name: str, etype: str,
    ttype: str | None, tid: str | None, before: str | None, after: str | None, reason: str | None,
    rcat: str | None,
) -> str:  # fmt: skip
    """`nexus_audit_canonical()` of a generated event: jsonb key order (length, then bytes), ", " and ": ".
    States are already jsonb text; strings are safe (no escaping). Cross-checked with nexus.domain.audit."""
    return (
        f'{{"v": 1, "id": "{eid}", "seq": {seq}, "reason": {_json_text(reason)}, "actorId": "{actor}", '
        f'"chainId": "{chain}", "prevHash": "{prev}", "targetId": {_json_text(tid)}, "actorName": "{name}", '
        f'"eventType": "{etype}", "timestamp": "{at_iso}", "afterState": {after or "null"}, '
        f'"targetType": {_json_text(ttype)}, "beforeState": {before or "null"}, "workspaceId": {_json_text(ws)}, '
        f'"reasonCategory": {_json_text(rcat)}}}'
    )


def audit_order(plan: Plan) -> list[int]:
    """Workspace index of each event in time order (-1 = global chain), shuffled with the seed."""
    order = [-1] * plan.scale.global_events
    for w, count in enumerate(plan.event_counts):
        order.extend([w] * count)
    random.Random(plan.seed()).shuffle(order)
    return order


def _check_canonical(fields: dict[str, object], fast: str) -> None:
    import json

    from nexus.domain.audit import canonical_encoding

    row = dict(fields)
    for key in ("before_state", "after_state"):
        text = row[key]
        row[key] = None if text is None else json.loads(str(text))
    slow = canonical_encoding(row)
    if slow != fast:  # pragma: no cover - a generator bug; verify would fail too
        raise AssertionError(f"generated canonical text differs from nexus.domain.audit:\n{fast}\n{slow}")


def audit_part(w: int, parts: int) -> int:
    """Which of `parts` generator processes owns workspace w's chain (-1 = global): whole chains, so each process
    hashes its chains alone and the heads never overlap."""
    return (w + 1) % parts


def audit_events(
    plan: Plan, heads: dict[str, ChainHead], part: int = 0, parts: int = 1, order: list[int] | None = None
) -> Iterator[str]:
    """Every event in time order, chained per workspace (and 'global'); fills `heads` as the trigger would. With
    `parts` > 1 only the events of the chains `audit_part` gives to `part` (the rows are the same either way)."""
    seed, users_n = plan.seed(), plan.scale.users
    if order is None:
        order = audit_order(plan)
    step = SPAN_US // max(len(order), 1)
    ws_ids = [plan.ws_id(w) for w in range(plan.scale.workspaces)]
    sha256 = hashlib.sha256
    event_key = mix(seed, K_EVENT)
    gmtime, strftime = time.gmtime, time.strftime
    for e, w in enumerate(order):
        if parts > 1 and (w + 1) % parts != part:
            continue
        h = mix_from(event_key, e)
        at_us = START_US + e * step + h % max(step // 2, 1)
        ws: str | None
        before = after = reason = rcat = ttype = tid = None
        if w < 0:
            ws, chain = None, GLOBAL_CHAIN
            u = h % users_n
            etype = "LOGIN" if h >> 8 & 1 else "LOGOUT"
            ttype, tid = "session", make_id(at_us, seed, K_SESSION, u, e)
        else:
            ws = chain = ws_ids[w]
            u = plan.actor(w, h >> 8)
            etype = _EVENT_SLOTS[(h >> 16) % 100]
            i = (h >> 24) % plan.clause_counts[w]
            if etype in ("VARIABLE_EDIT", "VARIABLE_BIND"):
                baseline, value, _d = plan.variable_state(w, i, 0)
                ttype, tid = "variable", plan.variable_id(w, i, 0)
                before, after = f'{{"value": "{baseline}"}}', f'{{"value": "{value}"}}'
            elif etype in ("CLAUSE_EDIT", "SECTION_LOCKED", "SECTION_UNLOCKED"):
                ttype, tid = "clause", plan.clause_id(w, i)
                if etype == "CLAUSE_EDIT":
                    before, after = (
                        f'{{"title": "{i + 1}. Section {i + 1}"}}',
                        f'{{"title": "{i + 1}. Clause {i + 1}"}}',
                    )
            elif etype.startswith("DRIFT_"):
                ttype, tid = "drift", make_id(at_us, seed, K_DRIFT, w, i, e)
                reason, rcat = REASONS[(h >> 40) % 4]
                before, after = '{"status": "unresolved"}', f'{{"status": "{etype[6:].lower()}"}}'
            elif etype.startswith("RECON_"):
                ttype, tid = "reconciliation_item", make_id(at_us, seed, K_RITEM, w, i, e)
            else:
                ttype, tid = "workspace", ws
                after = f'{{"event": "{etype.lower()}"}}'
        head = heads.get(chain)
        if head is None:
            head = heads[chain] = ChainHead()
        at_us = max(at_us, head.last_us + 1)
        eid = make_id_hashed(at_us, h)  # == make_id(at_us, seed, K_EVENT, e)
        actor, name = plan.user_id(u), f"User {u}"
        sec, frac = divmod(at_us, 1_000_000)
        day_time = strftime("%Y-%m-%d %H:%M:%S", gmtime(sec))
        micros = f".{frac:06d}"
        at_iso = day_time.replace(" ", "T") + micros + "Z"  # == iso(at_us)
        seq = head.seq + 1
        text = canonical(eid=eid, chain=chain, seq=seq, prev=head.hash, ws=ws, at_iso=at_iso, actor=actor, name=name,
                         etype=etype, ttype=ttype, tid=tid, before=before, after=after, reason=reason,
                         rcat=rcat)  # fmt: skip
        digest = sha256(text.encode()).hexdigest()
        if e < 200 or e % 50_000 == 0:
            check_safe(text)
            copy_ts = day_time + micros + "+00"
            if eid != make_id(at_us, seed, K_EVENT, e) or at_iso != iso(at_us) or copy_ts != ts(at_us):
                raise AssertionError(f"fast id/timestamp of event {e} differ")  # pragma: no cover - generator bug
            _check_canonical(
                {"id": eid, "workspace_id": ws, "chain_id": chain, "seq": seq, "prev_hash": head.hash,
                 "timestamp": at_iso, "actor_id": actor, "actor_name": name, "event_type": etype, "target_type": ttype,
                 "target_id": tid, "before_state": before, "after_state": after, "reason": reason,
                 "reason_category": rcat},
                text,
            )  # fmt: skip
        yield _line(eid, ws, day_time + micros + "+00", actor, name, etype, ttype, tid, before, after, reason, rcat,
                    chain, seq, head.hash, digest)  # fmt: skip
        head.seq, head.hash, head.last_us = seq, digest, at_us


def chain_heads(heads: dict[str, ChainHead]) -> Iterator[str]:
    for chain, head in heads.items():
        yield _line(chain, head.seq, head.hash, ts(head.last_us), ts(head.last_us))

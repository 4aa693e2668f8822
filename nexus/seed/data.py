"""The demo dataset of spec/demo-data.md as typed rows, each with its final values (demo-data §0).

Computed by the loader (demo-data §0): graph nodes/edges and the graph build's `graph_state` values (§7); the
version-1 document of ws-002 (the export builder's output, §9), which is grv-001's document, gr-002's
`schema_json`, and whose hash and size complete audit-021/022 (§12) — see `PublishedDocument`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal, TypeAlias

JsonValue: TypeAlias = str | int | bool | list["JsonValue"] | dict[str, "JsonValue"] | None
JsonObject: TypeAlias = dict[str, JsonValue]

DEMO_PASSWORD = "Password123"  # noqa: S105 - the documented demo password (demo-data §0)


def ts(text: str) -> datetime:
    """An aware UTC datetime from an ISO-8601 `...Z` literal."""
    value = datetime.fromisoformat(text)
    if value.utcoffset() != timedelta(0):
        raise ValueError(f"demo timestamps are UTC: {text}")
    return value


def _replace_once(text: str, old: str, new: str) -> str:
    """`text` with the single occurrence of `old` replaced by `new`."""
    if text.count(old) != 1:
        raise ValueError(f"{old!r} must occur exactly once")
    return text.replace(old, new)


# ---------------------------------------------------------------------------------------------------------
# Row types (field names = column names; derived timestamps follow demo-data §0)

MemberRole = Literal["agent", "legal", "risk", "investor"]
ClauseType = Literal["financial", "covenant", "definition", "xref", "general"]
VariableType = Literal["financial", "definition", "covenant", "ratio"]
Severity = Literal["HIGH", "MEDIUM", "LOW"]
DriftStatus = Literal["unresolved", "overridden", "reverted", "approved"]
Decision = Literal["pending", "applied", "rejected"]
ConnectorType = Literal["LoanIQ", "Finastra", "Allvue", "CovenantTracker"]
ConnectorStatus = Literal["READY", "IN_REVIEW", "DISCONNECTED"]
ReasonCategory = Literal["borrower_request", "market_conditions", "credit_update", "legal_requirement", "other"]
EventType = Literal[
    "LOGIN", "LOGOUT", "WORKSPACE_CREATE", "INVITE_SENT", "ROLE_CHANGED", "MEMBER_REMOVED", "CLAUSE_EDIT",
    "VARIABLE_EDIT", "VARIABLE_BIND", "GRAPH_SYNC", "DRIFT_OVERRIDE", "DRIFT_REVERT", "DRIFT_APPROVE",
    "RECON_APPLY", "RECON_REJECT", "PUBLISH", "EXPORT_JSON", "EXPORT_AUDIT", "GOVERNANCE_UPDATED",
    "SECTION_LOCKED", "SECTION_UNLOCKED", "RECON_UPLOAD",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    email: str
    created_at: datetime
    avatar_url: str | None = None

    @property
    def updated_at(self) -> datetime:
        return self.created_at


@dataclass(frozen=True, slots=True)
class Workspace:
    id: str
    name: str
    currency: str
    amount: Decimal
    standard: str
    base_pdf_name: str | None
    created_by_id: str
    created_at: datetime
    updated_at: datetime
    last_sync_at: datetime | None
    governance_rules: dict[str, bool]
    archived_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    workspace_id: str
    user_id: str
    role: MemberRole
    is_admin: bool
    is_external: bool
    invited_at: datetime
    joined_at: datetime | None
    status: Literal["active", "pending", "removed"] = "active"


@dataclass(frozen=True, slots=True)
class Clause:
    id: str
    workspace_id: str
    order: int
    title: str
    type: ClauseType
    is_sensitive: bool
    body: str
    created_at: datetime
    last_modified_at: datetime
    last_modified_by: str
    is_locked: bool = False
    locked_by: str | None = None
    locked_at: datetime | None = None

    @property
    def updated_at(self) -> datetime:
        """The row's latest change: its content edit, or its lock when later (clause-012)."""
        if self.locked_at is not None and self.locked_at > self.last_modified_at:
            return self.locked_at
        return self.last_modified_at


@dataclass(frozen=True, slots=True)
class Variable:
    id: str
    workspace_id: str
    clause_id: str
    label: str
    type: VariableType
    value: str
    unit: str | None
    baseline_value: str | None
    baseline_approved_at: datetime | None
    created_at: datetime
    last_modified_at: datetime
    last_modified_by: str | None

    @property
    def updated_at(self) -> datetime:
        """`last_modified_at`, or `baseline_approved_at` when later (var-008)."""
        if self.baseline_approved_at is not None and self.baseline_approved_at > self.last_modified_at:
            return self.baseline_approved_at
        return self.last_modified_at


@dataclass(frozen=True, slots=True)
class Drift:
    id: str
    workspace_id: str
    clause_id: str
    variable_id: str | None
    title: str
    type: ClauseType
    severity: Severity
    baseline_value: str
    baseline_approved_at: datetime
    current_value: str
    unit: str | None
    current_modified_at: datetime
    current_modified_by: str
    status: DriftStatus
    approved_by: str | None
    approved_at: datetime | None
    approval_reason: str | None

    @property
    def created_at(self) -> datetime:
        """The change that opened the drift."""
        return self.current_modified_at

    @property
    def updated_at(self) -> datetime:
        """The resolution time when resolved, else the opening change."""
        return self.approved_at or self.current_modified_at


@dataclass(frozen=True, slots=True)
class ReconSession:
    id: str
    workspace_id: str
    file_name: str
    file_type: Literal["docx", "pdf"]
    uploaded_at: datetime
    uploaded_by: str
    total_items: int
    applied_count: int
    rejected_count: int
    pending_count: int

    @property
    def created_at(self) -> datetime:
        return self.uploaded_at

    @property
    def updated_at(self) -> datetime:
        return self.uploaded_at


@dataclass(frozen=True, slots=True)
class ReconItem:
    id: str
    workspace_id: str
    session_id: str
    position: int
    confidence: Severity
    target_clause_id: str
    target_variable_id: str | None
    incoming_snippet: str
    baseline_value: str
    current_value: str
    proposed_value: str
    match_score: int
    change_description: str
    created_at: datetime
    decision: Decision = "pending"
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None

    @property
    def updated_at(self) -> datetime:
        return self.created_at


@dataclass(frozen=True, slots=True)
class GoldenRecord:
    id: str
    workspace_id: str
    status: Literal["READY", "IN_REVIEW"]
    integrity_score: int
    unresolved_high_drift_count: int
    last_export_at: datetime | None
    last_publish_at: datetime | None
    schema_json: str
    created_at: datetime

    @property
    def updated_at(self) -> datetime:
        return self.created_at


@dataclass(frozen=True, slots=True)
class Version:
    """A published golden-record version; its document and hash come from the export builder at load time."""

    id: str
    workspace_id: str
    golden_record_id: str
    version: int
    integrity_score: int
    published_by: str
    published_at: datetime
    reason: str
    reason_category: ReasonCategory | None


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    workspace_id: str
    connector_id: str
    version_id: str
    status: Literal["pending", "retrying", "delivered", "skipped", "failed", "superseded"]
    created_at: datetime
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None

    @property
    def updated_at(self) -> datetime:
        return self.created_at


@dataclass(frozen=True, slots=True)
class PublishedDocument:
    """The export builder's document of the published workspace (ws-002), computed by the loader."""

    schema_json: str
    content_hash: str

    @property
    def size(self) -> int:
        return len(self.schema_json.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class Covenant:
    id: str
    workspace_id: str
    name: str
    test_frequency: str
    threshold: str
    calculation_basis: str
    clause_id: str
    variable_id: str | None
    created_at: datetime

    @property
    def updated_at(self) -> datetime:
        return self.created_at


@dataclass(frozen=True, slots=True)
class Connector:
    id: str
    workspace_id: str
    name: str
    type: ConnectorType
    status: ConnectorStatus
    last_sync_at: datetime | None
    endpoint_url: str | None
    created_at: datetime

    @property
    def updated_at(self) -> datetime:
        return self.created_at


@dataclass(frozen=True, slots=True)
class Session:
    """A past login; expired, never revoked, no refresh tokens."""

    id: str
    user_id: str
    created_at: datetime
    ip: str
    user_agent: str = "Mozilla/5.0 (demo)"

    @property
    def expires_at(self) -> datetime:
        return self.created_at + timedelta(days=7)


@dataclass(frozen=True, slots=True)
class GraphState:
    """Creation values (domain.md §4.1); the seeded graph build (demo-data §0, §7) will replace them."""

    workspace_id: str
    updated_at: datetime
    integrity_score: int = 100
    node_count: int = 0
    edge_count: int = 0
    drift_node_count: int = 0
    warning_node_count: int = 0
    last_computed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """Business columns only: the chain trigger fills chain_id / seq / prev_hash / hash (schema.md §6.6)."""

    id: str
    timestamp: datetime
    workspace_id: str | None
    actor_id: str
    event_type: EventType
    target_type: str | None
    target_id: str | None
    before_state: JsonObject | None
    after_state: JsonObject | None
    reason: str | None
    reason_category: ReasonCategory | None

    @property
    def actor_name(self) -> str:
        """Snapshot of the actor's name (domain.md §11.2)."""
        return USER_BY_ID[self.actor_id].name


# ---------------------------------------------------------------------------------------------------------
# §1 Users (avatar_url NULL for all)

# fmt: off
USERS: tuple[User, ...] = (
    User("user-001", "Sarah Chen", "sarah.chen@bankco.com", ts("2024-05-20T09:00:00Z")),
    User("user-002", "James Wilson", "james.wilson@legalfirm.com", ts("2024-05-20T09:05:00Z")),
    User("user-003", "Maria Garcia", "maria.garcia@bankco.com", ts("2024-05-20T09:10:00Z")),
    User("user-004", "David Kim", "david.kim@investco.com", ts("2024-05-20T09:15:00Z")),
    User("user-005", "Emma Brown", "emma.brown@bankco.com", ts("2024-09-20T09:00:00Z")),
)
# fmt: on
USER_BY_ID: dict[str, User] = {u.id: u for u in USERS}
DEMO_EMAILS: tuple[str, ...] = tuple(u.email for u in USERS)

# ---------------------------------------------------------------------------------------------------------
# §2 Workspaces

# domain.md §2: the rules every workspace is created with.
DEFAULT_GOVERNANCE: dict[str, bool] = {
    "requireReasonForSensitiveEdits": True,
    "legalCanRevertDraft": False,
    "riskApprovalRequiredForOverride": False,
    "publishBlockedWhenHighDrift": True,
    "definitionsLockedAfterApproval": False,
    "externalCounselReadOnly": False,
}


def _governance(**changes: bool) -> dict[str, bool]:
    unknown = set(changes) - set(DEFAULT_GOVERNANCE)
    if unknown:
        raise ValueError(f"unknown governance rules {sorted(unknown)}")
    return {**DEFAULT_GOVERNANCE, **changes}


# Set by audit-012, audit-006 and audit-008 respectively.
GOVERNANCE_WS_001 = _governance(legalCanRevertDraft=True, riskApprovalRequiredForOverride=True)
GOVERNANCE_WS_002 = _governance(definitionsLockedAfterApproval=True, externalCounselReadOnly=True)
GOVERNANCE_WS_003 = _governance(legalCanRevertDraft=True, riskApprovalRequiredForOverride=True)

WORKSPACES: tuple[Workspace, ...] = (
    Workspace(
        id="ws-001",
        name="Project Atlas - Senior Secured Facility",
        currency="USD",
        amount=Decimal("500000000.00"),
        standard="LMA-style v2024.1",
        base_pdf_name="Atlas_Facility_Agreement_v1.pdf",
        created_by_id="user-001",
        created_at=ts("2024-06-01T09:00:00Z"),
        updated_at=ts("2024-12-10T09:00:00Z"),
        last_sync_at=ts("2024-12-20T11:30:00Z"),
        governance_rules=GOVERNANCE_WS_001,
    ),
    Workspace(
        id="ws-002",
        name="Project Beacon - Revolving Credit",
        currency="EUR",
        amount=Decimal("250000000.00"),
        standard="LMA-style v2024.1",
        base_pdf_name="Beacon_RCF_Draft.pdf",
        created_by_id="user-001",
        created_at=ts("2024-08-15T10:00:00Z"),
        updated_at=ts("2024-08-15T10:20:00Z"),
        last_sync_at=ts("2024-12-17T16:00:00Z"),
        governance_rules=GOVERNANCE_WS_002,
    ),
    Workspace(
        id="ws-003",
        name="Project Coral - Term Loan B",
        currency="GBP",
        amount=Decimal("175000000.00"),
        standard="LMA-style v2025.0",
        base_pdf_name="Coral_TLB_Agreement.pdf",
        created_by_id="user-005",
        created_at=ts("2024-10-01T08:30:00Z"),
        updated_at=ts("2024-10-01T08:45:00Z"),
        last_sync_at=ts("2024-12-10T10:00:00Z"),
        governance_rules=GOVERNANCE_WS_003,
    ),
)
WORKSPACE_BY_ID: dict[str, Workspace] = {w.id: w for w in WORKSPACES}
DEMO_WORKSPACE_IDS: tuple[str, ...] = tuple(w.id for w in WORKSPACES)


def _created(workspace_id: str) -> datetime:
    return WORKSPACE_BY_ID[workspace_id].created_at


def _creator(workspace_id: str) -> str:
    return WORKSPACE_BY_ID[workspace_id].created_by_id


# ---------------------------------------------------------------------------------------------------------
# §3 Memberships (all active)


def _member(
    id: str, ws: str, user: str, role: MemberRole, admin: bool, external: bool, invited: str, joined: str
) -> Member:
    return Member(id, ws, user, role, admin, external, ts(invited), ts(joined))


# fmt: off
MEMBERS: tuple[Member, ...] = (
    _member("wm-001", "ws-001", "user-001", "agent", True, False, "2024-06-01T09:00:00Z",
            "2024-06-01T09:00:00Z"),
    _member("wm-002", "ws-001", "user-002", "legal", False, True, "2024-06-01T09:10:00Z",
            "2024-06-02T10:00:00Z"),
    _member("wm-003", "ws-001", "user-003", "risk", False, False, "2024-06-01T09:11:00Z",
            "2024-06-02T11:00:00Z"),
    _member("wm-004", "ws-001", "user-004", "investor", False, False, "2024-06-01T09:12:00Z",
            "2024-06-03T09:00:00Z"),
    _member("wm-005", "ws-002", "user-001", "agent", True, False, "2024-08-15T10:00:00Z",
            "2024-08-15T10:00:00Z"),
    _member("wm-006", "ws-002", "user-002", "legal", False, True, "2024-08-15T10:05:00Z",
            "2024-08-16T09:00:00Z"),
    _member("wm-007", "ws-002", "user-003", "risk", False, False, "2024-08-15T10:06:00Z",
            "2024-08-16T10:00:00Z"),
    _member("wm-008", "ws-003", "user-005", "agent", True, False, "2024-10-01T08:30:00Z",
            "2024-10-01T08:30:00Z"),
    _member("wm-009", "ws-003", "user-002", "legal", False, True, "2024-10-01T08:35:00Z",
            "2024-10-02T09:00:00Z"),
    _member("wm-010", "ws-003", "user-001", "agent", False, False, "2024-10-01T08:36:00Z",
            "2024-10-01T09:00:00Z"),
)
# fmt: on
MEMBER_BY_ID: dict[str, Member] = {m.id: m for m in MEMBERS}

# ---------------------------------------------------------------------------------------------------------
# §4 Clauses: exact bodies

# ws-001 (Atlas)
BODY_001 = (
    'In this Agreement: "Applicable Margin" means the margin per annum determined in accordance with '
    'Schedule 4; "Available Commitment" means a Lender\'s Commitment minus its share of the outstanding '
    'Loan; "Business Day" means a day (other than a Saturday or Sunday) on which banks are open for '
    'general business in London and New York; "Commitment" means the amount set opposite a Lender\'s '
    'name in Schedule 1; "Finance Party" means the Agent, the Security Agent or a Lender; "Net Finance '
    'Charges" means the aggregate interest, commission and fees payable by the Group in respect of a '
    'Relevant Period; "Relevant Period" means each period of twelve months ending on a Quarter Date; '
    'and "Total Net Debt" means the aggregate Financial Indebtedness of the Group less cash and cash '
    "equivalents."
)
BODY_002 = (
    "Subject to the terms of this Agreement, the Lenders make available to the Borrower a senior "
    "secured term loan facility in an aggregate amount equal to USD 500,000,000. Each Lender's "
    "participation in the Loan shall not exceed its Commitment."
)
BODY_003 = (
    "The rate of interest on the Loan for each interest period is the percentage rate per annum equal "
    "to the aggregate of the Applicable Margin and SOFR. The Applicable Margin shall be 275 basis "
    "points per annum."
)
BODY_004 = (
    "The Borrower shall repay the Loan in full on the date falling 5 years after the date of this "
    'Agreement (the "Termination Date"). Any amount repaid may not be reborrowed.'
)
BODY_005 = (
    "The Borrower may, on not less than five Business Days' prior notice to the Agent, prepay the "
    "whole or any part of the Loan, provided that any partial prepayment is in a minimum amount of USD "
    "10,000,000. Any prepayment shall be made together with accrued interest in accordance with Clause "
    "3 (Interest)."
)
BODY_006 = (
    "The Borrower shall ensure that the ratio of Total Net Debt to EBITDA in respect of any Relevant "
    "Period does not exceed 4.50:1.00. The Borrower shall ensure that the ratio of EBITDA to Net "
    "Finance Charges in respect of any Relevant Period is not less than 3.00:1.00."
)
BODY_007 = (
    '"EBITDA" means, in respect of any Relevant Period, the consolidated operating profit of the Group '
    "before interest, tax, depreciation, amortisation and Exceptional Items. Any amount attributable "
    "to a member of the Group that is not wholly owned shall be included only to the extent of the "
    "Group's ownership interest."
)
BODY_008 = (
    "Each of the events set out in this Clause 8 is an Event of Default, including failure by the "
    "Borrower to pay any amount when due and any breach of Clause 6 (Financial Covenants). On and at "
    "any time after an Event of Default which is continuing, the Agent may declare the Loan "
    "immediately due and payable."
)
BODY_009 = (
    "The Borrower makes the representations and warranties set out in this Clause 9 to each Finance "
    "Party on the date of this Agreement. Each representation is deemed to be repeated on the first "
    "day of each interest period."
)
BODY_010 = (
    "The obligations of the Borrower under this Agreement are secured by the security interests "
    'described in Schedule 6 (the "Transaction Security"), which the Borrower shall perfect within 90 '
    "days of the date of this Agreement. The Agent shall hold the Transaction Security on trust for "
    "each Finance Party as security for the Loan made available under Clause 2 (The Facility)."
)
BODY_011 = (
    "The Borrower shall pay to the Agent for the account of each Lender a commitment fee computed at "
    "the rate of 40 per cent. of the Applicable Margin determined under Clause 3 (Interest) on that "
    "Lender's Available Commitment. The accrued commitment fee is payable quarterly in arrears and on "
    "the Termination Date."
)
BODY_012 = (
    "This Agreement and any non-contractual obligations arising out of or in connection with it are "
    "governed by English law. The courts of England have exclusive jurisdiction to settle any dispute "
    "arising out of or in connection with this Agreement."
)
# ws-002 (Beacon)
BODY_015 = (
    'In this Agreement: "Available Facility" means the aggregate of the Commitments minus the '
    'aggregate of all outstanding Loans; "Interest Cover" means the ratio of EBITDA to Net Finance '
    'Charges; "Leverage" means the ratio of Total Net Debt to EBITDA; "Margin" means the margin per '
    'annum determined in accordance with Schedule 3; and "Relevant Period" means each period of twelve '
    "months ending on a Quarter Date."
)
BODY_013 = (
    "The Lenders make available to the Borrower a multicurrency revolving credit facility in an "
    "aggregate amount equal to EUR 250,000,000. No Loan may be requested if it would cause the "
    "outstanding Loans to exceed the Available Facility."
)
BODY_016 = (
    "The rate of interest on each Loan is the aggregate of the Margin and EURIBOR. The Margin shall be "
    "200 basis points per annum."
)
BODY_014 = (
    "The Borrower shall ensure that Leverage in respect of each Relevant Period does not exceed "
    "3.50:1.00 and that Interest Cover in respect of each Relevant Period is not less than 4.00:1.00."
)
# ws-003 (Coral)
BODY_017 = (
    'In this Agreement: "Applicable Margin" means the margin per annum specified in Clause 3 '
    '(Interest); "Excess Cashflow" means, for any financial year, the consolidated cashflow of the '
    'Group after debt service; and "Senior Leverage" means the ratio of Senior Net Debt to EBITDA.'
)
BODY_018 = (
    "The Lenders make available to the Borrower a sterling term loan B facility in an aggregate amount "
    "equal to GBP 175,000,000. The Loan shall be repaid in full on the date falling seven years after "
    "the date of this Agreement."
)
BODY_019 = (
    "The rate of interest on each Loan is the aggregate of the Applicable Margin and SONIA. The "
    "Applicable Margin shall be 350 basis points per annum."
)
BODY_020 = (
    "The Borrower shall ensure that Senior Leverage in respect of each Relevant Period does not exceed "
    "5.00:1.00. Any cure amount shall be applied in prepayment of the Loans in accordance with Clause "
    "12 (Mandatory Prepayment)."
)
BODY_021 = (
    "This Agreement and any non-contractual obligations arising out of or in connection with it are "
    "governed by English law."
)

# Earlier bodies (`before` of the CLAUSE_EDIT events): only these spans differ (demo-data §4).
BODY_003_BEFORE = _replace_once(BODY_003, "275 basis points", "250 basis points")
BODY_005_BEFORE = _replace_once(BODY_005, "USD 10,000,000", "USD 5,000,000")
BODY_006_BEFORE = _replace_once(_replace_once(BODY_006, "4.50:1.00", "4.00:1.00"), "3.00:1.00", "3.50:1.00")
BODY_011_BEFORE = _replace_once(BODY_011, "40 per cent.", "35 per cent.")
BODY_019_BEFORE = _replace_once(BODY_019, "350 basis points", "325 basis points")


def _clause(
    id: str,
    order: int,
    title: str,
    type: ClauseType,
    sensitive: bool,
    body: str,
    modified: tuple[str, str] | None = None,
    lock: tuple[str, str] | None = None,
) -> Clause:
    """Clauses of ws-001 are clause-001..012, ws-002 clause-013..016, ws-003 clause-017..021."""
    number = int(id.removeprefix("clause-"))
    ws = "ws-001" if number <= 12 else "ws-002" if number <= 16 else "ws-003"
    return Clause(
        id=id,
        workspace_id=ws,
        order=order,
        title=title,
        type=type,
        is_sensitive=sensitive,
        body=body,
        created_at=_created(ws),
        last_modified_at=ts(modified[0]) if modified else _created(ws),
        last_modified_by=modified[1] if modified else _creator(ws),
        is_locked=lock is not None,
        locked_by=lock[1] if lock else None,
        locked_at=ts(lock[0]) if lock else None,
    )


# fmt: off
CLAUSES: tuple[Clause, ...] = (
    _clause("clause-001", 1, "1. Definitions", "definition", True, BODY_001),
    _clause("clause-002", 2, "2. The Facility", "financial", True, BODY_002),
    _clause("clause-003", 3, "3. Interest", "financial", True, BODY_003,
            ("2024-12-18T10:00:00Z", "user-002")),
    _clause("clause-004", 4, "4. Repayment", "financial", True, BODY_004),
    _clause("clause-005", 5, "5. Prepayment", "financial", False, BODY_005,
            ("2024-12-20T09:20:00Z", "user-001")),
    _clause("clause-006", 6, "6. Financial Covenants", "covenant", True, BODY_006,
            ("2024-12-19T09:30:00Z", "user-001")),
    _clause("clause-007", 7, "7. EBITDA Definition", "definition", True, BODY_007),
    _clause("clause-008", 8, "8. Events of Default", "general", False, BODY_008),
    _clause("clause-009", 9, "9. Representations", "general", False, BODY_009),
    _clause("clause-010", 10, "10. Security", "xref", False, BODY_010),
    _clause("clause-011", 11, "11. Fees", "financial", True, BODY_011, ("2024-12-05T11:00:00Z", "user-002")),
    # User lock held by Sarah (agent: draft:lockSection), audit-020.
    _clause("clause-012", 12, "12. Governing Law", "general", False, BODY_012,
            lock=("2024-12-18T10:30:00Z", "user-001")),
    _clause("clause-015", 1, "1. Definitions", "definition", True, BODY_015),
    _clause("clause-013", 2, "2. The Revolving Facility", "financial", True, BODY_013),
    _clause("clause-016", 3, "3. Interest", "financial", True, BODY_016),
    _clause("clause-014", 4, "4. Financial Covenants", "covenant", True, BODY_014),
    _clause("clause-017", 1, "1. Definitions", "definition", True, BODY_017),
    _clause("clause-018", 2, "2. The Facility", "financial", True, BODY_018),
    _clause("clause-019", 3, "3. Interest", "financial", True, BODY_019,
            ("2024-12-10T09:30:00Z", "user-005")),
    _clause("clause-020", 4, "4. Financial Covenant", "covenant", True, BODY_020),
    _clause("clause-021", 5, "5. Governing Law", "general", False, BODY_021),
)
# fmt: on
CLAUSE_BY_ID: dict[str, Clause] = {c.id: c for c in CLAUSES}

# ---------------------------------------------------------------------------------------------------------
# §5 Variables (every value occurs verbatim in its clause body)


def _variable(
    id: str,
    clause_id: str,
    label: str,
    type: VariableType,
    value: str,
    unit: str | None,
    baseline: str,
    modified: tuple[str, str] | None = None,
    baseline_approved_at: str | None = None,
) -> Variable:
    ws = CLAUSE_BY_ID[clause_id].workspace_id
    return Variable(
        id=id,
        workspace_id=ws,
        clause_id=clause_id,
        label=label,
        type=type,
        value=value,
        unit=unit,
        baseline_value=baseline,
        baseline_approved_at=ts(baseline_approved_at) if baseline_approved_at else _created(ws),
        created_at=_created(ws),
        last_modified_at=ts(modified[0]) if modified else _created(ws),
        last_modified_by=modified[1] if modified else _creator(ws),
    )


_EBITDA = (
    "the consolidated operating profit of the Group before interest, tax, depreciation, amortisation and "
    "Exceptional Items"
)
_LONDON_NY = "London and New York"

# fmt: off
VARIABLES: tuple[Variable, ...] = (
    _variable("var-001", "clause-002", "Facility Amount", "financial", "500,000,000", "USD", "500,000,000"),
    _variable("var-002", "clause-003", "Applicable Margin", "financial", "275", "bps", "250",
              ("2024-12-18T10:01:00Z", "user-002")),
    _variable("var-003", "clause-004", "Tenor", "financial", "5", "years", "5"),
    _variable("var-004", "clause-005", "Minimum Prepayment", "financial", "10,000,000", "USD", "5,000,000",
              ("2024-12-20T09:15:00Z", "user-001")),
    _variable("var-005", "clause-006", "Leverage Ratio Cap", "covenant", "4.50", "x", "4.00",
              ("2024-12-19T09:31:00Z", "user-001")),
    _variable("var-006", "clause-006", "Interest Cover Floor", "covenant", "3.00", "x", "3.50",
              ("2024-12-19T09:32:00Z", "user-001")),
    _variable("var-007", "clause-007", "EBITDA Definition", "definition", _EBITDA, None, _EBITDA),
    # Baseline moved to 40 by the drift-004 override (audit-011).
    _variable("var-008", "clause-011", "Commitment Fee Rate", "financial", "40", "%", "40",
              ("2024-12-05T11:01:00Z", "user-002"), baseline_approved_at="2024-12-09T11:30:00Z"),
    _variable("var-009", "clause-001", "Business Day Definition", "definition", _LONDON_NY, None, _LONDON_NY),
    _variable("var-010", "clause-003", "Reference Rate", "financial", "SOFR", None, "SOFR"),
    _variable("var-011", "clause-013", "RCF Commitment", "financial", "250,000,000", "EUR", "250,000,000"),
    _variable("var-012", "clause-016", "RCF Margin", "financial", "200", "bps", "200"),
    _variable("var-016", "clause-014", "Interest Cover Floor", "ratio", "4.00", "x", "4.00"),
    _variable("var-017", "clause-014", "Leverage Ratio Cap", "ratio", "3.50", "x", "3.50"),
    _variable("var-013", "clause-018", "TLB Amount", "financial", "175,000,000", "GBP", "175,000,000"),
    _variable("var-014", "clause-019", "TLB Margin", "financial", "350", "bps", "325",
              ("2024-12-10T09:31:00Z", "user-005")),
    _variable("var-015", "clause-020", "TLB Leverage Cap", "covenant", "5.00", "x", "5.00"),
)
# fmt: on
VARIABLE_BY_ID: dict[str, Variable] = {v.id: v for v in VARIABLES}

# ---------------------------------------------------------------------------------------------------------
# §6 Drift items (variable-level; type = clause type, unit = variable unit, baseline approved at creation)


def _drift(
    id: str,
    variable_id: str,
    title: str,
    severity: Severity,
    baseline: str,
    current: str,
    modified: tuple[str, str],
    resolution: tuple[DriftStatus, str, str, str] | None = None,
) -> Drift:
    variable = VARIABLE_BY_ID[variable_id]
    clause = CLAUSE_BY_ID[variable.clause_id]
    return Drift(
        id=id,
        workspace_id=clause.workspace_id,
        clause_id=clause.id,
        variable_id=variable.id,
        title=title,
        type=clause.type,
        severity=severity,
        baseline_value=baseline,
        baseline_approved_at=_created(clause.workspace_id),
        current_value=current,
        unit=variable.unit,
        current_modified_at=ts(modified[0]),
        current_modified_by=modified[1],
        status=resolution[0] if resolution else "unresolved",
        approved_by=resolution[1] if resolution else None,
        approved_at=ts(resolution[2]) if resolution else None,
        approval_reason=resolution[3] if resolution else None,
    )


# fmt: off
DRIFTS: tuple[Drift, ...] = (
    _drift("drift-001", "var-002", "Applicable Margin Increase", "HIGH", "250", "275",
           ("2024-12-18T10:01:00Z", "user-002")),
    _drift("drift-002", "var-005", "Leverage Ratio Cap Increase", "HIGH", "4.00", "4.50",
           ("2024-12-19T09:31:00Z", "user-001")),
    _drift("drift-003", "var-006", "Interest Cover Floor Reduction", "HIGH", "3.50", "3.00",
           ("2024-12-19T09:32:00Z", "user-001"),
           ("approved", "user-003", "2024-12-20T11:00:00Z",
            "Borrower demonstrated strong cash flow generation")),
    _drift("drift-004", "var-008", "Commitment Fee Increase", "HIGH", "35", "40",
           ("2024-12-05T11:01:00Z", "user-002"),
           ("overridden", "user-001", "2024-12-09T11:30:00Z", "Market standard adjustment")),
    _drift("drift-005", "var-014", "TLB Margin Increase", "MEDIUM", "325", "350",
           ("2024-12-10T09:31:00Z", "user-005")),
    _drift("drift-006", "var-004", "Minimum Prepayment Increase", "HIGH", "5,000,000", "10,000,000",
           ("2024-12-20T09:15:00Z", "user-001"),
           ("approved", "user-003", "2024-12-20T11:05:00Z",
            "Operational prepayment threshold acceptable to the Lenders")),
)
# fmt: on

# ---------------------------------------------------------------------------------------------------------
# §8 Reconciliation (items created at the upload time)

_UPLOADED_AT = ts("2024-12-19T14:00:00Z")

RECON_SESSIONS: tuple[ReconSession, ...] = (
    ReconSession(
        id="recon-session-001",
        workspace_id="ws-001",
        file_name="Borrower_Markup_v3.docx",
        file_type="docx",
        uploaded_at=_UPLOADED_AT,
        uploaded_by="user-002",
        total_items=5,
        applied_count=1,
        rejected_count=1,
        pending_count=3,
    ),
)

RECON_ITEMS: tuple[ReconItem, ...] = (
    ReconItem(
        id="recon-001",
        workspace_id="ws-001",
        session_id="recon-session-001",
        position=0,
        confidence="HIGH",
        target_clause_id="clause-003",
        target_variable_id="var-002",
        incoming_snippet="The Applicable Margin shall be 300 basis points per annum.",
        baseline_value="250",
        current_value="275",
        proposed_value="300",
        match_score=100,
        change_description="Applicable Margin: 275 → 300 bps",
        created_at=_UPLOADED_AT,
        decision="rejected",
        decided_by="user-001",
        decided_at=ts("2024-12-20T09:00:00Z"),
        decision_reason="Margin increase too aggressive for current market",
    ),
    ReconItem(
        id="recon-002",
        workspace_id="ws-001",
        session_id="recon-session-001",
        position=1,
        confidence="HIGH",
        target_clause_id="clause-005",
        target_variable_id="var-004",
        incoming_snippet="…provided that any partial prepayment is in a minimum amount of USD 10,000,000.",
        baseline_value="5,000,000",
        current_value="5,000,000",
        proposed_value="10,000,000",
        match_score=100,
        change_description="Minimum Prepayment: 5,000,000 → 10,000,000 USD",
        created_at=_UPLOADED_AT,
        decision="applied",
        decided_by="user-001",
        decided_at=ts("2024-12-20T09:15:00Z"),
        decision_reason="Acceptable operational change",
    ),
    ReconItem(
        id="recon-003",
        workspace_id="ws-001",
        session_id="recon-session-001",
        position=2,
        confidence="HIGH",
        target_clause_id="clause-006",
        target_variable_id="var-005",
        incoming_snippet="…in respect of any Relevant Period does not exceed 5.00:1.00 at any time.",
        baseline_value="4.00",
        current_value="4.50",
        proposed_value="5.00",
        match_score=100,
        change_description="Leverage Ratio Cap: 4.50 → 5.00 x",
        created_at=_UPLOADED_AT,
    ),
    ReconItem(
        id="recon-004",
        workspace_id="ws-001",
        session_id="recon-session-001",
        position=3,
        confidence="MEDIUM",
        target_clause_id="clause-010",
        target_variable_id=None,
        incoming_snippet="…which the Borrower shall perfect within 120 days of the date of this Agreement.",
        baseline_value="within 90 days of the date of this Agreement",
        current_value="within 90 days of the date of this Agreement",
        proposed_value="within 120 days of the date of this Agreement",
        match_score=92,
        change_description="Text change in 10. Security",
        created_at=_UPLOADED_AT,
    ),
    ReconItem(
        id="recon-005",
        workspace_id="ws-001",
        session_id="recon-session-001",
        position=4,
        confidence="LOW",
        target_clause_id="clause-012",
        target_variable_id=None,
        incoming_snippet=(
            "This Agreement and any non-contractual obligations arising out of or in connection with it are "
            "governed by the laws of England and Wales."
        ),
        baseline_value="are governed by English law",
        current_value="are governed by English law",
        proposed_value="are governed by the laws of England and Wales",
        match_score=74,
        change_description="Text change in 12. Governing Law (best guess)",
        created_at=_UPLOADED_AT,
    ),
)

# ---------------------------------------------------------------------------------------------------------
# §9 Golden records: snapshot columns as of the last export/publish; created with their workspace.
# gr-002's schema_json is the version-1 document (demo-data §9): `golden_records(published)` fills it in.

GOLDEN_RECORDS: tuple[GoldenRecord, ...] = (
    GoldenRecord(
        id="gr-001",
        workspace_id="ws-001",
        status="IN_REVIEW",
        integrity_score=87,
        unresolved_high_drift_count=3,
        last_export_at=ts("2024-12-19T16:00:00Z"),
        last_publish_at=None,
        schema_json="{}",  # the 12-19 export document is not retained
        created_at=_created("ws-001"),
    ),
    GoldenRecord(
        id="gr-002",
        workspace_id="ws-002",
        status="READY",
        integrity_score=100,
        unresolved_high_drift_count=0,
        last_export_at=ts("2024-12-18T11:00:00Z"),
        last_publish_at=ts("2024-12-18T14:00:00Z"),
        schema_json="{}",
        created_at=_created("ws-002"),
    ),
    GoldenRecord(
        id="gr-003",
        workspace_id="ws-003",
        status="IN_REVIEW",
        integrity_score=100,
        unresolved_high_drift_count=0,
        last_export_at=None,
        last_publish_at=None,
        schema_json="{}",
        created_at=_created("ws-003"),
    ),
)

PUBLISHED_WORKSPACE_ID = "ws-002"  # its version 1 document is the export builder's output (demo-data §9)
_PUBLISHED_RECORD = "gr-002"


def golden_records(published: PublishedDocument) -> tuple[GoldenRecord, ...]:
    """GOLDEN_RECORDS with gr-002's schema_json = the version-1 document."""
    return tuple(
        replace(gr, schema_json=published.schema_json) if gr.id == _PUBLISHED_RECORD else gr for gr in GOLDEN_RECORDS
    )


VERSIONS: tuple[Version, ...] = (
    Version(
        id="grv-001",
        workspace_id=PUBLISHED_WORKSPACE_ID,
        golden_record_id=_PUBLISHED_RECORD,
        version=1,
        integrity_score=100,
        published_by="user-001",
        published_at=ts("2024-12-18T14:00:00Z"),
        reason="Final terms approved by all parties",
        reason_category="other",
    ),
)

# Deliveries of grv-001: no endpoint → skipped; conn-003 (Allvue) failed for good after 8 attempts (terminal, so
# the delivery worker never touches demo rows).
_DELIVERED_AT = ts("2024-12-18T14:00:00Z")
DELIVERIES: tuple[Delivery, ...] = (
    Delivery("del-001", "ws-002", "conn-001", "grv-001", "skipped", _DELIVERED_AT),
    Delivery("del-002", "ws-002", "conn-002", "grv-001", "skipped", _DELIVERED_AT),
    Delivery(
        "del-003",
        "ws-002",
        "conn-003",
        "grv-001",
        "failed",
        _DELIVERED_AT,
        attempts=8,
        last_attempt_at=ts("2024-12-18T15:03:30Z"),
        last_status_code=503,
        last_error="HTTP 503 Service Unavailable",
    ),
    Delivery("del-004", "ws-002", "conn-004", "grv-001", "skipped", _DELIVERED_AT),
)

# ---------------------------------------------------------------------------------------------------------
# §10 Covenants (created with their workspace; threshold = stored template text)


def _covenant(
    id: str, name: str, frequency: str, threshold: str, basis: str, clause_id: str, variable_id: str
) -> Covenant:
    ws = CLAUSE_BY_ID[clause_id].workspace_id
    return Covenant(id, ws, name, frequency, threshold, basis, clause_id, variable_id, _created(ws))


_LEVERAGE = "Total Net Debt / EBITDA"
_COVER = "EBITDA / Net Finance Charges"

# fmt: off
COVENANTS: tuple[Covenant, ...] = (
    _covenant("cov-001", "Leverage Ratio", "Quarterly", "≤ 4.50x", _LEVERAGE, "clause-006", "var-005"),
    _covenant("cov-002", "Interest Cover", "Quarterly", "≥ 3.00x", _COVER, "clause-006", "var-006"),
    _covenant("cov-003", "Leverage Ratio", "Semi-Annual", "≤ 3.50x", _LEVERAGE, "clause-014", "var-017"),
    _covenant("cov-004", "Interest Cover", "Semi-Annual", "≥ 4.00x", _COVER, "clause-014", "var-016"),
    _covenant("cov-005", "Leverage Ratio", "Quarterly", "≤ 5.00x", "Senior Net Debt / EBITDA", "clause-020",
              "var-015"),
)
# fmt: on

# ---------------------------------------------------------------------------------------------------------
# §11 Connectors and sessions (connectors are created with their workspace, domain.md §4.1)

_CONNECTOR_TYPES: tuple[ConnectorType, ...] = ("LoanIQ", "Finastra", "Allvue", "CovenantTracker")
_PUBLISHED_AT = ts("2024-12-18T14:00:00Z")
_ALLVUE_URL = "https://allvue.example.com/nexus/v1/golden-records"


def _default_connectors(first: int, ws: str) -> tuple[Connector, ...]:
    """The four connectors of a new workspace, never configured: name = type, DISCONNECTED."""
    return tuple(
        Connector(f"conn-{first + i:03d}", ws, kind, kind, "DISCONNECTED", None, None, _created(ws))
        for i, kind in enumerate(_CONNECTOR_TYPES)
    )


# fmt: off
CONNECTORS: tuple[Connector, ...] = (
    Connector("conn-001", "ws-002", "LoanIQ Production", "LoanIQ", "READY", _PUBLISHED_AT, None,
              _created("ws-002")),
    Connector("conn-002", "ws-002", "Finastra Fusion", "Finastra", "READY", _PUBLISHED_AT, None,
              _created("ws-002")),
    Connector("conn-003", "ws-002", "Allvue Systems", "Allvue", "DISCONNECTED", None, _ALLVUE_URL,
              _created("ws-002")),
    Connector("conn-004", "ws-002", "CovenantTracker", "CovenantTracker", "READY", _PUBLISHED_AT, None,
              _created("ws-002")),
    *_default_connectors(5, "ws-001"),
    *_default_connectors(9, "ws-003"),
)

SESSIONS: tuple[Session, ...] = (
    Session("sess-001", "user-002", ts("2024-12-18T09:45:00Z"), "192.0.2.10"),
    Session("sess-002", "user-001", ts("2024-12-19T08:50:00Z"), "192.0.2.11"),
    Session("sess-003", "user-003", ts("2024-12-20T10:45:00Z"), "192.0.2.12"),
)
# fmt: on
SESSION_BY_ID: dict[str, Session] = {s.id: s for s in SESSIONS}

# ---------------------------------------------------------------------------------------------------------
# graph_state: creation values (the seeded graph build of demo-data §0/§7 will set the built values)

GRAPH_STATES: tuple[GraphState, ...] = tuple(GraphState(w.id, w.created_at) for w in WORKSPACES)

# ---------------------------------------------------------------------------------------------------------
# §12 Audit events, in timestamp order. States per domain.md §11.1; leaves are str/int/bool/null (§11.2).


def _workspace_create(ws: str) -> JsonObject:
    w = WORKSPACE_BY_ID[ws]
    return {
        "name": w.name,
        "currency": w.currency,
        "amount": str(w.amount),
        "standard": w.standard,
        "basePdfName": w.base_pdf_name,
        "clauseCount": sum(1 for c in CLAUSES if c.workspace_id == ws),
    }


def _invite(member_id: str) -> JsonObject:
    m = MEMBER_BY_ID[member_id]
    return {
        "userId": m.user_id,
        "email": USER_BY_ID[m.user_id].email,
        "role": m.role,
        "isExternal": m.is_external,
        "status": "pending",
    }


def _rules(rules: dict[str, bool]) -> JsonObject:
    return {name: value for name, value in rules.items()}


def _login(session_id: str) -> JsonObject:
    s = SESSION_BY_ID[session_id]
    return {"email": USER_BY_ID[s.user_id].email, "method": "password", "userAgent": s.user_agent, "ip": s.ip}


def _sync(integrity: int, nodes: int, edges: int, drift: int) -> tuple[JsonObject, JsonObject]:
    after: JsonObject = {
        "trigger": "sync",
        "integrityScore": integrity,
        "nodeCount": nodes,
        "edgeCount": edges,
        "driftCount": drift,
    }
    return {"integrityScore": integrity}, after


def _event(
    id: str,
    timestamp: str,
    ws: str | None,
    actor_id: str,
    event_type: EventType,
    target: str,
    states: tuple[JsonObject | None, JsonObject | None],
    reason: tuple[str, ReasonCategory] | None = None,
) -> AuditEvent:
    """`target` is "<target_type> <target_id>"."""
    target_type, target_id = target.split(" ")
    return AuditEvent(
        id=id,
        timestamp=ts(timestamp),
        workspace_id=ws,
        actor_id=actor_id,
        event_type=event_type,
        target_type=target_type,
        target_id=target_id,
        before_state=states[0],
        after_state=states[1],
        reason=reason[0] if reason else None,
        reason_category=reason[1] if reason else None,
    )


_FEE: tuple[str, ReasonCategory] = (
    "Commitment fee aligned with current market practice",
    "market_conditions",
)
_FLEX: tuple[str, ReasonCategory] = (
    "Margin flex exercised following syndication feedback",
    "market_conditions",
)
_MARKUP: tuple[str, ReasonCategory] = (
    "Margin increase requested in the Borrower's latest markup",
    "borrower_request",
)
_RESET: tuple[str, ReasonCategory] = (
    "Covenant reset agreed by the Lenders' credit committee",
    "credit_update",
)
_EXPORT_021 = "golden_record_Project_Beacon_-_Revolving_Credit_2024-12-18T11-00-00-000Z.json"
_EXPORT_028 = "golden_record_Project_Atlas_-_Senior_Secured_Facility_2024-12-19T16-00-00-000Z.json"
_LOCKED_BY_SARAH: JsonObject = {"isLocked": True, "lockedBy": "user-001", "lockKind": "user"}
_RECON_UPLOAD: JsonObject = {
    "fileName": "Borrower_Markup_v3.docx",
    "fileType": "docx",
    "totalItems": 5,
    "byConfidence": {"HIGH": 3, "MEDIUM": 1, "LOW": 1},
}
_RECON_APPLIED: JsonObject = {
    "decision": "applied",
    "value": "10,000,000",
    "targetVariableId": "var-004",
    "driftCreated": True,
    "driftId": "drift-006",
}
# audit-021 / audit-022 get `size` / `contentHash` of the version-1 document from `audit_events(published)`.
# audit-028 has neither by design: that export document is not retained.
_PUBLISHED: JsonObject = {"status": "READY", "integrityScore": 100, "version": 1, "connectorCount": 4}

# fmt: off
AUDIT_EVENTS: tuple[AuditEvent, ...] = (
    _event("audit-001", "2024-06-01T09:00:00Z", "ws-001", "user-001", "WORKSPACE_CREATE", "workspace ws-001",
           (None, _workspace_create("ws-001"))),
    _event("audit-002", "2024-06-01T09:10:00Z", "ws-001", "user-001", "INVITE_SENT", "member wm-002",
           (None, _invite("wm-002"))),
    _event("audit-003", "2024-06-01T09:11:00Z", "ws-001", "user-001", "INVITE_SENT", "member wm-003",
           (None, _invite("wm-003"))),
    _event("audit-004", "2024-06-01T09:12:00Z", "ws-001", "user-001", "INVITE_SENT", "member wm-004",
           (None, _invite("wm-004"))),
    _event("audit-005", "2024-08-15T10:00:00Z", "ws-002", "user-001", "WORKSPACE_CREATE", "workspace ws-002",
           (None, _workspace_create("ws-002"))),
    _event("audit-006", "2024-08-15T10:20:00Z", "ws-002", "user-001", "GOVERNANCE_UPDATED",
           "workspace ws-002",
           (_rules(DEFAULT_GOVERNANCE), _rules(GOVERNANCE_WS_002))),
    _event("audit-007", "2024-10-01T08:30:00Z", "ws-003", "user-005", "WORKSPACE_CREATE", "workspace ws-003",
           (None, _workspace_create("ws-003"))),
    _event("audit-008", "2024-10-01T08:45:00Z", "ws-003", "user-005", "GOVERNANCE_UPDATED",
           "workspace ws-003",
           (_rules(DEFAULT_GOVERNANCE), _rules(GOVERNANCE_WS_003))),
    _event("audit-009", "2024-12-05T11:00:00Z", "ws-001", "user-002", "CLAUSE_EDIT", "clause clause-011",
           ({"body": BODY_011_BEFORE}, {"body": BODY_011}), _FEE),
    _event("audit-010", "2024-12-05T11:01:00Z", "ws-001", "user-002", "VARIABLE_EDIT", "variable var-008",
           ({"value": "35"}, {"value": "40"}), _FEE),
    _event("audit-011", "2024-12-09T11:30:00Z", "ws-001", "user-001", "DRIFT_OVERRIDE", "drift drift-004",
           ({"status": "unresolved", "baselineValue": "35"}, {"status": "overridden", "baselineValue": "40"}),
           ("Market standard adjustment", "market_conditions")),
    _event("audit-012", "2024-12-10T09:00:00Z", "ws-001", "user-001", "GOVERNANCE_UPDATED",
           "workspace ws-001",
           (_rules(DEFAULT_GOVERNANCE), _rules(GOVERNANCE_WS_001))),
    _event("audit-013", "2024-12-10T09:30:00Z", "ws-003", "user-005", "CLAUSE_EDIT", "clause clause-019",
           ({"body": BODY_019_BEFORE}, {"body": BODY_019}), _FLEX),
    _event("audit-014", "2024-12-10T09:31:00Z", "ws-003", "user-005", "VARIABLE_EDIT", "variable var-014",
           ({"value": "325"}, {"value": "350"}), _FLEX),
    _event("audit-015", "2024-12-10T10:00:00Z", "ws-003", "user-005", "GRAPH_SYNC", "workspace ws-003",
           _sync(89, 7, 6, 1)),
    _event("audit-016", "2024-12-17T16:00:00Z", "ws-002", "user-001", "GRAPH_SYNC", "workspace ws-002",
           _sync(100, 8, 7, 0)),
    _event("audit-017", "2024-12-18T09:45:00Z", None, "user-002", "LOGIN", "session sess-001",
           (None, _login("sess-001"))),
    _event("audit-018", "2024-12-18T10:00:00Z", "ws-001", "user-002", "CLAUSE_EDIT", "clause clause-003",
           ({"body": BODY_003_BEFORE}, {"body": BODY_003}), _MARKUP),
    _event("audit-019", "2024-12-18T10:01:00Z", "ws-001", "user-002", "VARIABLE_EDIT", "variable var-002",
           ({"value": "250"}, {"value": "275"}), _MARKUP),
    _event("audit-020", "2024-12-18T10:30:00Z", "ws-001", "user-001", "SECTION_LOCKED", "clause clause-012",
           ({"isLocked": False}, _LOCKED_BY_SARAH)),
    _event("audit-021", "2024-12-18T11:00:00Z", "ws-002", "user-001", "EXPORT_JSON", "golden_record gr-002",
           (None, {"filename": _EXPORT_021})),
    _event("audit-022", "2024-12-18T14:00:00Z", "ws-002", "user-001", "PUBLISH", "golden_record gr-002",
           ({"lastVersion": None}, _PUBLISHED), ("Final terms approved by all parties", "other")),
    _event("audit-023", "2024-12-19T08:50:00Z", None, "user-001", "LOGIN", "session sess-002",
           (None, _login("sess-002"))),
    _event("audit-024", "2024-12-19T09:30:00Z", "ws-001", "user-001", "CLAUSE_EDIT", "clause clause-006",
           ({"body": BODY_006_BEFORE}, {"body": BODY_006}), _RESET),
    _event("audit-025", "2024-12-19T09:31:00Z", "ws-001", "user-001", "VARIABLE_EDIT", "variable var-005",
           ({"value": "4.00"}, {"value": "4.50"}), _RESET),
    _event("audit-026", "2024-12-19T09:32:00Z", "ws-001", "user-001", "VARIABLE_EDIT", "variable var-006",
           ({"value": "3.50"}, {"value": "3.00"}), _RESET),
    _event("audit-027", "2024-12-19T14:00:00Z", "ws-001", "user-002", "RECON_UPLOAD",
           "reconciliation_session recon-session-001", (None, _RECON_UPLOAD)),
    _event("audit-028", "2024-12-19T16:00:00Z", "ws-001", "user-001", "EXPORT_JSON", "golden_record gr-001",
           (None, {"filename": _EXPORT_028})),
    _event("audit-029", "2024-12-20T09:00:00Z", "ws-001", "user-001", "RECON_REJECT",
           "reconciliation_item recon-001", ({"decision": "pending"}, {"decision": "rejected"}),
           ("Margin increase too aggressive for current market", "market_conditions")),
    _event("audit-030", "2024-12-20T09:15:00Z", "ws-001", "user-001", "RECON_APPLY",
           "reconciliation_item recon-002", ({"decision": "pending", "value": "5,000,000"}, _RECON_APPLIED),
           ("Acceptable operational change", "borrower_request")),
    _event("audit-031", "2024-12-20T09:20:00Z", "ws-001", "user-001", "CLAUSE_EDIT", "clause clause-005",
           ({"body": BODY_005_BEFORE}, {"body": BODY_005}),
           ("Conform clause text to the applied markup", "borrower_request")),
    _event("audit-032", "2024-12-20T10:45:00Z", None, "user-003", "LOGIN", "session sess-003",
           (None, _login("sess-003"))),
    _event("audit-033", "2024-12-20T11:00:00Z", "ws-001", "user-003", "DRIFT_APPROVE", "drift drift-003",
           ({"status": "unresolved"}, {"status": "approved"}),
           ("Borrower demonstrated strong cash flow generation", "credit_update")),
    _event("audit-034", "2024-12-20T11:05:00Z", "ws-001", "user-003", "DRIFT_APPROVE", "drift drift-006",
           ({"status": "unresolved"}, {"status": "approved"}),
           ("Operational prepayment threshold acceptable to the Lenders", "credit_update")),
    _event("audit-035", "2024-12-20T11:30:00Z", "ws-001", "user-001", "GRAPH_SYNC", "workspace ws-001",
           _sync(89, 19, 21, 2)),
)
# fmt: on


def audit_events(published: PublishedDocument) -> tuple[AuditEvent, ...]:
    """AUDIT_EVENTS with audit-021 (EXPORT_JSON: size, contentHash) and audit-022 (PUBLISH: contentHash)
    completed from the version-1 document (the 12-18 export had the same content as the publish)."""
    extra: dict[str, JsonObject] = {
        "audit-021": {"size": published.size, "contentHash": published.content_hash},
        "audit-022": {"contentHash": published.content_hash},
    }
    return tuple(
        replace(e, after_state={**(e.after_state or {}), **extra[e.id]}) if e.id in extra else e for e in AUDIT_EVENTS
    )

"""Pure golden-record rules (nexus/domain/golden.py; domain.md §10.1, §10.2, §10.6): status, document bytes and
hash, filename, effective thresholds and covenant extraction (on the demo clause texts of demo-data.md §4)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from nexus.domain import golden
from nexus.seed import data as demo

KEYS = [
    "version",
    "generatedAt",
    "workspace",
    "clauses",
    "variables",
    "covenants",
    "status",
    "integrityScore",
    "baselines",
    "drift",
    "contentHash",
]


def inputs(amount: str = "500000000.00", name: str = "Project Ωmega", high: int = 1) -> golden.ExportInputs:
    at = datetime(2024, 12, 20, 11, 5, 0, 123456, tzinfo=UTC)
    cover = golden.DocCovenantVariable("var-2", "Interest Cover Floor", "3.00", "x", "3.50")
    return golden.ExportInputs(
        workspace=golden.DocWorkspace("ws-x", name, "USD", Decimal(amount), "LMA", None, at),
        clauses=[
            golden.DocClause("c-2", "2. Covenants", "covenant", 2, True),
            golden.DocClause("c-1", "1. Definitions", "definition", 1, True),
        ],
        variables=[
            golden.DocVariable("var-1", "Margin", "financial", "275", "bps", "c-1", "250", at),
            golden.DocVariable("var-2", "Interest Cover Floor", "covenant", "3.00", "x", "c-2", None, None),
        ],
        covenants=[
            golden.DocCovenant(
                "cov-1", "Interest Cover", "Quarterly", "≥ 3.50x", "EBITDA / Net Finance Charges", "c-2", cover
            ),
            golden.DocCovenant("cov-2", "Other", "Annual", "n/a", "A / B", "c-2", None),
        ],
        gate=golden.gate(89, high, True),
        drift=golden.DriftCounts(high, 1, 0, high + 1, 2),
        drift_items=[
            golden.DocDrift("d-9", "Low one", "financial", "MEDIUM", "c-1", None, "a", "b", None),
            golden.DocDrift("d-5", "Margin Increase", "financial", "HIGH", "c-1", "var-1", "250", "275", "bps"),
        ],
    )


def test_document_keys_order_and_bytes() -> None:
    doc = golden.build_document(inputs())
    parsed = json.loads(doc.schema_json)
    assert list(parsed) == KEYS
    assert parsed["version"] == "1.0" and parsed["generatedAt"] == "2024-12-20T11:05:00.123Z"
    assert list(parsed["workspace"]) == ["id", "name", "currency", "amount", "standard", "basePdfName"]
    assert parsed["workspace"]["amount"] == 500000000 and isinstance(parsed["workspace"]["amount"], int)
    assert [c["id"] for c in parsed["clauses"]] == ["c-1", "c-2"]  # by order
    assert parsed["covenants"][0]["threshold"] == "≥ 3.00x"  # effective: follows the bound variable
    assert parsed["covenants"][0]["variable"] == {
        "id": "var-2",
        "label": "Interest Cover Floor",
        "value": "3.00",
        "unit": "x",
        "baselineValue": "3.50",
    }
    assert (parsed["covenants"][1]["variableId"], parsed["covenants"][1]["variable"]) == (None, None)
    assert parsed["baselines"] == [
        {
            "variableId": "var-1",
            "label": "Margin",
            "baselineValue": "250",
            "unit": "bps",
            "approvedAt": "2024-12-20T11:05:00.123Z",
        }
    ]
    assert [d["id"] for d in parsed["drift"]["items"]] == ["d-5", "d-9"]  # severity, then id
    assert parsed["drift"]["unresolved"] == {"HIGH": 1, "MEDIUM": 1, "LOW": 0, "total": 2}
    assert (parsed["status"], parsed["integrityScore"]) == ("IN_REVIEW", 89)
    assert doc.schema_json == json.dumps(parsed, ensure_ascii=False, indent=2)
    assert "Ωmega" in doc.schema_json and "≥" in doc.schema_json and not doc.schema_json.endswith("\n")
    assert doc.size == len(doc.schema_json.encode("utf-8")) > len(doc.schema_json)
    assert golden.build_document(inputs()) == doc  # deterministic


def test_amount_is_an_integer_when_integral_else_the_shortest_decimal() -> None:
    assert golden.amount_json(Decimal("250000000.00")) == 250000000
    assert json.dumps(golden.amount_json(Decimal("1234.50"))) == "1234.5"
    assert '"amount": 1234.5,' in golden.build_document(inputs(amount="1234.50")).schema_json


def test_hash_ignores_the_watermark_but_not_the_content() -> None:
    base = inputs()
    doc = golden.build_document(base)
    assert doc.content_hash.startswith("sha256:") and len(doc.content_hash) == 71
    later = replace(base, workspace=replace(base.workspace, watermark=datetime(2030, 1, 1, tzinfo=UTC)))
    moved = golden.build_document(later)
    assert moved.schema_json != doc.schema_json and moved.content_hash == doc.content_hash
    assert golden.build_document(inputs(name="Project Omega")).content_hash != doc.content_hash
    parsed = json.loads(doc.schema_json)
    assert golden.content_hash(parsed) == doc.content_hash  # the stored document re-hashes to its hash


def test_gate_messages_and_blockers() -> None:
    both = golden.gate(89, 2, True)
    assert (both.status, both.allowed) == ("IN_REVIEW", False)
    assert both.reason == "Integrity score (89%) is below 90%. 2 unresolved HIGH severity drift item(s)"
    assert both.blockers == ("INTEGRITY_BELOW_THRESHOLD", "UNRESOLVED_HIGH_DRIFT")
    assert golden.gate(95, 1, True).reason == "1 unresolved HIGH severity drift item(s)"
    rule_off = golden.gate(95, 3, False)
    assert (rule_off.status, rule_off.reason, rule_off.blockers) == ("READY", None, ())
    assert golden.gate(90, 0, True).status == "READY"
    assert golden.gate(89, 0, False).blockers == ("INTEGRITY_BELOW_THRESHOLD",)


def test_filename() -> None:
    at = datetime(2024, 12, 18, 11, 0, 0, 7000, tzinfo=UTC)
    assert (
        golden.export_filename("Project Beacon - Revolving Credit", at)
        == "golden_record_Project_Beacon_-_Revolving_Credit_2024-12-18T11-00-00-007Z.json"
    )
    assert golden.export_filename("  Café  &  Co. (v2)\t", at).startswith("golden_record__Caf__Co._v2__2024")


def test_effective_threshold() -> None:
    assert golden.effective_threshold("≤ 4.50x", "4.75") == "≤ 4.75x"
    assert golden.effective_threshold("≤ 4.50x", None) == "≤ 4.50x"
    assert golden.effective_threshold("max 1,000,000.50 then 2", "7") == "max 7 then 2"  # first number only
    assert golden.effective_threshold("n/a", "4.75") == "n/a"
    assert golden.effective_threshold("≤ 4.50x", r"\1") == r"≤ \1x"  # the value is literal text


def demo_extraction(ws: str) -> list[golden.ExtractedCovenant]:
    clauses = sorted((c for c in demo.CLAUSES if c.workspace_id == ws), key=lambda c: c.order)
    return golden.extract_covenants(
        [golden.SourceClause(c.id, c.body) for c in clauses if c.type == "covenant"],
        [golden.SourceVariable(v.id, v.clause_id, v.value, v.unit) for v in demo.VARIABLES if v.workspace_id == ws],
        [c.body for c in clauses if c.type == "definition"],
    )


def test_extraction_on_the_demo_clauses() -> None:
    leverage = golden.ExtractedCovenant(
        "Leverage Ratio", "Quarterly", "≤ 4.50x", "Total Net Debt / EBITDA", "clause-006", "var-005"
    )
    cover = golden.ExtractedCovenant(
        "Interest Cover", "Quarterly", "≥ 3.00x", "EBITDA / Net Finance Charges", "clause-006", "var-006"
    )
    assert demo_extraction("ws-001") == [leverage, cover]
    # ws-002 states its ratios through defined terms ("Leverage" means the ratio of ...), joined by " and that ".
    assert [(c.name, c.threshold, c.calculation_basis, c.variable_id) for c in demo_extraction("ws-002")] == [
        ("Leverage", "≤ 3.50x", "Total Net Debt / EBITDA", "var-017"),
        ("Interest Cover", "≥ 4.00x", "EBITDA / Net Finance Charges", "var-016"),
    ]
    (senior,) = demo_extraction("ws-003")  # the cure-amount sentence holds no multiple
    assert (senior.name, senior.threshold, senior.variable_id) == ("Senior Leverage", "≤ 5.00x", "var-015")


def test_extraction_rules() -> None:
    body = (
        "The Borrower shall ensure on each semi-annual test date that the ratio of Senior Secured Debt to EBITDA "
        "shall not exceed 3.25x; the ratio of Cashflow to Debt Service shall not be less than 1.10:1. "
        "Capital Expenditure shall be at least 2.00x of something. Nothing else is tested here."
    )
    found = golden.extract_covenants(
        [golden.SourceClause("c", body)], [golden.SourceVariable("v", "c", "1.1", "x")], []
    )
    assert [(f.name, f.test_frequency, f.threshold, f.calculation_basis, f.variable_id) for f in found] == [
        ("Leverage Ratio", "Semi-Annual", "≤ 3.25x", "Senior Secured Debt / EBITDA", None),
        ("Cashflow to Debt Service Ratio", "Semi-Annual", "≥ 1.10x", "Cashflow / Debt Service", "v"),  # 1.1 = 1.10
    ]  # the third sentence has a multiple but no ratio: skipped
    assert golden.frequency_of("tested annually") == "Annual"
    assert golden.frequency_of("each half-year") == "Semi-Annual"
    assert golden.frequency_of("each Quarter Date") == "Quarterly"
    assert golden.sentences("A does x. B; C and that D.") == ["A does x.", "B;", "C", "D."]

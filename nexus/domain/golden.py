"""Golden record rules (domain.md §10.1, §10.2, §10.6): status and can-publish, the export document (exact key order
and bytes), its content hash and filename, effective covenant thresholds and covenant extraction. Pure, no I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, Literal

from nexus.domain.drift import equal
from nexus.domain.graph import DEFINITION, uses_term

GoldenStatus = Literal["READY", "IN_REVIEW"]
Blocker = Literal["INTEGRITY_BELOW_THRESHOLD", "UNRESOLVED_HIGH_DRIFT"]

DOCUMENT_VERSION: Final = "1.0"
INTEGRITY_THRESHOLD: Final = 90
SEVERITIES: Final = ("HIGH", "MEDIUM", "LOW")


# -- status (§10.1) ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gate:
    """Live status: READY ⇔ integrity ≥ 90 ∧ (¬publishBlockedWhenHighDrift ∨ no unresolved HIGH drift)."""

    integrity_score: int
    unresolved_high_drift_count: int
    reasons: tuple[str, ...]
    blockers: tuple[Blocker, ...]

    @property
    def allowed(self) -> bool:
        return not self.blockers

    @property
    def status(self) -> GoldenStatus:
        return "READY" if self.allowed else "IN_REVIEW"

    @property
    def reason(self) -> str | None:
        """The applicable messages joined by ". " (None when allowed)."""
        return ". ".join(self.reasons) or None


def gate(integrity_score: int, unresolved_high: int, publish_blocked_when_high_drift: bool) -> Gate:
    reasons: list[str] = []
    blockers: list[Blocker] = []
    if integrity_score < INTEGRITY_THRESHOLD:
        reasons.append(f"Integrity score ({integrity_score}%) is below {INTEGRITY_THRESHOLD}%")
        blockers.append("INTEGRITY_BELOW_THRESHOLD")
    if publish_blocked_when_high_drift and unresolved_high > 0:
        reasons.append(f"{unresolved_high} unresolved HIGH severity drift item(s)")
        blockers.append("UNRESOLVED_HIGH_DRIFT")
    return Gate(integrity_score, unresolved_high, tuple(reasons), tuple(blockers))


# -- covenant thresholds (§10.6) --------------------------------------------------------------------------------
_THRESHOLD_NUMBER: Final = re.compile(r"\d[\d,]*(?:\.\d+)?")


def effective_threshold(threshold: str, variable_value: str | None) -> str:
    """The stored threshold with its first number replaced by the bound variable's value (unbound or no number →
    the stored text)."""
    if variable_value is None:
        return threshold
    return _THRESHOLD_NUMBER.sub(lambda _m: variable_value, threshold, count=1)


# -- export document (§10.2) ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DocWorkspace:
    id: str
    name: str
    currency: str
    amount: Decimal
    standard: str
    base_pdf_name: str | None
    watermark: datetime  # max updated_at over the workspace, its clauses, variables, covenants and drift


@dataclass(frozen=True)
class DocClause:
    id: str
    title: str
    type: str
    order: int
    is_sensitive: bool


@dataclass(frozen=True)
class DocVariable:
    id: str
    label: str
    type: str
    value: str
    unit: str | None
    clause_id: str
    baseline_value: str | None
    baseline_approved_at: datetime | None


@dataclass(frozen=True)
class DocCovenantVariable:
    id: str
    label: str
    value: str
    unit: str | None
    baseline_value: str | None


@dataclass(frozen=True)
class DocCovenant:
    id: str
    name: str
    test_frequency: str
    threshold: str  # stored template text
    calculation_basis: str
    clause_id: str
    variable: DocCovenantVariable | None

    @property
    def effective_threshold(self) -> str:
        return effective_threshold(self.threshold, self.variable.value if self.variable else None)


@dataclass(frozen=True)
class DocDrift:
    id: str
    title: str
    type: str
    severity: str
    clause_id: str
    variable_id: str | None
    baseline_value: str
    current_value: str
    unit: str | None


@dataclass(frozen=True)
class DriftCounts:
    high: int
    medium: int
    low: int
    total: int
    approved_deviations: int


@dataclass(frozen=True)
class ExportInputs:
    workspace: DocWorkspace
    clauses: Sequence[DocClause]
    variables: Sequence[DocVariable]  # clause order, created_at, id
    covenants: Sequence[DocCovenant]  # clause order, name, id
    gate: Gate
    drift: DriftCounts
    drift_items: Sequence[DocDrift]  # unresolved


@dataclass(frozen=True)
class Document:
    """The export document: `schema_json` is its exact bytes (as text), `content_hash` its substantive hash."""

    schema_json: str
    content_hash: str
    generated_at: str

    @property
    def size(self) -> int:
        return len(self.schema_json.encode("utf-8"))


def iso_ms(ts: datetime) -> str:
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def amount_json(amount: Decimal) -> int | float:
    """`amount` as an integer when integral, else the shortest decimal (api.md §1.6)."""
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount)


def _severity_key(item: DocDrift) -> tuple[int, str]:
    rank = SEVERITIES.index(item.severity) if item.severity in SEVERITIES else len(SEVERITIES)
    return rank, item.id


def document_dict(data: ExportInputs) -> dict[str, Any]:
    """The document without `contentHash`, keys in the order of §10.2."""
    ws = data.workspace
    return {
        "version": DOCUMENT_VERSION,
        "generatedAt": iso_ms(ws.watermark),
        "workspace": {
            "id": ws.id,
            "name": ws.name,
            "currency": ws.currency,
            "amount": amount_json(ws.amount),
            "standard": ws.standard,
            "basePdfName": ws.base_pdf_name,
        },
        "clauses": [
            {"id": c.id, "title": c.title, "type": c.type, "order": c.order, "isSensitive": c.is_sensitive}
            for c in sorted(data.clauses, key=lambda c: c.order)
        ],
        "variables": [
            {"id": v.id, "label": v.label, "type": v.type, "value": v.value, "unit": v.unit, "clauseId": v.clause_id}
            for v in data.variables
        ],
        "covenants": [
            {
                "id": c.id,
                "name": c.name,
                "testFrequency": c.test_frequency,
                "threshold": c.effective_threshold,
                "calculationBasis": c.calculation_basis,
                "clauseId": c.clause_id,
                "variableId": c.variable.id if c.variable else None,
                "variable": None
                if c.variable is None
                else {
                    "id": c.variable.id,
                    "label": c.variable.label,
                    "value": c.variable.value,
                    "unit": c.variable.unit,
                    "baselineValue": c.variable.baseline_value,
                },
            }
            for c in data.covenants
        ],
        "status": data.gate.status,
        "integrityScore": data.gate.integrity_score,
        "baselines": [
            {
                "variableId": v.id,
                "label": v.label,
                "baselineValue": v.baseline_value,
                "unit": v.unit,
                "approvedAt": None if v.baseline_approved_at is None else iso_ms(v.baseline_approved_at),
            }
            for v in data.variables
            if v.baseline_value is not None
        ],
        "drift": {
            "unresolved": {
                "HIGH": data.drift.high,
                "MEDIUM": data.drift.medium,
                "LOW": data.drift.low,
                "total": data.drift.total,
            },
            "approvedDeviations": data.drift.approved_deviations,
            "items": [
                {
                    "id": d.id,
                    "title": d.title,
                    "type": d.type,
                    "severity": d.severity,
                    "clauseId": d.clause_id,
                    "variableId": d.variable_id,
                    "baselineValue": d.baseline_value,
                    "currentValue": d.current_value,
                    "unit": d.unit,
                }
                for d in sorted(data.drift_items, key=_severity_key)
            ],
        },
    }


def content_hash(doc: Mapping[str, Any]) -> str:
    """sha256 of the canonical form (sorted keys, compact) without generatedAt / contentHash."""
    substantive = {k: v for k, v in doc.items() if k not in ("generatedAt", "contentHash")}
    canonical = json.dumps(substantive, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def render(doc: Mapping[str, Any]) -> str:
    """The document bytes (as text): indent 2, non-ASCII kept, no trailing newline."""
    return json.dumps(doc, ensure_ascii=False, indent=2)


def build_document(data: ExportInputs) -> Document:
    doc = document_dict(data)
    digest = content_hash(doc)
    doc["contentHash"] = digest
    return Document(render(doc), digest, doc["generatedAt"])


_SLUG_SPACE: Final = re.compile(r"\s+")
_SLUG_DROP: Final = re.compile(r"[^A-Za-z0-9_.-]")


def export_filename(workspace_name: str, exported_at: datetime) -> str:
    """`golden_record_<slug>_<YYYY-MM-DDTHH-MM-SS-mmmZ>.json` (export time)."""
    slug = _SLUG_DROP.sub("", _SLUG_SPACE.sub("_", workspace_name))
    at = exported_at.astimezone(UTC)
    stamp = at.strftime("%Y-%m-%dT%H-%M-%S-") + f"{at.microsecond // 1000:03d}Z"
    return f"golden_record_{slug}_{stamp}.json"


# -- covenant extraction (§10.6) --------------------------------------------------------------------------------
@dataclass(frozen=True)
class SourceClause:
    id: str
    body: str


@dataclass(frozen=True)
class SourceVariable:
    id: str
    clause_id: str
    value: str
    unit: str | None


@dataclass(frozen=True)
class ExtractedCovenant:
    name: str
    test_frequency: str
    threshold: str
    calculation_basis: str
    clause_id: str
    variable_id: str | None


_NUM: Final = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_CAP_RUN: Final = r"[A-Z][A-Za-z0-9'’&-]*(?: [A-Z][A-Za-z0-9'’&-]*)*"
_SENTENCE_END: Final = re.compile(r"(?<=[.;])\s+")
_AND_THAT: Final = " and that "
_BOUND: Final = re.compile(
    r"(?P<op>does not exceed|shall not exceed|not more than|is not less than|shall not be less than|at least)\b"
    rf".*?(?<![\d,.])(?P<num>{_NUM})(?:\s*:\s*{_NUM}|\s*(?:x|×|times)(?![A-Za-z]))",
    re.IGNORECASE,
)
_RATIO: Final = re.compile(rf"\b[Tt]he ratio of ({_CAP_RUN}) to ({_CAP_RUN})")
_RATIO_DEFINITION: Final = re.compile(rf"\s*[Tt]he ratio of ({_CAP_RUN}) to ({_CAP_RUN})")
_AT_MOST: Final = ("does not exceed", "shall not exceed", "not more than")


def sentences(body: str) -> list[str]:
    """Split at `(?<=[.;])\\s+` and at " and that "."""
    out: list[str] = []
    for part in _SENTENCE_END.split(body):
        out.extend(p for p in part.split(_AND_THAT) if p.strip())
    return out


def ratio_definitions(definition_bodies: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Defined terms (§7.2) whose definition reads "the ratio of A to B" → (A, B); first definition wins."""
    found: dict[str, tuple[str, str]] = {}
    for body in definition_bodies:
        matches = list(DEFINITION.finditer(body))
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(body)
            ratio = _RATIO_DEFINITION.match(body, m.end(), end)
            if ratio is not None and m.group(1) not in found:
                found[m.group(1)] = (ratio.group(1), ratio.group(2))
    return found


def frequency_of(body: str) -> str:
    lowered = body.lower()
    if "semi-annual" in lowered or "half-year" in lowered:
        return "Semi-Annual"
    if "annual" in lowered:
        return "Annual"
    return "Quarterly"


def _ratio_name(a: str, b: str) -> str:
    if a.split(" ")[-1] == "Debt" and b == "EBITDA":
        return "Leverage Ratio"
    if a == "EBITDA":
        return "Interest Cover"
    return f"{a} to {b} Ratio"


def _defined_ratio(sentence: str, ratios: Mapping[str, tuple[str, str]]) -> tuple[str, str, str] | None:
    """The defined ratio term used first in the sentence: (term, A, B)."""
    best: tuple[int, str] | None = None
    for term in ratios:
        if not uses_term(sentence, term):
            continue
        pos = sentence.find(term)
        if best is None or (pos, term) < best:
            best = (pos, term)
    if best is None:
        return None
    a, b = ratios[best[1]]
    return best[1], a, b


def extract_covenants(
    clauses: Sequence[SourceClause],
    variables: Sequence[SourceVariable],
    definition_bodies: Sequence[str],
) -> list[ExtractedCovenant]:
    """Covenants stated in `clauses` (the covenant-type clauses, by order), deterministic (domain.md §10.6)."""
    ratios = ratio_definitions(definition_bodies)
    out: list[ExtractedCovenant] = []
    for clause in clauses:
        frequency = frequency_of(clause.body)
        own = [v for v in variables if v.clause_id == clause.id]
        for sentence in sentences(clause.body):
            bound = _BOUND.search(sentence)
            if bound is None:
                continue
            explicit = _RATIO.search(sentence)
            if explicit is not None:
                a, b = explicit.group(1), explicit.group(2)
                name = _ratio_name(a, b)
            else:
                defined = _defined_ratio(sentence, ratios)
                if defined is None:
                    continue  # no ratio: skipped
                name, a, b = defined
            number = bound.group("num")
            prefix = "≤ " if bound.group("op").lower() in _AT_MOST else "≥ "
            variable = next((v.id for v in own if equal(number, v.value, v.unit)), None)
            out.append(ExtractedCovenant(name, frequency, f"{prefix}{number}x", f"{a} / {b}", clause.id, variable))
    return out

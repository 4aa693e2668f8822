"""Pure graph rules (domain.md §7): defined terms, cross-references, weights, flags, integrity, Tarjan SCC and the
undefined-term scan, on the demo bodies (demo-data.md §4, §7) and on small hand-made cases."""

from __future__ import annotations

from nexus.domain import graph as g
from nexus.seed import data as demo


def clauses_of(ws: str) -> list[g.Clause]:
    return [
        g.Clause(c.id, c.title, c.body, c.type, c.order, c.is_sensitive) for c in demo.CLAUSES if c.workspace_id == ws
    ]


def variables_of(ws: str) -> list[g.Variable]:
    return [
        g.Variable(v.id, v.clause_id, v.label, v.type, v.value, v.unit) for v in demo.VARIABLES if v.workspace_id == ws
    ]


def drifts_of(ws: str) -> list[g.OpenDrift]:
    return [
        g.OpenDrift(d.clause_id, d.variable_id, d.severity)
        for d in demo.DRIFTS
        if d.workspace_id == ws and d.status == "unresolved"
    ]


def graph_of(ws: str) -> g.Graph:
    return g.compute_graph(clauses_of(ws), variables_of(ws), drifts_of(ws))


def short(node_id: str) -> str:
    return node_id.replace("node-c-clause-", "c").replace("node-v-var-", "v")


def edges(graph: g.Graph) -> set[tuple[str, str, int]]:
    return {(short(e.source_id), short(e.target_id), e.weight) for e in graph.edges}


def body(clause_id: str) -> str:
    return demo.CLAUSE_BY_ID[clause_id].body


# -- defined terms ----------------------------------------------------------------------------------------------
def test_defined_terms_of_the_demo_definition_clauses() -> None:
    assert g.defined_terms(body("clause-001")) == [
        "Applicable Margin",
        "Available Commitment",
        "Business Day",
        "Commitment",
        "Finance Party",
        "Net Finance Charges",
        "Relevant Period",
        "Total Net Debt",
    ]
    assert g.defined_terms(body("clause-007")) == ["EBITDA"]
    assert g.defined_terms(body("clause-017")) == ["Applicable Margin", "Excess Cashflow", "Senior Leverage"]


def test_definition_forms_curly_quotes_and_duplicates() -> None:
    text = (
        '“Loan” shall mean the loan; "Agent" has the meaning given; "Group" includes subsidiaries; '
        '"Agent" means again; "Meanwhile" meanwhile; "Other" is not a definition.'
    )
    assert g.defined_terms(text) == ["Loan", "Agent", "Group"]
    assert g.inline_terms('repaid (the "Termination Date") and ("Security") but not ("")') == [
        "Termination Date",
        "Security",
    ]
    assert g.inline_terms(body("clause-010")) == ["Transaction Security"]


def test_usage_is_case_sensitive_word_bounded_with_optional_plural() -> None:
    assert g.uses_term("five Business Days' prior notice", "Business Day")
    assert g.uses_term("the Commitments of", "Commitment")
    assert not g.uses_term("ebitda margin", "EBITDA")
    assert not g.uses_term("EBITDAR", "EBITDA")
    assert not g.uses_term("Commitmentss", "Commitment")
    assert g.uses_term("(EBITDA)", "EBITDA")


# -- cross-references -------------------------------------------------------------------------------------------
def test_reference_lists_and_sub_clauses() -> None:
    refs = g.references("see Clauses 3.1, 4 (Repayment) and 7.2.1 or 9 (Representations); clause 12")
    assert [(r.number, r.title, r.text) for r in refs] == [
        (3, None, "3.1"),
        (4, "Repayment", "4 (Repayment)"),
        (7, None, "7.2.1"),
        (9, "Representations", "9 (Representations)"),
        (12, None, "12"),
    ]
    assert g.references("Subclauses 3 and clause3") == []


def test_reference_resolution_by_number_then_title_else_broken() -> None:
    clauses = [
        g.Clause("a", "1. Definitions", "", "definition", 1),
        g.Clause("b", "Interest", "", "financial", 2),  # no numbering: number = order 2
        g.Clause("c", "7. Fees", "", "financial", 3),
        g.Clause("d", "7. Duplicate", "", "financial", 4),
    ]
    index = g.ClauseIndex(clauses)
    (by_order,) = g.references("Clause 2")
    (tie,) = g.references("Clause 7")
    (titled,) = g.references("Clause 12 ( interest )")
    (broken,) = g.references("Clause 12 (Mandatory Prepayment)")
    assert index.resolve(by_order) == "b"
    assert index.resolve(tie) == "c"
    assert index.resolve(titled) == "b"
    assert index.resolve(broken) is None


# -- edges, weights, flags, integrity ---------------------------------------------------------------------------
WS1 = {
    *{
        (f"v{v}", f"c{c}", 5)
        for v, c in [
            ("001", "002"),
            ("002", "003"),
            ("003", "004"),
            ("004", "005"),
            ("005", "006"),
            ("006", "006"),
            ("007", "007"),
            ("008", "011"),
            ("009", "001"),
            ("010", "003"),
        ]
    },
    *{("c001", f"c{c}", 3) for c in ("002", "003", "005", "006", "007", "010", "011")},
    ("c007", "c006", 3),
    ("c002", "c010", 2),
    ("c003", "c005", 2),
    ("c003", "c011", 2),
}


def test_demo_graphs_match_demo_data_section_7() -> None:
    ws1, ws2, ws3 = graph_of("ws-001"), graph_of("ws-002"), graph_of("ws-003")
    assert edges(ws1) == WS1
    assert edges(ws2) == {
        ("v011", "c013", 5),
        ("v012", "c016", 5),
        ("v016", "c014", 5),
        ("v017", "c014", 5),
        ("c015", "c013", 3),
        ("c015", "c014", 3),
        ("c015", "c016", 3),
    }
    assert edges(ws3) == {
        ("v013", "c018", 5),
        ("v014", "c019", 5),
        ("v015", "c020", 5),
        ("c017", "c019", 3),
        ("c017", "c020", 3),
        ("c019", "c017", 2),
    }
    assert [(len(x.nodes), len(x.edges), x.integrity) for x in (ws1, ws2, ws3)] == [
        (19, 21, 89),
        (8, 7, 100),
        (7, 6, 89),
    ]
    assert [short(n.id) for n in ws1.nodes if n.has_drift] == ["c003", "c006", "v002", "v005"]
    assert [short(n.id) for n in ws1.nodes if n.has_warning] == ["c003", "c006", "v002", "v005"]
    assert [short(n.id) for n in ws3.nodes if n.has_drift] == ["c019", "v014"]
    assert [short(n.id) for n in ws3.nodes if n.has_warning] == ["c019"]  # v014's drift is MEDIUM
    by_id = {n.id: n for n in ws1.nodes}
    assert by_id["node-c-clause-007"].label == "EBITDA Definition"
    assert by_id["node-v-var-002"].value == "275 bps" and by_id["node-v-var-007"].type == "definition"
    assert by_id["node-v-var-007"].value == demo.VARIABLE_BY_ID["var-007"].value  # no unit, no trailing space
    assert "node-c-clause-008" not in by_id  # general clauses have no node
    assert [n.id for n in ws1.nodes] == sorted(n.id for n in ws1.nodes)
    assert {n.type for n in ws2.nodes if n.variable_id in ("var-016", "var-017")} == {"covenant"}  # ratio → covenant


def test_one_edge_per_pair_with_the_highest_weight_and_no_self_loops() -> None:
    clauses = [
        g.Clause("d", "1. Definitions", '"Loan" means the loan under Clause 2.', "definition", 1),
        g.Clause("f", "2. Facility", "The Loan is described in Clause 1 and Clause 2.", "financial", 2),
        g.Clause("x", "3. Misc", "Clause 1 and the Loan.", "general", 3),
    ]
    graph = g.compute_graph(clauses, [g.Variable("v", "x", "Amount", "financial", "5", None)], [])
    # d→f: definition (3) beats the reference f←d (d is referenced by f: 2); f→d: reference (d refers to Clause 2).
    assert {(e.source_id, e.target_id, e.weight) for e in graph.edges} == {
        ("node-c-d", "node-c-f", 3),
        ("node-c-f", "node-c-d", 2),
    }
    assert [n.id for n in graph.nodes] == ["node-c-d", "node-c-f", "node-v-v"]  # variable of a general clause
    assert g.edge_kind(5) == "binding" and g.edge_kind(3) == "definition" and g.edge_kind(2) == "reference"


def test_integrity_formula_is_exact() -> None:
    assert g.integrity_score(19, 4, 4) == 89
    assert g.integrity_score(7, 2, 1) == 89
    assert g.integrity_score(8, 0, 0) == 100
    assert g.integrity_score(0, 0, 0) == 100
    assert g.integrity_score(1, 1, 1) == 50
    assert g.integrity_score(4, 1, 0) == 93  # 100 - 7.5 + 0.5 = 93 exactly, floor 93
    assert g.integrity_score(20, 1, 1) == 98  # 97.5 + 0.5 = 98.0


# -- issues -----------------------------------------------------------------------------------------------------
def test_tarjan_scc_finds_cycles_and_terminates_on_self_reachable_graphs() -> None:
    nodes = ["a", "b", "c", "d", "e", "f"]
    links = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e"), ("e", "d"), ("f", "f")]
    assert g.cycles(nodes, links) == [["a", "b", "c"], ["d", "e"]]
    assert g.orphans([*nodes, "z"], links) == ["z"]
    # a long chain (no recursion limit) and a big ring
    chain = [(str(i), str(i + 1)) for i in range(5000)]
    assert g.cycles([str(i) for i in range(5001)], chain) == []
    ring = [*chain, ("5000", "0")]
    (only,) = g.cycles([str(i) for i in range(5001)], ring)
    assert len(only) == 5001


def test_candidate_phrases_split_possessives_and_drop_stop_words() -> None:
    text = (
        "The Borrower's Relevant Period ends. Each Lender's Available Commitment and Business Days' notice "
        "under Clause 12 (Mandatory Prepayment) Subject Matter, USD Amount and Clause 4 Senior Leverage."
    )
    assert g.candidate_phrases(text) == ["Relevant Period", "Available Commitment", "Business Days", "Senior Leverage"]


def test_demo_issue_reports() -> None:
    for ws in ("ws-001", "ws-002"):
        graph = graph_of(ws)
        report = g.issues_report(
            clauses_of(ws), [n.id for n in graph.nodes], [(e.source_id, e.target_id) for e in graph.edges]
        )
        assert report == g.Issues((), (), (), (), ()), ws
    graph = graph_of("ws-003")
    report = g.issues_report(
        clauses_of("ws-003"), [n.id for n in graph.nodes], [(e.source_id, e.target_id) for e in graph.edges]
    )
    assert report == g.Issues(
        orphans=(),
        cycles=(("node-c-clause-017", "node-c-clause-019"),),
        undefined_terms=(g.TermIssue("clause-020", "Relevant Period"),),
        unused_definitions=(g.TermIssue("clause-017", "Excess Cashflow"),),
        broken_references=(g.BrokenReference("clause-020", "Clause 12 (Mandatory Prepayment)"),),
    )


def test_undefined_terms_are_unique_per_clause_in_order_and_respect_titles_and_plurals() -> None:
    clauses = [
        g.Clause(
            "d",
            "1. Definitions",
            '"Loan Party" means the Borrower; "Facility Office" means an office.',
            "definition",
            1,
        ),
        g.Clause(
            "c",
            "2. Material Breach",
            "Each Loan Parties' Material Adverse Effect, a Material Breach, Material Adverse Effect again, "
            'Loan Partys and Hedge Counterparty (the "Hedge Counterparty") plus Security Agent.',
            "general",
            2,
        ),
    ]
    report = g.issues_report(clauses, [], [])
    assert report.undefined_terms == (
        g.TermIssue("c", "Loan Parties"),  # only T + "s" counts as the plural
        g.TermIssue("c", "Material Adverse Effect"),
        g.TermIssue("c", "Security Agent"),
    )
    # "Loan Partys" uses "Loan Party" (T + "s"); nothing uses "Facility Office".
    assert report.unused_definitions == (g.TermIssue("d", "Facility Office"),)


def test_term_index_agrees_with_the_plain_usage_rule() -> None:
    terms = [
        "Business Day",
        "Commitment",
        "Available Commitment",
        "EBITDA",
        "Term 1 2",
        "Term 1 25",
        "Finance Party",
        "Co.",
        "“Odd”",
        "A B C",
        "Margin",
    ]
    bodies = [body(c.id) for c in demo.CLAUSES] + [
        "Term 1 25 applies; Term 1 2s too",
        "Term 1 2",
        "the EBITDAs and Co. and A B Cs and Margins",
        "A B C D",
        "Finance Partys' Commitments",
        "“Odd” one",
        "xEBITDA EBITDAx Business Dayz",
    ]
    index = g.TermIndex(terms)
    for text in bodies:
        assert index.used_in(text) == {t for t in terms if g.uses_term(text, t)}, text


def test_impact_paths_take_the_smallest_minimal_path() -> None:
    from nexus.services.graph import with_paths

    class Row:
        def __init__(self, node_id: str, distance: int, vias: list[str]) -> None:
            self.id, self.distance, self.vias = node_id, distance, vias

    rows = [Row("b", 1, ["r"]), Row("c", 1, ["r"]), Row("d", 2, ["b", "c"]), Row("e", 3, ["d"]), Row("f", 2, ["c"])]
    paths = {n.row.id: n.path for n in with_paths("r", rows)}  # type: ignore[arg-type]
    assert paths == {
        "b": ["r", "b"],
        "c": ["r", "c"],
        "d": ["r", "b", "d"],
        "e": ["r", "b", "d", "e"],
        "f": ["r", "c", "f"],
    }

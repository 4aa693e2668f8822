"""Pure graph rules (domain.md §7): nodes, defined terms, cross-references, edges and weights, flags, integrity
and the issues report (orphans, Tarjan SCC cycles, unused definitions, broken references, undefined terms)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from math import floor
from typing import Final, Literal

NodeType = Literal["financial", "covenant", "definition", "xref"]
EdgeKind = Literal["binding", "definition", "reference"]

BINDING_WEIGHT: Final = 5
DEFINITION_WEIGHT: Final = 3
REFERENCE_WEIGHT: Final = 2
KIND_BY_WEIGHT: Final[Mapping[int, EdgeKind]] = {5: "binding", 3: "definition", 2: "reference"}
VARIABLE_NODE_TYPE: Final[Mapping[str, NodeType]] = {
    "financial": "financial",
    "covenant": "covenant",
    "definition": "definition",
    "ratio": "covenant",
}

NUMBERING: Final = re.compile(r"^\s*\d+(\.\d+)*[.)]?\s+")
_LEADING_INT: Final = re.compile(r"^\s*(\d+)")
DEFINITION: Final = re.compile(r"[\"“]([^\"”]{1,80})[\"”]\s+(?:means|shall mean|has the meaning|includes)\b")
INLINE_DEFINITION: Final = re.compile(r"\((?:the\s+)?[\"“]([^\"”]{1,80})[\"”]\)")
_XREF_START: Final = re.compile(r"\b[Cc]lauses?\s+")
_XREF_ITEM: Final = re.compile(r"(\d+)(?:\.\d+)*(?:\s*\(([^()]{1,120})\))?")
_XREF_SEP: Final = re.compile(r"\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+")
_CAPITAL_RUN: Final = re.compile(r"\b[A-Z][a-z][A-Za-z'’-]*(?: [A-Z][a-z][A-Za-z'’-]*)+")
_POSSESSIVE: Final = re.compile(r"(?:'s|’s|'|’)$")
STOP_WORDS: Final = frozenset(
    [
        "The",
        "A",
        "An",
        "Each",
        "Any",
        "All",
        "No",
        "Such",
        "This",
        "That",
        "These",
        "Those",
        "If",
        "Upon",
        "On",
        "In",
        "For",
        "Under",
        "Subject",
        "Clause",
        "Clauses",
        "Schedule",
        "Section",
        "Paragraph",
        "Its",
        "Their",
        "Our",
    ]
)


# -- inputs -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    body: str
    type: str
    order: int
    is_sensitive: bool = False


@dataclass(frozen=True)
class Variable:
    id: str
    clause_id: str
    label: str
    type: str
    value: str
    unit: str | None


@dataclass(frozen=True)
class OpenDrift:
    clause_id: str
    variable_id: str | None
    severity: str


# -- outputs ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    id: str
    label: str
    type: NodeType
    clause_id: str | None
    variable_id: str | None
    value: str | None
    has_drift: bool
    has_warning: bool


@dataclass(frozen=True)
class Edge:
    source_id: str
    target_id: str
    weight: int

    @property
    def id(self) -> str:
        return edge_id(self.source_id, self.target_id)


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    @property
    def integrity(self) -> int:
        return integrity_score(
            len(self.nodes), sum(n.has_drift for n in self.nodes), sum(n.has_warning for n in self.nodes)
        )


@dataclass(frozen=True)
class Reference:
    """One cross-reference item: `text` as written after "Clause " (e.g. "12 (Mandatory Prepayment)")."""

    number: int
    title: str | None
    text: str


@dataclass(frozen=True)
class TermIssue:
    clause_id: str
    term: str


@dataclass(frozen=True)
class BrokenReference:
    clause_id: str
    reference: str


@dataclass(frozen=True)
class Issues:
    orphans: tuple[str, ...]
    cycles: tuple[tuple[str, ...], ...]
    undefined_terms: tuple[TermIssue, ...]
    unused_definitions: tuple[TermIssue, ...]
    broken_references: tuple[BrokenReference, ...]


# -- ids, labels, integrity -------------------------------------------------------------------------------------
def clause_node_id(clause_id: str) -> str:
    return f"node-c-{clause_id}"


def variable_node_id(variable_id: str) -> str:
    return f"node-v-{variable_id}"


def edge_id(source_id: str, target_id: str) -> str:
    return f"edge-{source_id}--{target_id}"


def strip_numbering(title: str) -> str:
    return NUMBERING.sub("", title, count=1)


def node_value(value: str, unit: str | None) -> str:
    return f"{value} {unit}" if unit else value


def edge_kind(weight: int) -> EdgeKind:
    return KIND_BY_WEIGHT.get(weight, "reference")


def integrity_score(nodes: int, drift_nodes: int, warning_nodes: int) -> int:
    """`floor(100 − (30·d + 20·w)/n + 0.5)` exactly; 100 for an empty graph."""
    if nodes == 0:
        return 100
    return floor(Fraction(100) - Fraction(30 * drift_nodes + 20 * warning_nodes, nodes) + Fraction(1, 2))


# -- defined terms (§7.2) ---------------------------------------------------------------------------------------
def defined_terms(body: str) -> list[str]:
    """Terms a definition clause defines ("…" means / shall mean / has the meaning / includes), first-seen order."""
    return list(dict.fromkeys(m.group(1) for m in DEFINITION.finditer(body)))


def inline_terms(body: str) -> list[str]:
    """Inline definitions `(the "Term")`: count as defined for the undefined-term check only."""
    return list(dict.fromkeys(m.group(1) for m in INLINE_DEFINITION.finditer(body)))


_USAGE_CACHE: dict[str, re.Pattern[str]] = {}


def usage_pattern(term: str) -> re.Pattern[str]:
    pattern = _USAGE_CACHE.get(term)
    if pattern is None:
        pattern = re.compile(r"(?<![A-Za-z0-9])" + re.escape(term) + r"s?(?![A-Za-z0-9])")
        if len(_USAGE_CACHE) < 10_000:
            _USAGE_CACHE[term] = pattern
    return pattern


_TOKEN: Final = re.compile(r"[A-Za-z0-9]+")


class TermIndex:
    """Which of many terms a body uses, without one regex search per (body, term).

    A word-bounded use of T puts T's alphanumeric tokens consecutively among the body's tokens (the last one
    possibly + "s"), so T is keyed by its first two tokens (one-token terms: by the token) and only terms keyed
    by a token or a pair of adjacent tokens of the body are checked with `uses_term`."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.by_key: dict[tuple[str, ...], list[str]] = {}
        self.unkeyed: list[str] = []
        for term in dict.fromkeys(terms):
            tokens = _TOKEN.findall(term)
            if not tokens:
                self.unkeyed.append(term)
                continue
            if len(tokens) == 1:
                keys: set[tuple[str, ...]] = {(tokens[0],), (tokens[0] + "s",)}
            elif len(tokens) == 2:
                keys = {(tokens[0], tokens[1]), (tokens[0], tokens[1] + "s")}
            else:
                keys = {(tokens[0], tokens[1])}
            for key in keys:
                self.by_key.setdefault(key, []).append(term)

    def used_in(self, body: str) -> set[str]:
        tokens = _TOKEN.findall(body)
        keys: set[tuple[str, ...]] = {(t,) for t in tokens}
        keys.update(pairwise(tokens))
        found: set[str] = set()
        for key in keys:
            for term in self.by_key.get(key, ()):
                if term not in found and uses_term(body, term):
                    found.add(term)
        found.update(t for t in self.unkeyed if uses_term(body, t))
        return found


def uses_term(body: str, term: str) -> bool:
    """Case-sensitive word-bounded usage, optional plural `s` ("Business Days'" uses "Business Day")."""
    return term in body and usage_pattern(term).search(body) is not None


# -- cross-references (§7.3) ------------------------------------------------------------------------------------
def _reference_spans(body: str) -> list[tuple[int, int, list[Reference]]]:
    spans: list[tuple[int, int, list[Reference]]] = []
    for start in _XREF_START.finditer(body):
        item = _XREF_ITEM.match(body, start.end())
        if item is None:
            continue
        items: list[Reference] = []
        end = start.end()
        while item is not None:
            items.append(Reference(int(item.group(1)), item.group(2), item.group(0)))
            end = item.end()
            sep = _XREF_SEP.match(body, end)
            item = _XREF_ITEM.match(body, sep.end()) if sep is not None else None
        spans.append((start.start(), end, items))
    return spans


def references(body: str) -> list[Reference]:
    return [ref for _, _, items in _reference_spans(body) for ref in items]


def without_references(body: str) -> str:
    """The body with every cross-reference match replaced by a separator (so no capitalised run spans it)."""
    out: list[str] = []
    last = 0
    for start, end, _ in _reference_spans(body):
        out.append(body[last:start])
        out.append(" | ")
        last = end
    out.append(body[last:])
    return "".join(out)


def _normalise_title(title: str) -> str:
    return " ".join(strip_numbering(title).split()).casefold()


class ClauseIndex:
    """Resolves references: by number (leading integer of the title, else order; lowest order wins), else by
    parenthesised title (case-insensitive, whitespace-normalised, numbering stripped)."""

    def __init__(self, clauses: Sequence[Clause]) -> None:
        self.by_number: dict[int, str] = {}
        self.by_title: dict[str, str] = {}
        for clause in sorted(clauses, key=lambda c: c.order):
            lead = _LEADING_INT.match(clause.title)
            number = int(lead.group(1)) if lead else clause.order
            self.by_number.setdefault(number, clause.id)
            self.by_title.setdefault(_normalise_title(clause.title), clause.id)

    def resolve(self, ref: Reference) -> str | None:
        found = self.by_number.get(ref.number)
        if found is None and ref.title is not None:
            found = self.by_title.get(" ".join(ref.title.split()).casefold())
        return found


# -- build (§7.1, §7.4, §7.5) -----------------------------------------------------------------------------------
def compute_graph(clauses: Sequence[Clause], variables: Sequence[Variable], drifts: Iterable[OpenDrift]) -> Graph:
    """Nodes and edges of a workspace; nodes sorted by id, edges by (source, target). Deterministic."""
    open_drifts = list(drifts)
    drift_clauses = {d.clause_id for d in open_drifts}
    variable_drift: dict[str, str] = {}
    for d in open_drifts:
        if d.variable_id is not None:
            severity = variable_drift.get(d.variable_id)
            variable_drift[d.variable_id] = "HIGH" if "HIGH" in (severity, d.severity) else d.severity
    with_node = {c.id for c in clauses if c.type != "general"}
    nodes: list[Node] = []
    for c in clauses:
        if c.id in with_node:
            drift = c.id in drift_clauses
            nodes.append(
                Node(
                    clause_node_id(c.id),
                    strip_numbering(c.title),
                    _node_type(c.type),
                    c.id,
                    None,
                    None,
                    drift,
                    drift and c.is_sensitive,
                )
            )
    edges: dict[tuple[str, str], int] = {}

    def add(source: str, target: str, weight: int) -> None:
        if source != target and edges.get((source, target), 0) < weight:
            edges[source, target] = weight

    for v in variables:
        severity = variable_drift.get(v.id)
        nodes.append(
            Node(
                variable_node_id(v.id),
                v.label,
                VARIABLE_NODE_TYPE.get(v.type, "financial"),
                v.clause_id,
                v.id,
                node_value(v.value, v.unit),
                severity is not None,
                severity == "HIGH",
            )
        )
        if v.clause_id in with_node:
            add(variable_node_id(v.id), clause_node_id(v.clause_id), BINDING_WEIGHT)

    node_clauses = [c for c in clauses if c.id in with_node]
    definers: dict[str, list[str]] = {}
    for definer in node_clauses:
        if definer.type == "definition":
            for term in defined_terms(definer.body):
                definers.setdefault(term, []).append(definer.id)
    index_terms = TermIndex(definers)
    for c in node_clauses:
        for term in index_terms.used_in(c.body):
            for definer_id in definers[term]:
                if definer_id != c.id:
                    add(clause_node_id(definer_id), clause_node_id(c.id), DEFINITION_WEIGHT)

    index = ClauseIndex(clauses)
    for c in node_clauses:
        for ref in references(c.body):
            target = index.resolve(ref)
            if target is not None and target != c.id and target in with_node:
                add(clause_node_id(target), clause_node_id(c.id), REFERENCE_WEIGHT)

    return Graph(
        tuple(sorted(nodes, key=lambda n: n.id)),
        tuple(Edge(s, t, w) for (s, t), w in sorted(edges.items())),
    )


def _node_type(clause_type: str) -> NodeType:
    if clause_type in ("financial", "covenant", "definition", "xref"):
        return clause_type  # type: ignore[return-value]
    return "xref"


# -- issues report (§7.8) ---------------------------------------------------------------------------------------
def strongly_connected(node_ids: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Tarjan's SCC (iterative): every component, each sorted, in no particular order."""
    adjacency: dict[str, list[str]] = {n: [] for n in node_ids}
    for s, t in edges:
        adjacency.setdefault(s, []).append(t)
        adjacency.setdefault(t, [])
    for targets in adjacency.values():
        targets.sort()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(adjacency):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = adjacency[node]
            if i < len(targets):
                work.append((node, i + 1))
                nxt = targets[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                components.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def cycles(node_ids: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components of size ≥ 2, each sorted, sorted by first id."""
    return sorted((c for c in strongly_connected(node_ids, edges) if len(c) >= 2), key=lambda c: c[0])


def orphans(node_ids: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    touched = {n for edge in edges for n in edge}
    return sorted(n for n in node_ids if n not in touched)


def candidate_phrases(body: str) -> list[str]:
    """Undefined-term candidates of one body (§7.8 steps 1–4), in order of occurrence."""
    phrases: list[str] = []
    for run in _CAPITAL_RUN.finditer(without_references(body)):
        current: list[str] = []
        groups: list[list[str]] = []
        for word in run.group(0).split(" "):
            stripped = _POSSESSIVE.sub("", word)
            if stripped != word:
                current.append(stripped)
                groups.append(current)
                current = []
            else:
                current.append(word)
        groups.append(current)
        for words in groups:
            while words and words[0] in STOP_WORDS:
                words = words[1:]
            if len(words) >= 2:
                phrases.append(" ".join(words))
    return phrases


def issues_report(clauses: Sequence[Clause], node_ids: Iterable[str], edges: Iterable[tuple[str, str]]) -> Issues:
    """The §7.8 report: structure from the given nodes/edges, text issues from the clauses (by order)."""
    edge_list = list(edges)
    ids = list(node_ids)
    ordered = sorted(clauses, key=lambda c: c.order)

    defined: list[tuple[str, str]] = []  # (clause id, term) of definition clauses
    for c in ordered:
        if c.type == "definition":
            defined.extend((c.id, t) for t in defined_terms(c.body))
    inline = {t for c in ordered for t in inline_terms(c.body)}
    known = {t for _, t in defined} | inline
    titles = {strip_numbering(c.title) for c in ordered}

    term_index = TermIndex(t for _, t in defined)
    users: dict[str, set[str]] = {}  # term -> clauses using it
    for c in ordered:
        for term in term_index.used_in(c.body):
            users.setdefault(term, set()).add(c.id)
    unused = [TermIssue(cid, term) for cid, term in defined if not users.get(term, set()) - {cid}]

    index = ClauseIndex(ordered)
    broken = [
        BrokenReference(c.id, "Clause " + ref.text)
        for c in ordered
        for ref in references(c.body)
        if index.resolve(ref) is None
    ]

    undefined: list[TermIssue] = []
    for c in ordered:
        if c.type == "definition":
            continue
        seen: set[str] = set()
        for phrase in candidate_phrases(c.body):
            if phrase in seen or phrase in titles or phrase in known:
                continue
            if phrase.endswith("s") and phrase[:-1] in known:
                continue
            seen.add(phrase)
            undefined.append(TermIssue(c.id, phrase))

    return Issues(
        orphans=tuple(orphans(ids, edge_list)),
        cycles=tuple(tuple(c) for c in cycles(ids, edge_list)),
        undefined_terms=tuple(undefined),
        unused_definitions=tuple(unused),
        broken_references=tuple(broken),
    )

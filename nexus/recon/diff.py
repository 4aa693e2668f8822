"""Word-level diffs: edit regions (whole words, unedited edge punctuation left out) and old → new offset mapping."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Literal

from nexus.recon.types import Region

Kind = Literal["same", "del", "ins"]
Op = tuple[Kind, str]

TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_TRIM_END = set(".,;:!?)]}\"'”’")
_TRIM_START = set("([{\"'“‘")
# Edits closer than this many unchanged words form one region; a block rewritten for more than half of
# its words is one region.
MERGE_GAP_WORDS = 3
REWRITE_SHARE = 0.5


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


Opcode = tuple[str, int, int, int, int]


def opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """difflib opcodes of two token lists; the common head and tail are matched first (fast for small edits)."""
    head = 0
    limit = min(len(a), len(b))
    while head < limit and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < limit - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    middle = difflib.SequenceMatcher(None, a[head : len(a) - tail], b[head : len(b) - tail], autojunk=False)
    out: list[Opcode] = [("equal", 0, head, 0, head)] if head else []
    out.extend((tag, i1 + head, i2 + head, j1 + head, j2 + head) for tag, i1, i2, j1, j2 in middle.get_opcodes())
    if tail:
        out.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return out


def diff_ops(old: str, new: str) -> list[Op]:
    """The token-level diff of two texts as same/del/ins operations."""
    a, b = tokens(old), tokens(new)
    ops: list[Op] = []
    for tag, i1, i2, j1, j2 in opcodes(a, b):
        if tag == "equal":
            ops.extend(("same", t) for t in a[i1:i2])
        else:
            ops.extend(("del", t) for t in a[i1:i2])
            ops.extend(("ins", t) for t in b[j1:j2])
    return ops


def _spans(ops: list[Op]) -> list[list[int]]:
    """Runs of edited operations, joined across whitespace, widened to whole words."""
    spans: list[list[int]] = []
    for i, (kind, _tok) in enumerate(ops):
        if kind == "same":
            continue
        if spans and all(ops[k][0] != "same" or ops[k][1].isspace() for k in range(spans[-1][1], i)):
            spans[-1][1] = i + 1
        else:
            spans.append([i, i + 1])
    merged: list[list[int]] = []
    for start, end in spans:
        while start > 0 and not ops[start - 1][1].isspace() and not ops[start][1].isspace():
            start -= 1
        while end < len(ops) and not ops[end][1].isspace() and not ops[end - 1][1].isspace():
            end += 1
        # Unedited punctuation picked up by the widening ("Agreement" + ".") stays outside the region.
        while end - 1 > start and ops[end - 1][0] == "same" and ops[end - 1][1] in _TRIM_END:
            end -= 1
        while start + 1 < end and ops[start][0] == "same" and ops[start][1] in _TRIM_START:
            start += 1
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _offsets(ops: list[Op], spans: list[list[int]]) -> tuple[Region, ...]:
    old_at: list[int] = []
    new_at: list[int] = []
    o = n = 0
    for kind, tok in ops:
        old_at.append(o)
        new_at.append(n)
        if kind != "ins":
            o += len(tok)
        if kind != "del":
            n += len(tok)
    old_at.append(o)
    new_at.append(n)
    return tuple(Region(old_at[s], old_at[e], new_at[s], new_at[e]) for s, e in spans)


def _join_close(ops: list[Op], spans: list[list[int]]) -> list[list[int]]:
    joined: list[list[int]] = []
    for span in spans:
        if joined:
            gap = sum(1 for _kind, tok in ops[joined[-1][1] : span[0]] if tok[0].isalnum())
            if gap < MERGE_GAP_WORDS:
                joined[-1][1] = span[1]
                continue
        joined.append(list(span))
    return joined


def regions_from_ops(ops: list[Op]) -> tuple[Region, ...]:
    """Edit regions of a tracked paragraph: the author's marked runs, widened to whole words, close ones joined."""
    return _offsets(ops, _join_close(ops, _spans(ops)))


def regions_from_diff(old: str, new: str) -> tuple[Region, ...]:
    """Edit regions of an untracked change (word diff); nearby edits merged; a mostly rewritten text is one region."""
    ops = diff_ops(old, new)
    words = [tok for kind, tok in ops if kind != "ins" and tok[0].isalnum()]
    changed = [tok for kind, tok in ops if kind == "del" and tok[0].isalnum()]
    new_words = [tok for kind, tok in ops if kind != "del" and tok[0].isalnum()]
    added = [tok for kind, tok in ops if kind == "ins" and tok[0].isalnum()]
    if len(changed) > REWRITE_SHARE * max(len(words), 1) or len(added) > REWRITE_SHARE * max(len(new_words), 1):
        return (Region(0, len(old), 0, len(new)),)
    return _offsets(ops, _join_close(ops, _spans(ops)))


class OffsetMap:
    """Maps character offsets of `old` to `new` through the word diff, and tells which old spans were edited."""

    def __init__(self, old: str, new: str) -> None:
        a, b = tokens(old), tokens(new)
        a_at, b_at = [0], [0]
        for t in a:
            a_at.append(a_at[-1] + len(t))
        for t in b:
            b_at.append(b_at[-1] + len(t))
        self.ops = [(tag, a_at[i1], a_at[i2], b_at[j1], b_at[j2]) for tag, i1, i2, j1, j2 in opcodes(a, b)]
        self.new_len = len(new)

    def hunks(self) -> list[tuple[int, int, int, int]]:
        """(old_start, old_end, new_start, new_end) of each non-equal operation."""
        return [(o1, o2, n1, n2) for tag, o1, o2, n1, n2 in self.ops if tag != "equal"]

    def touches(self, start: int, end: int) -> bool:
        """Whether an edit overlaps old `[start, end)` (an insertion strictly inside counts)."""
        return any((o1 < end and start < o2) or (o1 == o2 and start < o1 < end) for o1, o2, _, _ in self.hunks())

    def start(self, x: int) -> int:
        for tag, o1, o2, n1, _n2 in self.ops:
            if o1 <= x < o2:
                return n1 + (x - o1) if tag == "equal" else n1
        return self.new_len

    def end(self, x: int) -> int:
        for tag, o1, o2, n1, n2 in self.ops:
            if o1 < x <= o2:
                return n1 + (x - o1) if tag == "equal" else n2
        return 0

"""A document read into one outline: numbered and styled headings, the paragraphs under them,
and the rows of its tables, whatever the format it came in.

This is the first of two steps (the second, `corpus.cases`, decides which level of the outline
holds the cases). As in Docling's document tree, every line of the source becomes one `Block`
— a heading, a paragraph or a table row — and headings nest by their style: the first
numbering style met is the top level (`一、` before `（一）` before `1.`, or whatever order the
document uses), Markdown `#` and Word's Heading styles give their own levels, and a part label
such as `【主要做法】` always sits inside whatever holds it. Nothing is dropped: a block that is
neither title nor case is reported as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from corpus.parse import CHINESE_NUMERALS, PREFACE_RE, chinese_numeral
from corpus.text import PAGE_NUMBER

_NUMBER = rf"[{CHINESE_NUMERALS}]+|\d{{1,4}}"  # a compilation may hold a thousand cases
# A numbering marker at the start of a line: the style's name, and a pattern whose first group
# is the number and whose group `rest` is the rest of the line. Checked in this order.
_MARKER_PATTERNS = (
    ("第一部分", rf"^第\s*({_NUMBER})\s*(?:部分|章|节|篇|单元)\s*[、，,:：.．]?\s*(?P<rest>.*)$"),
    ("【案例1】", rf"^[【\[〔［]\s*(?:典型)?(?:案例|经验|做法)\s*({_NUMBER})\s*[】\]〕］]\s*"
                rf"[、，,:：.．]?\s*(?P<rest>.*)$"),
    ("典型案例1", rf"^典型(?:案例|经验)\s*({_NUMBER})\s*(?:[、，,:：.．　 ]\s*(?P<rest>.*)|$)"),
    ("案例一", rf"^(?:案例|经验)\s*({_NUMBER})\s*(?:[、，,:：.．　 ]\s*(?P<rest>.*)|$)"),
    ("一、", rf"^([{CHINESE_NUMERALS}]+)\s*[、，,]\s*(?P<rest>.*)$"),
    ("（一）", rf"^[（(]([{CHINESE_NUMERALS}]+)[）)]\s*[、，,:：]?\s*(?P<rest>.*)$"),
    # "1." "2．" "3、" — but not "2.5亿元", a paragraph that merely starts with a decimal
    # number, nor "2020年…".
    ("1.", r"^(\d{1,3})\s*[.．、](?!\d)\s*(?P<rest>.*)$"),
    ("（1）", r"^[（(](\d{1,3})[）)]\s*[、.．]?\s*(?P<rest>.*)$"),
    ("①", r"^([\u2460-\u2473])\s*[、.．]?\s*(?P<rest>.*)$"),
)
MARKERS = tuple((style, re.compile(pattern)) for style, pattern in _MARKER_PATTERNS)
# A label for a part of a case — 【基本情况】【主要做法】【取得成效】 — not a numbered case.
PART = re.compile(r"^[【\[〔［]\s*([^】\]〕］\d]{2,12}?)\s*[】\]〕］]\s*[:：]?\s*(.*)$")
PART_STYLE = "【…】"
OFFICIAL_ORDER = ("一、", "（一）", "1.", "（1）", "①")
# The parts of a case, when set as headings without brackets (in bold, or a Heading style).
PART_LABELS = re.compile(r"^(?:基本情况|背景情况|工作背景|主要做法|具体做法|经验做法|工作举措|"
                         r"主要举措|取得成效|工作成效|主要成效|实施成效|经验启示|启示|"
                         r"下一步(?:打算|计划)?)[:：]?$")
# A case marker without a number: `【典型案例】恩施州：…`, `【案例】…`.
CASE_LABEL = re.compile(r"^[【\[〔［]\s*(?:典型)?(?:案例|经验|做法)\s*[】\]〕］]\s*[、，,:：]?\s*"
                        r"(?P<rest>.*)$")
CASE_LABEL_STYLE = "【案例】"
# Lines that belong to no case: a page number, a note or a distribution line after the cases.
NOTE = re.compile(r"^(?:注|备注|附注|说明|抄送|抄报|联系人|联系电话)\s*[:：]|^（?注[:：]"
                  r"|^以上(?:案例|材料|内容|数据)")
SET_ASIDE = ("furniture", "note")
PREFACE = PREFACE_RE  # `附件` above the title


@dataclass(frozen=True)
class Block:
    """One line of the document: a heading (a number or a style marks it), a paragraph, or a
    table row (its cells by header name).

    `style` names the heading's numbering (`一、`, `（一）`, `h2` for a Markdown or Word
    heading of level 2, `【…】` for a part label) and is empty for a paragraph or a row.
    """

    kind: str  # "heading" | "paragraph" | "row" | "furniture" | "note"
    text: str
    line: int
    style: str = ""
    number: int | None = None
    raw: str = ""
    cells: tuple[tuple[str, str], ...] = ()
    table: int = 0
    heading_level: int | None = None  # a Markdown `#` count or a Word Heading level


@dataclass
class Node:
    """A heading with the paragraphs under it and the headings nested in it."""

    head: Block
    level: int
    body: list[Block] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    def blocks(self) -> Iterable[Block]:
        """The heading and everything under it, in document order."""
        yield self.head
        for block in self._ordered():
            if isinstance(block, Node):
                yield from block.blocks()
            else:
                yield block

    def _ordered(self) -> list[Block | Node]:
        items: list[Block | Node] = [*self.body, *self.children]
        return sorted(items, key=lambda item: (item.head.line if isinstance(item, Node)
                                               else item.line))


@dataclass(frozen=True)
class Outline:
    """A document's blocks, the levels its heading styles nest at, and what reading noted."""

    blocks: tuple[Block, ...]
    levels: dict[str, int]
    notes: tuple[str, ...] = ()

    def tree(self) -> tuple[list[Block], list[Node]]:
        """The blocks before the first heading, and the top-level headings with what they hold."""
        preface: list[Block] = []
        roots: list[Node] = []
        stack: list[Node] = []
        for block in self.blocks:
            if block.kind in SET_ASIDE:
                continue
            if block.kind != "heading":
                (stack[-1].body if stack else preface).append(block)
                continue
            node = Node(block, self.levels[block.style])
            while stack and stack[-1].level >= node.level:
                stack.pop()
            (stack[-1].children if stack else roots).append(node)
            stack.append(node)
        return preface, roots

    def rows(self) -> list[Block]:
        """The rows of the document's tables, in order."""
        return [block for block in self.blocks if block.kind == "row"]

    def styles_in_order(self) -> list[str]:
        """The heading styles, top level first."""
        return sorted(self.levels, key=self.levels.__getitem__)


def chinese_number(token: str) -> int:
    """`十二` → 12, `3` → 3, `③` → 3 (up to 999)."""
    if len(token) == 1 and "\u2460" <= token <= "\u2473":
        return ord(token) - 0x2460 + 1
    return chinese_numeral(token)


def marker_of(line: str) -> tuple[str, int | None, str] | None:
    """(style, number, rest) when the line starts with a numbering marker or a part label."""
    for style, pattern in MARKERS:
        match = pattern.match(line)
        if match is None:
            continue
        try:
            number = chinese_number(match.group(1))
        except ValueError:
            continue
        return style, number, (match.group("rest") or "").strip()
    if (match := CASE_LABEL.match(line)) is not None:
        return CASE_LABEL_STYLE, None, match.group("rest").strip()
    if (match := PART.match(line)) is not None:
        return PART_STYLE, None, line
    return None


def block_of(line: str, number: int, heading_level: int | None = None) -> Block:
    """The block a line of text is: a heading when it starts with a marker or has a heading
    level (Markdown `#`, a Word Heading style), else a paragraph."""
    if PAGE_NUMBER.match(line):
        return Block("furniture", line, number, raw=line)
    if NOTE.match(line):
        return Block("note", line, number, raw=line)
    found = marker_of(line)
    if found is not None:
        style, value, rest = found
        return Block("heading", rest, number, style, value, raw=line, heading_level=heading_level)
    if heading_level is not None and PART_LABELS.match(line):  # a bold or styled 主要做法
        return Block("heading", line, number, PART_STYLE, None, raw=line)
    if heading_level is not None:
        return Block("heading", line, number, f"h{heading_level}", None, raw=line,
                     heading_level=heading_level)
    return Block("paragraph", line, number, raw=line)


def outline_of_lines(lines: Sequence[str], heading_levels: dict[int, int] | None = None,
                     tables: dict[int, list[Block]] | None = None,
                     notes: Sequence[str] = ()) -> Outline:
    """The outline of a document given as lines (line N is `lines[N - 1]`), with the heading
    levels some lines have (Markdown, Word styles) and table rows to put after given lines.

    Args:
        lines: the document, one paragraph a line (blank lines are skipped).
        heading_levels: line number → heading level (1 the highest), for styled headings.
        tables: line number → the rows of a table that follows that line (0: before all).
        notes: what reading the file already noted.
    """
    heading_levels = heading_levels or {}
    tables = tables or {}
    blocks: list[Block] = list(tables.get(0, []))
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip("\ufeff")
        if line and not (PREFACE.match(line) and not blocks):
            blocks.append(block_of(line, number, heading_levels.get(number)))
        blocks.extend(tables.get(number, []))
    return Outline(tuple(blocks), heading_style_levels(blocks), tuple(notes))


def heading_style_levels(blocks: Sequence[Block]) -> dict[str, int]:
    """Each heading style's level: styles used by Markdown or Word headings by that heading
    level (`## 一、济南市` is a level-2 heading whatever its number), the other numbering
    styles below them in the order the document first uses them, part labels deepest."""
    rank: dict[str, tuple[int, int]] = {}
    for position, block in enumerate(blocks):
        if block.kind != "heading" or block.style == PART_STYLE:
            continue
        key = (0, block.heading_level) if block.heading_level is not None else (1, position)
        rank[block.style] = min(rank.get(block.style, key), key)
    order = sorted(rank, key=rank.__getitem__)
    # The official numbering (GB/T 9704) nests 一、 › （一） › 1. › （1） › ①: typed numbers
    # keep that order among themselves whichever is met first (a preface's `1.` points
    # before the first `一、` heading must not put `1.` above it).
    typed = [index for index, style in enumerate(order) if style in OFFICIAL_ORDER
             and rank[style][0] == 1]
    for index, style in zip(typed, sorted((order[i] for i in typed), key=OFFICIAL_ORDER.index),
                            strict=True):
        order[index] = style
    levels = {style: level for level, style in enumerate(order, start=1)}
    if any(b.style == PART_STYLE for b in blocks):
        levels[PART_STYLE] = len(order) + 1
    return levels

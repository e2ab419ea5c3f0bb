"""Finding the cases in a document's outline: which level holds them, and the place, title
and text of each.

Government compilations of typical cases come in a few layouts (corpus/data/README.md shows
each), and one rule reads them all: going down the outline from the top, a level whose
headings are only place names (`一、济南市`) holds places, and the cases are what lies under
them; the first level whose headings name a place (`一、浙江省以……为抓手`, `案例一　崂山区：…`,
`（一）…青岛市新建…`) holds the cases; a level that names none (a topic, `第一部分 …`) is
passed through. A table with a place, a title or a text column holds one case a row. Each
case's place comes from its own heading, its table cell or its text (the first place it
names), else from the headings above it, else from the document — and the report says which.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from corpus.errors import CorpusError
from corpus.outline import PART_STYLE, Block, Node, Outline, heading_style_levels
from corpus.parse import ParsedText, Section
from corpus.places import Place, gazetteer
from corpus.text import shortened

PLACE_LINE_STYLE = "地名：标题"  # a line `<place>：<title>` standing as a heading
# Styles that mark a case (`案例一　崂山区` is a case of 崂山区, never a place holding cases).
CASE_MARKERS = ("案例一", "【案例1】", "典型案例1", "【案例】", PLACE_LINE_STYLE)
TITLE_CHARS = 60       # a heading longer than this, or with a sentence end inside, is a paragraph
SHORT_CASE = 30        # a case this short is reported: a heading taken for a case?
LONG_CASE = 6000       # and one this long: several cases read as one?
_SENTENCE_END = re.compile(r"[。！？；!?;]")
# `崂山区：打造…`, `崂山区——打造…`, `崂山区 打造…`: a place, then the case's title.
_PLACE_TITLE = re.compile(r"^(?P<place>[^：:，,。\s]{2,20}?)\s*(?:[：:]|——|—|\s)\s*"
                          r"(?P<title>\S.*)$")
# `打造家门口好学校（崂山区）`, `……——崂山区教育局`: the title, then its place.
_TITLE_PLACE = re.compile(r"^(?P<title>\S.*?)\s*(?:[（(](?P<inner>[^（）()]{2,20})[）)]|"
                          r"(?:——|—|－－)\s*(?P<after>[^—－]{2,20}))$")
_TOPIC = re.compile(r"^(?P<title>[^。！？]{2,40})[。！？](?P<rest>.{20,})$")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*(?:年|学年|年度)|[〔［\[]((?:19|20)\d{2})[〕］\]]")

# Table headers, by what the column holds (a header names its column in many ways).
_PLACE_HEADERS = re.compile(r"县|市|区|省|地区|地市|单位|地方|地域|旗|州|盟")
_TITLE_HEADERS = re.compile(r"名称|标题|题目|案例$|主题|项目|典型经验|^经验$")
_TEXT_HEADERS = re.compile(r"做法|内容|简介|经验|成效|情况|举措|措施|描述|说明|摘要|概述")
_SKIP_HEADERS = re.compile(r"^(?:序号|编号|排名|No\.?|#)$", re.I)
# A place column's level, most specific first: 县（市、区） before 设区市 before 省份.
_CITY_HEADERS = re.compile(r"设区市|地级市|地市|市州|市（州）|^市$|城市")
_COUNTY_HEADERS = re.compile(r"县|区|旗")


@dataclass(frozen=True)
class Draft:
    """A case found in a document, before it has an id: its place as written and as resolved,
    where the place was read, its own title, its text and the line it starts on."""

    written: str
    place: Place | None
    place_from: str
    title: str
    text: str
    line: int
    number: int | None = None
    section: int = 0


@dataclass(frozen=True)
class Reading:
    """What the case finder made of a document: its title line, the layout and level it took
    as cases and why, the cases, and what else it found (the lines that are not cases)."""

    title: str | None
    layout: str
    level: int | None
    why: str
    drafts: tuple[Draft, ...]
    outline: Outline
    other: tuple[Block, ...] = ()
    warnings: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()  # the first layout's sections, which name its ids


def reading_of_items(parsed: ParsedText, outline: Outline,
                     within: Sequence[str] = ()) -> Reading:
    """The first layout (numbered items under place headings), read by `corpus.parse`, as a
    reading: each item a case of its section's place."""
    drafts = []
    for index, section in enumerate(parsed.sections):
        place = _resolve(section.name, within)
        drafts.extend(Draft(section.name, place, "heading", "", item.text, item.line,
                            item.seq, index) for item in section.items)
    why = (f"numbered items ('{parsed.item_style}') under place headings "
           f"('{parsed.section_style}'), the layout of the first compilation")
    return Reading(parsed.title, "items", 2, why, tuple(drafts), outline, (),
                   parsed.warnings, parsed.sections)


def read_cases(outline: Outline, *, within: Sequence[str] = (), level: int | None = None,
               place: str | None = None, source: str = "<text>") -> Reading:
    """The cases of a document's outline.

    Args:
        outline: the document, read by `corpus.outline`.
        within: places the document is known to be in (its province), to tell namesakes apart.
        level: take the headings of this outline level as the cases (the report numbers them),
            instead of deciding.
        place: the one place every case is about (a document of one county, say).
        source: the document's name, for messages.

    Raises:
        CorpusError: nothing in the document reads as a case, or `level` names no level.
    """
    hint = _resolve(place, within) if place else None  # unknown: kept as written
    finder = _Finder(outline, tuple(within), source)
    reading = finder.find(level)
    if place:
        reading = _with_place(reading, place, hint)
    return reading


class _Finder:
    """The search for the case level of one outline."""

    def __init__(self, outline: Outline, within: tuple[str, ...], source: str) -> None:
        self.outline = outline
        self.within = within
        self.source = source
        self.title, self.first = _title_of(outline)
        self.title_lines = {block.line for block in _title_blocks(outline, self.first)}

    def find(self, level: int | None) -> Reading:
        rows = self.outline.rows()
        by_rows = self._rows(rows) if rows and level is None else None
        if by_rows is not None:  # the headings are read as if the table were not there
            self.outline = replace(self.outline, blocks=tuple(
                block for block in self.outline.blocks if block.kind != "row"))
        try:
            by_headings = self._by_headings(level)
        except CorpusError:
            if by_rows is None:
                raise
            return by_rows
        if by_rows is None:
            return by_headings
        return _with_table(by_headings, by_rows, rows)

    def _by_headings(self, level: int | None) -> Reading:
        self._place_lines_as_headings()
        roots = self._roots()
        if not roots:
            raise CorpusError(f"{self.source}: no headings or numbered paragraphs, and no table "
                              f"with a header row, found: nothing reads as a case (see the "
                              f"layouts in corpus/data/README.md)")
        if level is not None:
            return self._at_level(roots, level, f"--level {level} was given")
        return self._decide(roots)

    def _place_lines_as_headings(self) -> None:
        """Take the short lines that are a place and a title (`崂山区：打造“家门口”的好学校`),
        each followed by a paragraph, as the headings of their cases: two or more of them under
        topics, any in a document with no other heading. A line that
        follows a bare case number (`典型案例1`) is that case's own heading line, and stays."""
        blocks = list(self.outline.blocks)
        found = [index for index, block in enumerate(blocks) if self._a_place_line(blocks, index)]
        others = any(block.kind == "heading" and block is not self.first for block in blocks)
        if len(found) < (2 if others else 1):
            return
        for index in found:
            blocks[index] = replace(blocks[index], kind="heading", style=PLACE_LINE_STYLE)
        self.outline = replace(self.outline, blocks=tuple(blocks),
                               levels=heading_style_levels(blocks))

    def _a_place_line(self, blocks: list[Block], index: int) -> bool:
        block = blocks[index]
        if block.kind != "paragraph" or block is self.first or len(block.text) > TITLE_CHARS \
                or _SENTENCE_END.search(block.text):
            return False
        before = blocks[index - 1] if index else None
        after = blocks[index + 1] if index + 1 < len(blocks) else None
        if (before is not None and before.kind == "heading" and not before.text) or \
                after is None or after.kind != "paragraph":
            return False
        match = _PLACE_TITLE.match(block.text)
        return match is not None and _is_place_name(match.group("place"), self.within)

    def _roots(self) -> list[Node]:
        """The top-level headings, a title heading's children in its place (it holds the
        whole document). What lies outside every case is listed by `_reading`."""
        _, roots = self.outline.tree()
        if self.first is not None and self.first.kind == "heading":
            for index, root in enumerate(roots):
                if root.head is self.first:
                    roots[index:index + 1] = root.children
                    break
        return roots

    def _decide(self, roots: list[Node]) -> Reading:
        nodes, depth, inherited = roots, 1, {}
        while nodes:
            heads = [node for node in nodes if node.head.style != PART_STYLE]
            if not heads:
                break
            pure = [node for node in heads if self._pure_place(node.head) is not None
                    and node.head.style not in CASE_MARKERS]
            if len(pure) * 2 >= len(heads):
                return self._under_places(heads, depth)
            named = [node for node in heads if self._own_place(node)[2]]
            deeper = [child for node in heads for child in node.children
                      if child.head.style != PART_STYLE]
            if len(named) * 2 >= len(heads) or not self._places_below(deeper):
                style = heads[0].head.style
                why = (f"level {depth} ('{style}'): its headings name places"
                       if len(named) * 2 >= len(heads) else
                       f"level {depth} ('{style}'): no heading at or below it names a place, "
                       f"so its headings are the cases, placed by their text")
                return self._cases_at(heads, depth, why, inherited)
            for node in heads:  # a topic level: its headings stay with the cases under it
                for child in node.children:
                    inherited[id(child)] = node
            nodes, depth = deeper, depth + 1
        raise CorpusError(f"{self.source}: no level of headings holds cases")

    def _places_below(self, nodes: list[Node]) -> bool:
        """Whether some level from `nodes` down has headings that are or name places (a
        topic level above cases), rather than points inside cases (`1.` `2.` of a case)."""
        while nodes:
            heads = [node for node in nodes if node.head.style != PART_STYLE]
            placed = sum(1 for node in heads if self._pure_place(node.head) is not None
                         or self._own_place(node)[0] is not None)
            if heads and placed * 2 >= len(heads):
                return True
            nodes = [child for node in heads for child in node.children]
        return False

    def _at_level(self, roots: list[Node], level: int, why: str) -> Reading:
        nodes, depth = roots, 1
        while depth < level:
            nodes = [child for node in nodes for child in node.children]
            depth += 1
        nodes = [node for node in nodes if node.head.style != PART_STYLE]
        if not nodes:
            raise CorpusError(f"{self.source}: --level {level}: the outline has no headings "
                              f"at that level (see the outline in the dry run)")
        return self._cases_at(nodes, level, why, {})

    # Layouts

    def _under_places(self, places: list[Node], depth: int) -> Reading:
        """Place headings: the cases are the headings under each (items, titled blocks), or
        its paragraphs when it has none."""
        drafts, held, cases = [], [], []
        places = [node for node in places if self._pure_place(node.head) is not None]
        layout = "items" if any(node.children for node in places) else "paragraphs"
        for node in places:
            written = node.head.text.strip()
            resolved = self._pure_place(node.head)
            children = [child for child in node.children if child.head.style != PART_STYLE]
            if not children:
                for block in node.body:
                    drafts.append(Draft(written, resolved, "heading", "", block.text, block.line))
                    held.append(block)
                continue
            cases.extend(children)
            held.extend(children)
            for child in children:
                title, text = _title_and_text(child)
                own, _, own_written = self._title_place(child) if title else (None, "", "")
                if own is not None and _inside(own, resolved):  # 青岛市 › 崂山区：…
                    drafts.append(Draft(own_written, own, "heading", title, text,
                                        child.head.line, child.head.number))
                else:
                    drafts.append(Draft(written, resolved, "heading", title, text,
                                        child.head.line, child.head.number))
        style = places[0].head.style
        why = (f"level {depth} ('{style}') holds places ({len(places)}), and the cases are "
               f"{'their paragraphs' if layout == 'paragraphs' else 'the headings under them'}")
        doubts = [*self._misnumbered(places), *self._misnumbered(cases, within_parent=True),
                  *self._cases_inside(cases, drafts if len(cases) == len(drafts) else [])]
        return self._reading(layout, depth + (layout != "paragraphs"), why, drafts, held,
                             doubts)

    def _cases_at(self, nodes: list[Node], depth: int, why: str,
                  inherited: dict[int, Node]) -> Reading:
        drafts = []
        for node in nodes:
            title, text = _title_and_text(node)
            place, source, written = self._own_place(node)
            if place is None and not written:  # a heading's namesake place stays as written
                place, source, written = self._body_place(node)
            topic = inherited.get(id(node))
            if place is None and topic is not None:
                place, source, written = self._own_place(topic)
            drafts.append(Draft(written, place, source, title, text, node.head.line,
                                node.head.number))
        layout = "titled" if any(d.title for d in drafts) else "items"
        doubts = [*self._misnumbered(nodes, within_parent=True),
                  *self._cases_inside(nodes, drafts)]
        return self._reading(layout, depth, why, drafts, list(nodes), doubts)

    def _rows(self, rows: list[Block]) -> Reading | None:
        """One case a row, when a table's header names a place, title or text column."""
        drafts, held = [], []
        for row in rows:
            columns = _columns(row.cells)
            if columns is None:
                continue
            place_cols, title_col, text_cols = columns
            cells = dict(row.cells)
            text = "\n".join(cells[name] for name in text_cols if cells[name])
            title = cells.get(title_col, "") if title_col else ""
            written = next((cells[name].strip() for name in place_cols if cells[name].strip()),
                           "")
            broader = tuple(cells[name].strip() for name in place_cols if cells[name].strip())
            place = self._resolve_cell(written, broader[1:]) if written else None
            source = "table" if written else ""
            if not written:
                place, source, written = self._text_place(f"{title}\n{text}")
            if not (text or title):
                continue
            drafts.append(Draft(written, place, source, title, text or title, row.line))
            held.append(row)
        if not drafts:
            return None
        why = f"a table's rows ({len(drafts)}), its header naming the columns"
        return self._reading("rows", None, why, drafts, held)

    def _reading(self, layout: str, level: int | None, why: str, drafts: list[Draft],
                 held: Sequence[Node | Block], doubts: Sequence[str] = ()) -> Reading:
        """The reading, with every block that is neither the title, part of a case, nor a
        heading above cases listed as not a case (nothing is dropped silently)."""
        if not drafts:
            raise CorpusError(f"{self.source}: {why}, but none has any text")
        consumed = {id(block) for item in held
                    for block in (item.blocks() if isinstance(item, Node) else (item,))}
        above = self._headings_above(consumed)
        other = [block for block in self.outline.blocks
                 if id(block) not in consumed and id(block) not in above
                 and block is not self.first and block.line not in self.title_lines]
        return Reading(self.title, layout, level, why, tuple(drafts), self.outline,
                       tuple(other), (*doubts, *_warnings(drafts, other)))

    def _headings_above(self, consumed: set[int]) -> set[int]:
        """The headings (places, topics) that hold a consumed block somewhere below them."""
        _, roots = self.outline.tree()
        above: set[int] = set()

        def holds(node: Node) -> bool:
            found = any(id(block) in consumed for block in node.body)
            for child in node.children:
                found = holds(child) or found
            if found:
                above.add(id(node.head))
            return found or id(node.head) in consumed

        for root in roots:
            holds(root)
        return above

    # Doubts: what a person should look at before adding the document

    def _misnumbered(self, nodes: Sequence[Node], within_parent: bool = False) -> list[str]:
        """A heading whose number does not follow the one before it of the same style (a
        skipped or repeated number: a lost case, or two documents run together?)."""
        doubts, last = [], {}
        parents = self._parents() if within_parent else {}
        for node in nodes:
            if node.head.number is None:
                continue
            key = (node.head.style, parents.get(id(node.head)))
            expected = last.get(key, node.head.number - 1) + 1
            if node.head.number != expected and node.head.number != 1:
                doubts.append(f"line {node.head.line}: '{shortened(node.head.raw, 30)}' is "
                              f"numbered {node.head.number} after {expected - 1}: a case "
                              f"missing, or two lists run together?")
            last[key] = node.head.number
        return doubts

    def _parents(self) -> dict[int, int]:
        """The parent heading of every heading (by block identity; 0 for the top level)."""
        _, roots = self.outline.tree()
        parents: dict[int, int] = {}
        stack = [(root, 0) for root in roots]
        while stack:
            node, parent = stack.pop()
            parents[id(node.head)] = parent
            stack.extend((child, id(node.head)) for child in node.children)
        return parents

    def _cases_inside(self, nodes: Sequence[Node], drafts: Sequence[Draft]) -> list[str]:
        """A heading inside a case that names a place of its own (`【案例3】保定市涿州市：…`
        under 石家庄市's item 2): another case, read into this one?"""
        doubts = []
        for node, draft in zip(nodes, drafts, strict=False):
            for inner in _descendants(node):
                if inner.head.style == PART_STYLE:
                    continue
                found, _, written = self._title_place(inner)
                if found is not None and (draft.place is None or not (
                        _inside(found, draft.place) or _inside(draft.place, found))):
                    doubts.append(f"line {inner.head.line}: '{shortened(inner.head.raw, 30)}' "
                                  f"names {written} inside the case of line {draft.line} "
                                  f"({draft.written or 'no place'}): a case of its own? "
                                  f"Check the layout, or choose the level with --level")
        return doubts

    # Places

    def _resolve_cell(self, written: str, broader: tuple[str, ...] = ()) -> Place | None:
        """A place column's cell, with the row's broader place cells (设区市) as hints."""
        within = (*self.within, *broader)
        return _resolve(written, within) or (
            hit.place if (hit := _about(written, within)) else None)

    def _pure_place(self, head: Block) -> Place | None:
        """The place a heading is, when the heading is nothing but a place name."""
        text = head.text.strip().rstrip("：:。")
        if not text or len(text) > 20 or _SENTENCE_END.search(text):
            return None
        return _resolve(text, self.within)

    def _title_place(self, node: Node) -> tuple[Place | None, str, str]:
        """The place a case's title names (`崂山区：…`, `浙江省以…`), where from, as written."""
        head = _head_line(node)
        match = _PLACE_TITLE.match(head) if len(head) <= TITLE_CHARS else None
        if match is not None and (place := _resolve(match.group("place"), self.within)):
            return place, "heading", match.group("place")
        if match is not None and gazetteer().candidates(match.group("place").strip()):
            return None, "heading", match.group("place")  # 鼓楼区 of which city? kept as written
        if (hit := self._place_in(head)) is not None and hit.start <= 2:
            return hit.place, "heading", hit.written
        if (found := _place_after_title(head, self.within)) is not None:
            return found[0], "heading", found[1]
        return None, "", ""

    def _own_place(self, node: Node) -> tuple[Place | None, str, str]:
        """The place a case's own heading names: its title's, or, when the heading is itself
        a paragraph (`（一）加强师资。青岛市…`), the first place it names."""
        found = self._title_place(node)
        head = _head_line(node)
        if found[0] is None and (len(head) > TITLE_CHARS or _SENTENCE_END.search(head[:-1])):
            return self._text_place(head)
        return found

    def _body_place(self, node: Node) -> tuple[Place | None, str, str]:
        text = "\n".join(block.text for block in node.blocks())
        return self._text_place(text)

    def _text_place(self, text: str) -> tuple[Place | None, str, str]:
        hit = self._place_in(text)
        return (hit.place, "text", hit.written) if hit else (None, "", "")

    def _place_in(self, text: str) -> _Hit | None:
        """The place a text is about, among the document's (see `_about`)."""
        return _about(text, self.within, inside=self.within)


@dataclass(frozen=True)
class _Hit:
    place: Place
    start: int
    written: str


def _with_table(by_headings: Reading, by_rows: Reading, rows: list[Block]) -> Reading:
    """A document whose headings and table both read as cases. When the table lists the
    same cases (the same titles or places: a summary after the full cases), the reading that
    holds their text wins and the other's lines are listed as not cases; when it lists
    others, the document has both kinds of case."""
    def keys(reading: Reading) -> set[str]:  # titles, or places for untitled cases
        return {d.title or d.written for d in reading.drafts if d.title or d.written}

    shared = keys(by_headings) & keys(by_rows)
    if len(shared) * 2 >= len(by_rows.drafts):
        if _text_held(by_rows) > _text_held(by_headings):
            return by_rows
        other = sorted([*by_headings.other, *rows], key=lambda block: block.line)
        return replace(by_headings, other=tuple(other), warnings=(
            f"a table of {len(rows)} rows repeats the cases: read as not cases",
            *by_headings.warnings))
    held = [draft for draft in by_headings.drafts  # not a bare heading above the table
            if len(draft.text) > TITLE_CHARS or _SENTENCE_END.search(draft.text)]
    if not held:
        return by_rows
    drafts = tuple(sorted([*held, *by_rows.drafts], key=lambda d: d.line))
    return replace(by_headings, layout=f"{by_headings.layout} and rows", drafts=drafts,
                   why=f"{by_headings.why}; and {by_rows.why}",
                   warnings=(*by_headings.warnings, *by_rows.warnings))


def _text_held(reading: Reading) -> int:
    """How much of a document's text a reading holds in its cases."""
    return sum(len(draft.text) for draft in reading.drafts)


def _descendants(node: Node) -> list[Node]:
    found = list(node.children)
    for inner in found:  # grows as it goes: every heading below, nearest first
        found.extend(inner.children)
    return found


def _resolve(name: str | None, within: Sequence[str]) -> Place | None:
    if not name:
        return None
    return gazetteer().resolve(name, within=within)


MENTION_WINDOW = 2000  # a case names its place early; the rest of a long text is not read


def _about(text: str, within: Sequence[str], inside: Sequence[str] = ()) -> _Hit | None:
    """The place a text is about: the first place it names (within the `inside` places, when
    given: `学习借鉴浙江省经验，崂山区…` in a 山东 document is about 崂山区), made as specific
    as the names right after it allow (`烟台市福山区` → 福山区, `长春市朝阳区` → 长春's 朝阳区)."""
    text = text[:MENTION_WINDOW]
    mentions = gazetteer().mentions_in(text, within=within)
    first = next((m for m in mentions if not inside
                  or any(name in m.place.chain for name in inside)), None)
    if first is None:
        return None
    best, end = first.place, first.end
    while end < len(text):
        after = text[end:end + 16]
        found = next(iter(gazetteer().mentions_in(after, within=(*within, best.name))), None)
        if found is None or found.start > 1 or found.place.chain[:len(best.chain)] != best.chain \
                or found.place == best:
            break
        best, end = found.place, end + found.end
    return _Hit(best, first.start, text[first.start:end])


def _place_after_title(head: str, within: Sequence[str]) -> tuple[Place | None, str,
                                                                  str] | None:
    """(place, as written, title) of a heading that names its place last: in brackets
    (`…（胶州）`) or after a dash (`…——崂山区教育局`)."""
    match = _TITLE_PLACE.match(head) if len(head) <= TITLE_CHARS else None
    if match is None:
        return None
    written = (match.group("inner") or match.group("after") or "").strip()
    place = _resolve(written, within) or gazetteer().resolve(f"{written}市", within=within)
    if place is None and not gazetteer().candidates(written):
        return None
    return place, written, match.group("title")


def _is_place_name(text: str, within: Sequence[str] = ()) -> bool:
    """`崂山区`, `临沂市兰山区`, `朝阳区` (a name of several places): a text that is nothing but
    place names."""
    if _resolve(text, within) is not None or gazetteer().candidates(text.strip()):
        return True
    hit = _about(text, within)
    return hit is not None and hit.start == 0 and hit.written == text


def _inside(place: Place, container: Place | None) -> bool:
    return container is not None and container.name in place.chain


def _head_line(node: Node) -> str:
    """A case's heading: its own text, or the first line under it when it has none
    (`典型案例1` on a line of its own, then `XX县：<title>`)."""
    if node.head.text:
        return node.head.text
    first = node.body[0] if node.body else None
    return first.text if first is not None and len(first.text) <= TITLE_CHARS else ""


def _title_and_text(node: Node) -> tuple[str, str]:
    """A case's own title and its text. A short heading is a title and the text is what lies
    under it; a heading that is itself a paragraph is text, and a first sentence short
    enough to be a sub-topic (`（一）加强师资。…`) is its title."""
    head = node.head.text
    lines = [block.raw or block.text for block in node.blocks()][1:]  # inner numbers kept
    if not head and node.body and len(node.body[0].text) <= TITLE_CHARS:
        head, lines = node.body[0].text, lines[1:]
    title_like = head and len(head) <= TITLE_CHARS and not _SENTENCE_END.search(head)
    if title_like and lines and _is_place_name(head.strip()):
        return "", "\n".join(lines)  # `案例一　崂山区`: a place, and no title
    if title_like and lines:
        title = head
        if (match := _PLACE_TITLE.match(head)) is not None and _is_place_name(
                match.group("place")):
            title = match.group("title")
        elif (found := _place_after_title(head, ())) is not None:
            title = found[2]
        return title.rstrip("。"), "\n".join(lines)
    if (match := _TOPIC.match(head)) is not None:
        return match.group("title"), "\n".join([head, *lines])
    return "", "\n".join([head, *lines]) if head else "\n".join(lines)


def _columns(cells: tuple[tuple[str, str], ...]) -> tuple[list[str], str | None,
                                                          list[str]] | None:
    """The place columns (most specific first), the title column and the text columns of a
    table row's header."""
    names = [name for name, _ in cells if not _SKIP_HEADERS.match(name.strip())]
    places = sorted((n for n in names if _PLACE_HEADERS.search(n) and len(n) <= 10
                     and not _TEXT_HEADERS.search(n) and not _TITLE_HEADERS.search(n)),
                    key=_place_column_rank)
    title = next((n for n in names if n not in places and _TITLE_HEADERS.search(n)), None)
    texts = [n for n in names if n not in places and n != title and _TEXT_HEADERS.search(n)]
    if not texts:
        texts = [n for n in names if n not in places and n != title]
    if not texts and not title:
        return None
    return places, title, texts


def _place_column_rank(name: str) -> int:
    """0 for a county column, 1 a city's, 2 a province's or another's (单位)."""
    if "省" in name:  # 省（区、市） names provinces, whatever else it holds
        return 2
    if _CITY_HEADERS.search(name):
        return 1
    return 0 if _COUNTY_HEADERS.search(name) else 2


def table_columns(rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """A table's column names and its data rows: the first row when it is a header (short
    cells, one naming what a column holds), else names given by what each column holds (a
    column of places, a column of numbers, short titles, long texts)."""
    first = [cell.replace("\n", "").strip() for cell in rows[0]]
    header_words = (_PLACE_HEADERS, _TITLE_HEADERS, _TEXT_HEADERS, _SKIP_HEADERS)
    if all(len(cell) <= 16 and not cell.isdecimal() and not _is_place_name(cell)
           for cell in first) and any(
            any(words.search(cell) for words in header_words) for cell in first if cell):
        return first, rows[1:]
    width = max(len(row) for row in rows)
    names: list[str] = []
    for index in range(width):
        filled = [row[index].strip() for row in rows if index < len(row) and row[index].strip()]
        mean = sum(map(len, filled)) / max(len(filled), 1)
        if filled and all(cell.isdecimal() for cell in filled):
            names.append("序号")
        elif filled and sum(_is_place_name(cell) for cell in filled) * 2 >= len(filled):
            names.append("地区" if "地区" not in names else f"地区{index + 1}")
        elif mean <= 30 and "名称" not in names:
            names.append("名称")
        else:
            names.append(f"内容{index + 1}")
    return names, rows


_TITLE_WORDS = re.compile(r"案例|经验|做法|汇编|典型|材料")
_NOT_TITLE = re.compile(r"^关于|通知$|的函$|^各.{1,12}[:：]$|^附件|^(?:主送|抄送)")


def _title_of(outline: Outline) -> tuple[str | None, Block | None]:
    """The document's title line, and its block: among the paragraphs before the first
    heading, the first that reads as a compilation's title (`2022年全省…典型案例`, not the
    letterhead or `关于印发…的通知` of a notice above it), else the first of them; or a first
    heading of a style used once (a Markdown `#`, a Heading 1) or heading nothing."""
    blocks = outline.blocks
    if not blocks:
        return None, None
    first = blocks[0]
    if first.kind == "heading":
        same_style = sum(1 for block in blocks if block.style == first.style)
        heads_nothing = len(blocks) > 1 and blocks[1].kind == "heading" and \
            blocks[1].style == first.style  # a bold title above bold case titles
        reads_as_title = _TITLE_WORDS.search(first.text) and not _PLACE_TITLE.match(first.text)
        if len(first.text) <= 100 and first.style.startswith("h") and (
                same_style == 1 or heads_nothing or reads_as_title):
            return first.text, first
        return None, None
    leading = []
    for block in blocks[:20]:
        if block.kind != "paragraph":
            break
        leading.append(block)
    titled = [block for block in leading if len(block.text) <= 100
              and not _SENTENCE_END.search(block.text) and _TITLE_WORDS.search(block.text)
              and not _NOT_TITLE.search(block.text)]
    chosen = titled[0] if titled else first if first.kind == "paragraph" else None
    if chosen is None or len(chosen.text) > 100:
        return None, None
    return "".join(block.text for block in _title_blocks(outline, chosen)), chosen


def _title_blocks(outline: Outline, chosen: Block | None) -> list[Block]:
    """The lines of a title wrapped over two (`2022年河南省深化教育领域综合改革` /
    `典型案例汇编`): the chosen line, and the short line right above it (no blank line between)
    when that ends without punctuation and is not a letterhead or a notice's line."""
    if chosen is None or chosen.kind != "paragraph":
        return [chosen] if chosen is not None else []
    index = outline.blocks.index(chosen)
    before = outline.blocks[index - 1] if index else None
    if (before is not None and before.kind == "paragraph" and before.line == chosen.line - 1
            and len(before.text) <= 40 and not _SENTENCE_END.search(before.text)
            and not _NOT_TITLE.search(before.text) and not re.search(r"[，。：:、]$", before.text)
            and not _TITLE_WORDS.search(before.text)):
        return [before, chosen]
    return [chosen]


def _with_place(reading: Reading, written: str, place: Place | None) -> Reading:
    drafts = tuple(Draft(written, place, "option", d.title, d.text, d.line, d.number)
                   for d in reading.drafts)
    return Reading(reading.title, reading.layout, reading.level, reading.why, drafts,
                   reading.outline, reading.other, tuple(
                       w for w in reading.warnings if "no place" not in w))


def _warnings(drafts: Sequence[Draft], other: Sequence[Block]) -> list[str]:
    warnings = []
    for draft in drafts:
        if not draft.written:
            warnings.append(f"line {draft.line}: no place found for the case "
                            f"{(draft.title or draft.text)[:20]!r}; give one with --place, or "
                            f"name it in the case's heading")
        if len(draft.text) < SHORT_CASE:
            warnings.append(f"line {draft.line}: a case of only {len(draft.text)} characters "
                            f"(a heading taken for a case?)")
        if len(draft.text) > LONG_CASE:
            warnings.append(f"line {draft.line}: a case of {len(draft.text)} characters "
                            f"(several cases read as one? try --level)")
    numbered = Counter((d.written, d.number) for d in drafts if d.number is not None)
    for (written, number), count in numbered.items():
        if count > 1:
            warnings.append(f"{count} cases of {written or '(no place)'} are numbered {number}")
    if other:
        warnings.append(f"{len(other)} lines are not part of any case (listed above)")
    return warnings


def year_in(title: str | None) -> int | None:
    """The year a title line names (`2022年全省…典型案例` → 2022)."""
    match = _YEAR.search(title or "")
    return int(match.group(1) or match.group(2)) if match else None


def province_in(title: str | None) -> str | None:
    """The province a title line names (`山东省2022年…` → 山东省), if it names one."""
    if not title:
        return None
    hit = _about(title, ())
    return hit.place.chain[0] if hit is not None else None

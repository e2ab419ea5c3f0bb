"""Reading Word (.docx) documents as the parser's text: one paragraph a line, with the numbers
Word draws itself written out.

Government documents are often numbered by Word, not typed: a paragraph carries `w:numPr`
(directly or through its style, `List Number`, a numbered `Heading 1`) and Word draws `一、`
or `1.` from `numbering.xml`. Those numbers are not in the paragraph's text, so they are
rendered here (`chineseCounting`, `decimal`, `decimalEnclosedCircle`, … with the level's
`lvlText`) the way Word counts them. Headings in Heading styles with no number at all become
numbered sections too. The file is checked before it is parsed: a .docx is a zip archive, and
its members' total size and count are capped so that a zip bomb is refused, not unpacked.

A crafted or damaged file is refused with a `CorpusError` that says what to fix, never read
forever: every chain of references (a style's "based on", a list style's definition) is
checked once for a loop and resolved once per style, and list numbers are capped.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from corpus.errors import CorpusError
from corpus.parse import ITEM_STYLES, SECTION_STYLES, chinese_ordinal
from corpus.text import clean_text, cleaning_notes

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_DOCX_BYTES = 50 * 1024 * 1024        # the file as received
MAX_DOCX_UNPACKED = 200 * 1024 * 1024    # all members, unpacked
MAX_DOCX_MEMBERS = 2000
# Word's own dialogs (Set Numbering Value, Define New Number Format) take start values from 0
# to 32767, a signed 16-bit count: a larger or negative value is a crafted or damaged file,
# and a list counting past it has more items than any document this project reads.
MAX_COUNT = 32767
# The longest number drawn before a paragraph. Real ones are a few characters ("（十二）",
# "XXXVIII."); letters repeat after z (aa, bbb…), so without a cap one paragraph numbered
# 2**31 - 1 in upperLetter becomes 82 million characters. 100 letters is the count 2600.
MAX_LABEL = 100
MAX_LEVEL = 8  # Word's list levels are 0 to 8
_RENUMBER = ("open the document in Word, set the list's numbering again (right-click a "
             "number, then Set Numbering Value), and save it again")
_HEADING = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_LEGAL = dict(zip("一二三四五六七八九十百", "壹贰叁肆伍陆柒捌玖拾佰", strict=True))


def check_docx_archive(path: Path) -> None:
    """Refuse a .docx whose archive is too large, holds too many members, or unpacks to too
    much, before anything is decompressed (the sizes are the archive's own declarations, which
    Python's zip reader enforces while reading).

    Raises:
        CorpusError: not a zip archive, or over a cap (saying which, and what to do).
    """
    size = path.stat().st_size
    if size > MAX_DOCX_BYTES:
        raise CorpusError(f"{path.name}: {size / 2**20:.0f} MB is more than the "
                          f"{MAX_DOCX_BYTES // 2**20} MB a .docx may have; save the text "
                          f"alone (without images) as .docx or .txt")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CorpusError(f"{path.name}: not a readable Word (.docx) document ({exc}); open it "
                          f"in Word and save it again as .docx") from exc
    if len(members) > MAX_DOCX_MEMBERS:
        raise CorpusError(f"{path.name}: the .docx holds {len(members)} parts, more than "
                          f"{MAX_DOCX_MEMBERS}; save the text alone as .docx or .txt")
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_DOCX_UNPACKED:
        raise CorpusError(f"{path.name}: the .docx unpacks to {unpacked / 2**20:.0f} MB, more "
                          f"than {MAX_DOCX_UNPACKED // 2**20} MB (a zip bomb, or many images); "
                          f"save the text alone as .docx or .txt")


def format_number(value: int, fmt: str) -> str:
    """A counter drawn in one of Word's number formats (`w:numFmt`).

    Raises:
        CorpusError: a count beyond MAX_COUNT, or one drawn longer than MAX_LABEL.
    """
    if abs(value) > MAX_COUNT:
        raise CorpusError(f"the number {value} is more than {MAX_COUNT}, the largest Word "
                          f"sets")
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting",
               "taiwaneseCounting", "taiwaneseCountingThousand", "ideographDigital"):
        return chinese_ordinal(value)
    if fmt == "chineseLegalSimplified":
        return "".join(_LEGAL.get(char, char) for char in chinese_ordinal(value))
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= value <= 20:
        return chr(0x2460 + value - 1)
    if fmt == "decimalEnclosedParen":
        return f"({value})"
    if fmt == "decimalFullWidth":
        return "".join(chr(ord(d) + 0xFEE0) if d.isdigit() else d for d in str(value))
    if fmt == "ideographTraditional" and 1 <= value <= 10:
        return _STEMS[value - 1]
    if fmt in ("upperLetter", "lowerLetter"):
        return _letters(value, upper=fmt == "upperLetter")
    if fmt in ("upperRoman", "lowerRoman"):
        roman = _roman(value)
        return roman if fmt == "upperRoman" else roman.lower()
    if fmt in ("bullet", "none"):
        return ""
    return str(value)  # decimal, decimalZero and anything unknown


def _letters(value: int, *, upper: bool) -> str:
    """Word's letters: a…z, then aa…zz, aaa…; the length is checked before it is built."""
    repeat = (value - 1) // 26 + 1
    if repeat > MAX_LABEL:
        raise CorpusError(f"the number {value} drawn in letters is {repeat} letters, more "
                          f"than {MAX_LABEL} characters")
    letters = _LETTERS[(value - 1) % 26] * repeat
    return letters.upper() if upper else letters


_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def _roman(value: int) -> str:
    parts = []
    for number, letters in _ROMAN:
        count, value = divmod(value, number)
        parts.append(letters * count)
    return "".join(parts)


def _whole(raw: str | None, what: str, high: int, where: str) -> int:
    """A count or level as Word writes it: digits only, 0..high; else a CorpusError."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 9 and int(text) <= high):
        raise CorpusError(f"{where}: {what} {raw!r} is not a whole number from 0 to {high}; "
                          f"{_RENUMBER}")
    return int(text)


def _start(raw: str | None, where: str) -> int:
    return _whole(raw, "start value", MAX_COUNT, where)


def _ilvl(raw: str | None, where: str) -> int:
    return _whole(raw, "level", MAX_LEVEL, where)


class StyleSheet:
    """styles.xml: the styles by id, every "based on" chain checked once for a loop when the
    sheet is read, and what a paragraph inherits through its chain (a Heading N name, a list)
    resolved once per style, so no chain is walked twice."""

    def __init__(self, root) -> None:
        self.styles: dict[str, object] = {}
        self.default: str | None = None
        for style in root.iterchildren(f"{W}style") if root is not None else ():
            style_id = style.get(f"{W}styleId")
            if style_id is None:
                continue
            self.styles.setdefault(style_id, style)  # the first of an id, as python-docx reads
            if _is_paragraph_style(style) and style.get(f"{W}default") in ("1", "true", "on"):
                self.default = style_id  # the last default, as the standard says
        self._headings: dict[str, int | None] = {}
        self._numbered: dict[str, str | None] = {}
        self._check_loops()

    def name(self, style_id: str) -> str:
        """The name Word shows (the id, for a style without one), fit for a message."""
        return clean_text(self._own_name(style_id) or style_id)[0]

    def _own_name(self, style_id: str) -> str | None:
        node = self.styles[style_id].find(f"{W}name")
        return node.get(f"{W}val") if node is not None else None

    def base(self, style_id: str) -> str | None:
        node = self.styles[style_id].find(f"{W}basedOn")
        return node.get(f"{W}val") if node is not None else None

    def num_pr(self, style_id: str) -> tuple[str | None, int | None]:
        """(numId, ilvl) in the style's own paragraph properties."""
        return _num_pr(self.styles[style_id].find(f"{W}pPr"),
                       f'style "{self.name(style_id)}"')

    def paragraph_style(self, p) -> str | None:
        """The id of a `w:p`'s style: its own if that is a paragraph style, else the default."""
        style_id = p.style
        if style_id in self.styles and _is_paragraph_style(self.styles[style_id]):
            return style_id
        return self.default

    def heading_level(self, style_id: str | None) -> int | None:
        """N if the style, or one it is based on, is named Heading N."""
        def own(sid: str) -> int | None:
            match = _HEADING.match(self._own_name(sid) or "")
            return int(match.group(1)) if match else None

        return self._first(style_id, own, self._headings)

    def numbered_style(self, style_id: str | None) -> str | None:
        """The first style of the chain that numbers its paragraphs (has a `w:numId`)."""
        return self._first(style_id, lambda sid: sid if self.num_pr(sid)[0] is not None
                           else None, self._numbered)

    def _first(self, style_id, own, memo: dict):
        """`own(style)` of the first style up the chain that has one, remembered for every
        style on the way (the chains have no loops: they were checked when read)."""
        path, value = [], None
        while style_id in self.styles:
            if style_id in memo:
                value = memo[style_id]
                break
            path.append(style_id)
            if (value := own(style_id)) is not None:
                break
            style_id = self.base(style_id)
        for passed in path:
            memo[passed] = value
        return value

    def _check_loops(self) -> None:
        """Refuse a paragraph style whose "based on" chain comes back to a style on it."""
        done: set[str] = set()
        for start, style in self.styles.items():
            if not _is_paragraph_style(style):
                continue
            path: dict[str, None] = {}
            style_id: str | None = start
            while style_id in self.styles and style_id not in done:
                if style_id in path:
                    raise self._loop(list(path)[list(path).index(style_id):])
                path[style_id] = None
                style_id = self.base(style_id)
            done.update(path)

    def _loop(self, cycle: list[str]) -> CorpusError:
        names = [f'"{self.name(style_id)}"' for style_id in cycle]
        through = f" through {' and '.join(names[1:])}" if len(names) > 1 else ""
        return CorpusError(
            f"style {names[0]} is based on itself{through} ({' → '.join([*names, names[0]])});"
            f" in Word, open the Styles pane, choose Modify on {names[0]}, set \"Style based "
            f"on\" to another style (such as Normal), and save the document again")


def _is_paragraph_style(style) -> bool:
    return style.get(f"{W}type") == "paragraph"


@dataclass(frozen=True)
class Level:
    """One level of a numbering definition: where it starts, how it is drawn."""

    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."


@dataclass
class Numbering:
    """numbering.xml: the abstract definitions, the instances paragraphs point at, and the
    counters Word keeps while it draws the document (by list, then by level)."""

    abstract: dict[str, dict[int, Level]] = field(default_factory=dict)
    instances: dict[str, tuple[str, dict[int, int]]] = field(default_factory=dict)
    style_levels: dict[str, tuple[str, int]] = field(default_factory=dict)
    counters: dict[str, dict[int, int]] = field(default_factory=dict)
    started: set[str] = field(default_factory=set)

    @classmethod
    def from_element(cls, root, styles: StyleSheet | None = None) -> Numbering:
        """Read numbering.xml (None: a document without lists).

        Raises:
            CorpusError: a start value or level Word never writes, a number format longer
                than MAX_LABEL, or a list style whose definition leads back to itself.
        """
        numbering = cls()
        if root is None:
            return numbering
        links = {}
        for abstract in root.iter(f"{W}abstractNum"):
            abstract_id = abstract.get(f"{W}abstractNumId")
            where = f"numbering definition {abstract_id}"
            levels = {}
            for lvl in abstract.iter(f"{W}lvl"):
                ilvl = _ilvl(lvl.get(f"{W}ilvl", "0"), where)
                levels[ilvl] = _level(lvl, f"{where}, level {ilvl}")
                style = lvl.find(f"{W}pStyle")
                if style is not None:
                    numbering.style_levels[style.get(f"{W}val")] = (abstract_id, ilvl)
            numbering.abstract[abstract_id] = levels
            link = abstract.find(f"{W}numStyleLink")
            if link is not None and not levels:
                links[abstract_id] = link.get(f"{W}val")
        for num in root.iter(f"{W}num"):
            ref = num.find(f"{W}abstractNumId")
            where = f"numbering instance {num.get(f'{W}numId')}"
            overrides = {}
            for override in num.iter(f"{W}lvlOverride"):
                ilvl = _ilvl(override.get(f"{W}ilvl", "0"), where)
                start = override.find(f"{W}startOverride")
                if start is not None:
                    overrides[ilvl] = _start(start.get(f"{W}val"), f"{where}, level {ilvl}")
            if ref is not None:
                numbering.instances[num.get(f"{W}numId")] = (ref.get(f"{W}val"), overrides)
        if styles is not None:
            numbering._follow_list_styles(links, styles)
        return numbering

    def _follow_list_styles(self, links: dict[str, str], styles: StyleSheet) -> None:
        """Give a definition that only names a list style (`w:numStyleLink`) the levels of
        the definition that style numbers with; refuse a chain of them that loops."""
        resolved: set[str] = set()
        for abstract_id in links:
            path, current = {abstract_id: None}, abstract_id
            while current in links and current not in resolved and not self.abstract[current]:
                style_id = links[current]
                num_id = styles.num_pr(style_id)[0] if style_id in styles.styles else None
                target = self.instances.get(num_id or "", (None, {}))[0]
                if target is None or target not in self.abstract:
                    break
                if target in path:
                    raise CorpusError(
                        f'the list style "{styles.name(style_id)}" is defined by a list that '
                        f'uses the same style (numbering definitions '
                        f'{" → ".join([*path, target])}); in Word, define the list style again '
                        f'(Multilevel List, then Define New List Style) and save the document '
                        f'again')
                path[target] = None
                current = target
            for passed in path:
                self.abstract[passed] = self.abstract[current]
            resolved.update(path)

    def fresh(self) -> Numbering:
        """The same definitions with no number drawn yet."""
        return Numbering(self.abstract, self.instances, self.style_levels)

    def draw(self, num_id: str, ilvl: int) -> str:
        """Advance the counter of (num_id, ilvl) and return the number Word draws there.

        Raises:
            CorpusError: the count passes MAX_COUNT or is drawn longer than MAX_LABEL.
        """
        if num_id not in self.instances:
            return ""
        abstract_id, overrides = self.instances[num_id]
        levels = self.abstract.get(abstract_id, {})
        level = levels.get(ilvl, Level())
        if level.fmt in ("bullet", "none"):
            return ""
        # Instances of one definition share their counters, unless one restarts them.
        owner = num_id if overrides else f"abstract:{abstract_id}"
        counters = self.counters.setdefault(owner, {})
        if overrides and num_id not in self.started:
            self.started.add(num_id)
            counters.update({lvl: start - 1 for lvl, start in overrides.items()})
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        if counters[ilvl] > MAX_COUNT:
            raise CorpusError(f"list {num_id} (level {ilvl}) counts past {MAX_COUNT}, the "
                              f"largest number Word sets; {_RENUMBER}")
        for deeper in [lvl for lvl in counters if lvl > ilvl]:
            del counters[deeper]
        try:
            label = re.sub(r"%(\d)",
                           lambda m: self._drawn(counters, levels, int(m.group(1)) - 1),
                           level.text)
        except CorpusError as exc:  # a number too long to draw
            raise CorpusError(f"list {num_id} (level {ilvl}): {exc}; {_RENUMBER}") from None
        if len(label) > MAX_LABEL:
            raise CorpusError(f"list {num_id} (level {ilvl}) draws a number of {len(label)} "
                              f"characters, more than {MAX_LABEL}; {_RENUMBER}")
        return label

    @staticmethod
    def _drawn(counters: dict[int, int], levels: dict[int, Level], ilvl: int) -> str:
        level = levels.get(ilvl, Level())
        return format_number(max(counters.get(ilvl, level.start), 0), level.fmt)

    def restart_items(self, except_owner: str | None) -> None:
        """Reset every list's counters but one (a section heading's): items numbered by Word
        count from 1 in each section, as typed numbers do."""
        kept = self.counters.get(except_owner) if except_owner is not None else None
        self.counters = {except_owner: kept} if kept is not None else {}

    def owner_of(self, num_id: str) -> str | None:
        if num_id not in self.instances:
            return None
        abstract_id, overrides = self.instances[num_id]
        return num_id if overrides else f"abstract:{abstract_id}"


def _level(lvl, where: str) -> Level:
    def value(tag: str, default: str) -> str | None:
        node = lvl.find(f"{W}{tag}")
        return node.get(f"{W}val", default) if node is not None else default

    text = value("lvlText", "") or ""
    if len(text) > MAX_LABEL:
        raise CorpusError(f"{where}: the number format {text[:20]!r}… is {len(text)} "
                          f"characters, more than the {MAX_LABEL} a number may have; {_RENUMBER}")
    return Level(start=_start(value("start", "1"), where), fmt=value("numFmt", "decimal"),
                 text=text)


def _num_pr(element, where: str) -> tuple[str | None, int | None]:
    """(numId, ilvl) of a `w:pPr`'s `w:numPr`, each None when absent."""
    if element is None:
        return None, None
    num_pr = element.find(f"{W}numPr")
    if num_pr is None:
        return None, None
    num_id, ilvl = num_pr.find(f"{W}numId"), num_pr.find(f"{W}ilvl")
    return (num_id.get(f"{W}val") if num_id is not None else None,
            _whole(ilvl.get(f"{W}val"), "list level", MAX_LEVEL, where)
            if ilvl is not None else None)


def paragraph_numbering(p, numbering: Numbering, styles: StyleSheet,
                        where: str) -> tuple[str, int] | None:
    """(numId, ilvl) that numbers a paragraph (`w:p`), directly or through its style chain."""
    num_id, ilvl = _num_pr(p.pPr, where)
    if num_id is None:
        style_id = styles.numbered_style(styles.paragraph_style(p))
        if style_id is not None:
            num_id, style_lvl = styles.num_pr(style_id)
            if ilvl is None:
                linked = numbering.style_levels.get(style_id)
                ilvl = style_lvl if style_lvl is not None else (linked[1] if linked else 0)
    if num_id is None or num_id == "0":  # numId 0 switches numbering off
        return None
    return num_id, ilvl or 0


def _is_section(line: str) -> bool:
    return any(pattern.match(line) for pattern in SECTION_STYLES.values())


def _is_item(line: str) -> bool:
    return any(pattern.match(line) for pattern in ITEM_STYLES.values())


@dataclass(frozen=True)
class _Paragraph:
    text: str
    numbered: tuple[str, int] | None
    heading: int | None
    bold: bool = False


# A short paragraph set all in bold is a heading by the look of it (offices often bold case
# titles instead of using a Heading style): it ranks below Word's nine Heading levels.
BOLD_HEADING_LEVEL = 10
BOLD_HEADING_CHARS = 60
_OFF = ("0", "false", "off")


def _all_bold(p) -> bool:
    """Whether every run of a paragraph that holds text is bold by direct formatting."""
    runs = [r for r in p.iter(f"{W}r") if "".join(t.text or "" for t in r.iter(f"{W}t")).strip()]
    if not runs:
        return False
    for run in runs:
        bold = run.find(f"{W}rPr/{W}b")
        if bold is None or (bold.get(f"{W}val") or "1").lower() in _OFF:
            return False
    return True


def docx_paragraphs(document) -> tuple[list[str], list[str], dict[int, int]]:
    """The paragraphs as lines with Word's numbers drawn; notes on what was added; and the
    heading level of each paragraph in a Heading style or set all in bold
    (`BOLD_HEADING_LEVEL`), by line number, for the outline reader.

    Raises:
        CorpusError: a style based on itself, or list numbering Word never writes (naming the
            style, list or paragraph, and what to do in Word).
    """
    styles = StyleSheet(document.styles.element)
    try:
        root = document.part.numbering_part.element
    except (KeyError, NotImplementedError, ValueError):
        root = None
    numbering = Numbering.from_element(root, styles)
    paragraphs, changed = [], Counter()
    for row, paragraph in enumerate(document.paragraphs, start=1):
        # A line break inside a paragraph (w:br) is not a new line: line N stays paragraph N.
        text, removed = clean_text(_joined_breaks(paragraph.text))
        text = text.strip()
        changed.update(removed)
        paragraphs.append(_Paragraph(
            text,
            paragraph_numbering(paragraph._p, numbering, styles, f"paragraph {row}")
            if text else None,
            styles.heading_level(styles.paragraph_style(paragraph._p)) if text else None,
            bool(text) and len(text) <= BOLD_HEADING_CHARS and _all_bold(paragraph._p)))
    # Drawn once as Word draws it, to see which paragraphs head sections; then again with the
    # items' counts starting afresh in every section.
    as_word = _draw(paragraphs, numbering.fresh(), sections=set())
    level = _section_heading_level(paragraphs, as_word)
    sections = {row for row, line in enumerate(as_word) if line and _is_section(line)}
    from_headings = {row for row, p in enumerate(paragraphs)
                     if level is not None and p.heading == level and row not in sections}
    lines = _draw(paragraphs, numbering.fresh(), sections=sections | from_headings)
    for number, row in enumerate(sorted(from_headings), start=1):
        lines[row] = f"{chinese_ordinal(number)}、{lines[row]}"
    drawn = sum(1 for p in paragraphs if p.numbered and p.text)
    notes = cleaning_notes(changed)
    if drawn:
        notes.append(f"drew {drawn} numbers from Word's automatic numbering")
    if _counts_ran_on(as_word, lines, from_headings):
        notes.append("Word's item numbering ran on across sections; items are numbered from "
                     "1 in each section")
    if from_headings:
        notes.append(f"took {len(from_headings)} paragraphs in a Heading style as section "
                     f"headings")
    headings = {row + 1: p.heading if p.heading is not None else BOLD_HEADING_LEVEL
                for row, p in enumerate(paragraphs)
                if (p.heading is not None or p.bold) and row not in from_headings}
    return lines, notes, headings


def _draw(paragraphs: list[_Paragraph], numbering: Numbering, sections: set[int]) -> list[str]:
    lines = []
    for row, paragraph in enumerate(paragraphs):
        owner = numbering.owner_of(paragraph.numbered[0]) if paragraph.numbered else None
        if row in sections:
            numbering.restart_items(owner)
        try:
            prefix = numbering.draw(*paragraph.numbered) if paragraph.numbered else ""
        except CorpusError as exc:
            raise CorpusError(f"paragraph {row + 1}: {exc}") from exc
        lines.append(prefix + paragraph.text)
    return lines


def _counts_ran_on(as_word: list[str], lines: list[str], from_headings: set[int]) -> bool:
    return any(a != b for row, (a, b) in enumerate(zip(as_word, lines, strict=True))
               if row not in from_headings)


def _section_heading_level(paragraphs: list[_Paragraph], lines: list[str]) -> int | None:
    """The Heading level that heads the numbered items (the level most often followed by an
    item), if unnumbered headings head them at all."""
    following: list[str | None] = [None] * len(lines)  # the next line with text, if any
    for row in range(len(lines) - 2, -1, -1):
        following[row] = lines[row + 1] or following[row + 1]
    followed: Counter[int] = Counter()
    for row, paragraph in enumerate(paragraphs):
        if paragraph.heading is None or _is_section(lines[row]):
            continue
        if following[row] is not None and _is_item(following[row]):
            followed[paragraph.heading] += 1
    return followed.most_common(1)[0][0] if followed else None


def read_docx(path: Path) -> tuple[list[str], list[str], dict[int, int],
                                    dict[int, list[list[list[str]]]]]:
    """A Word document's lines (numbers drawn), notes, Heading levels and tables.

    Raises:
        CorpusError: a file over the caps, not a .docx, or one with something to fix in Word.
    """
    try:
        from docx import Document
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise CorpusError("reading .docx needs the package 'python-docx'") from exc
    check_docx_archive(path)
    try:
        document = Document(str(path))
        lines, notes, headings = docx_paragraphs(document)
        tables = docx_tables(document)
    except CorpusError as exc:  # a file Word could open, with something to fix in Word
        raise CorpusError(f"{path.name}: {exc}") from exc
    except Exception as exc:  # a crafted file can fail anywhere in zip, XML or python-docx
        raise CorpusError(f"{path.name}: not a readable Word (.docx) document "
                          f"({type(exc).__name__}: {str(exc)[:200]}); open it in Word and "
                          f"save it again as .docx") from exc
    if tables:
        count = sum(len(group) for group in tables.values())
        rows = sum(len(table) for group in tables.values() for table in group)
        notes.append(f"read {count} table{'s' * (count != 1)} ({rows} rows)")
    return lines, notes, headings, tables


# Tables: a compilation may list its cases as rows (县（市、区） / 案例名称 / 主要做法).
MAX_TABLE_ROWS = 5000
MAX_CELL_CHARS = 20000


def docx_tables(document) -> dict[int, list[list[list[str]]]]:
    """The body's tables, each under the number of the paragraph it follows (0: before all),
    as rows of cell texts: a cell merged across columns is read in its first column, one
    merged down rows in every row it covers."""
    tables: dict[int, list[list[list[str]]]] = {}
    paragraphs = 0
    for child in document.element.body.iterchildren():
        if child.tag == f"{W}p":
            paragraphs += 1
        elif child.tag == f"{W}tbl":
            rows = _table_rows(child)
            if rows:
                tables.setdefault(paragraphs, []).append(rows)
    return tables


def _table_rows(table) -> list[list[str]]:
    rows: list[list[str]] = []
    above: dict[int, str] = {}  # column → the text of a cell merged down from above
    for row in table.iterchildren(f"{W}tr"):
        cells: list[str] = []
        for cell in row.iterchildren(f"{W}tc"):
            merge = cell.find(f"{W}tcPr/{W}vMerge")
            continued = merge is not None and merge.get(f"{W}val") in (None, "continue")
            column = len(cells)
            text = above.get(column, "") if continued else _cell_text(cell)
            if merge is not None and not continued:
                above[column] = text
            elif merge is None:
                above.pop(column, None)
            span = cell.find(f"{W}tcPr/{W}gridSpan")
            cells.append(text)
            if span is not None and (span.get(f"{W}val") or "1").isdecimal():
                cells.extend([""] * (min(int(span.get(f"{W}val")), 64) - 1))
        rows.append(cells)
        if len(rows) > MAX_TABLE_ROWS:
            raise CorpusError(f"a table of more than {MAX_TABLE_ROWS} rows; split the "
                              f"document")
    return rows


_CJK = "\u3000-\u30ff\u3400-\u9fff\uff00-\uffef"


def _joined_breaks(text: str) -> str:
    """A paragraph's line breaks joined: nothing between CJK characters, a space otherwise."""
    if "\n" not in text:
        return text
    text = re.sub(f"(?<=[{_CJK}])\n+(?=[{_CJK}])", "", text)
    return re.sub(r"\s*\n\s*", " ", text)


def _cell_text(cell) -> str:
    """A cell's paragraphs, one a line, cleaned (nested tables are read as their text)."""
    paragraphs = []
    for p in cell.iter(f"{W}p"):
        text = "".join(t.text or "" for t in p.iter(f"{W}t"))
        text, _ = clean_text(text)
        if text.strip():
            paragraphs.append(text.strip())
    return "\n".join(paragraphs)[:MAX_CELL_CHARS]

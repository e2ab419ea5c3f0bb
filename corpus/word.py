"""Reading Word (.docx) documents as the parser's text: one paragraph a line, with the numbers
Word draws itself written out.

Government documents are often numbered by Word, not typed: a paragraph carries `w:numPr`
(directly or through its style, `List Number`, a numbered `Heading 1`) and Word draws `一、`
or `1.` from `numbering.xml`. Those numbers are not in the paragraph's text, so they are
rendered here (`chineseCounting`, `decimal`, `decimalEnclosedCircle`, … with the level's
`lvlText`) the way Word counts them. Headings in Heading styles with no number at all become
numbered sections too. The file is checked before it is parsed: a .docx is a zip archive, and
its members' total size and count are capped so that a zip bomb is refused, not unpacked.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from corpus.errors import CorpusError
from corpus.parse import ITEM_STYLES, SECTION_STYLES, chinese_ordinal

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_DOCX_BYTES = 50 * 1024 * 1024        # the file as received
MAX_DOCX_UNPACKED = 200 * 1024 * 1024    # all members, unpacked
MAX_DOCX_MEMBERS = 2000
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
    """A counter drawn in one of Word's number formats (`w:numFmt`)."""
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
        return "".join(chr(ord(d) + 0xFEE0) for d in str(value))
    if fmt == "ideographTraditional" and 1 <= value <= 10:
        return _STEMS[value - 1]
    if fmt in ("upperLetter", "lowerLetter"):
        letters = _LETTERS[(value - 1) % 26] * ((value - 1) // 26 + 1)
        return letters.upper() if fmt == "upperLetter" else letters
    if fmt in ("upperRoman", "lowerRoman"):
        roman = _roman(value)
        return roman if fmt == "upperRoman" else roman.lower()
    if fmt in ("bullet", "none"):
        return ""
    return str(value)  # decimal, decimalZero and anything unknown


def _roman(value: int) -> str:
    out = ""
    for number, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                            (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                            (4, "IV"), (1, "I")):
        while value >= number:
            out, value = out + letters, value - number
    return out


@dataclass(frozen=True)
class Level:
    """One level of a numbering definition: where it starts, how it is drawn."""

    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."


@dataclass
class Numbering:
    """numbering.xml: the abstract definitions, the instances paragraphs point at, and the
    counters Word keeps while it draws the document."""

    abstract: dict[str, dict[int, Level]] = field(default_factory=dict)
    instances: dict[str, tuple[str, dict[int, int]]] = field(default_factory=dict)
    style_levels: dict[str, tuple[str, int]] = field(default_factory=dict)
    counters: dict[tuple[str, int], int] = field(default_factory=dict)
    started: set[str] = field(default_factory=set)

    @classmethod
    def from_element(cls, root) -> Numbering:
        numbering = cls()
        if root is None:
            return numbering
        for abstract in root.iter(f"{W}abstractNum"):
            abstract_id = abstract.get(f"{W}abstractNumId")
            levels = {}
            for lvl in abstract.iter(f"{W}lvl"):
                levels[int(lvl.get(f"{W}ilvl", "0"))] = _level(lvl)
                style = lvl.find(f"{W}pStyle")
                if style is not None:
                    numbering.style_levels[style.get(f"{W}val")] = (abstract_id,
                                                                   int(lvl.get(f"{W}ilvl", "0")))
            numbering.abstract[abstract_id] = levels
        for num in root.iter(f"{W}num"):
            ref = num.find(f"{W}abstractNumId")
            overrides = {}
            for override in num.iter(f"{W}lvlOverride"):
                start = override.find(f"{W}startOverride")
                if start is not None:
                    overrides[int(override.get(f"{W}ilvl", "0"))] = int(start.get(f"{W}val"))
            if ref is not None:
                numbering.instances[num.get(f"{W}numId")] = (ref.get(f"{W}val"), overrides)
        return numbering

    def draw(self, num_id: str, ilvl: int) -> str:
        """Advance the counter of (num_id, ilvl) and return the number Word draws there."""
        if num_id not in self.instances:
            return ""
        abstract_id, overrides = self.instances[num_id]
        levels = self.abstract.get(abstract_id, {})
        level = levels.get(ilvl, Level())
        if level.fmt in ("bullet", "none"):
            return ""
        # Instances of one definition share their counters, unless one restarts them.
        owner = num_id if overrides else f"abstract:{abstract_id}"
        if overrides and num_id not in self.started:
            self.started.add(num_id)
            for lvl, start in overrides.items():
                self.counters[(owner, lvl)] = start - 1
        key = (owner, ilvl)
        self.counters[key] = self.counters.get(key, level.start - 1) + 1
        for deeper in [k for k in self.counters if k[0] == owner and k[1] > ilvl]:
            del self.counters[deeper]
        return re.sub(r"%(\d)", lambda m: self._drawn(owner, levels, int(m.group(1)) - 1),
                      level.text)

    def _drawn(self, owner: str, levels: dict[int, Level], ilvl: int) -> str:
        level = levels.get(ilvl, Level())
        return format_number(self.counters.get((owner, ilvl), level.start), level.fmt)

    def restart_items(self, except_owner: str | None) -> None:
        """Reset every list's counters but one (a section heading's): items numbered by Word
        count from 1 in each section, as typed numbers do."""
        for key in [key for key in self.counters if key[0] != except_owner]:
            del self.counters[key]

    def owner_of(self, num_id: str) -> str | None:
        if num_id not in self.instances:
            return None
        abstract_id, overrides = self.instances[num_id]
        return num_id if overrides else f"abstract:{abstract_id}"


def _level(lvl) -> Level:
    def value(tag: str, default: str) -> str:
        node = lvl.find(f"{W}{tag}")
        return node.get(f"{W}val", default) if node is not None else default

    try:
        start = int(value("start", "1"))
    except ValueError:
        start = 1
    return Level(start=start, fmt=value("numFmt", "decimal"), text=value("lvlText", ""))


def _num_pr(element) -> tuple[str | None, int | None]:
    """(numId, ilvl) of a `w:pPr`'s `w:numPr`, each None when absent."""
    if element is None:
        return None, None
    num_pr = element.find(f"{W}numPr")
    if num_pr is None:
        return None, None
    num_id, ilvl = num_pr.find(f"{W}numId"), num_pr.find(f"{W}ilvl")
    return (num_id.get(f"{W}val") if num_id is not None else None,
            int(ilvl.get(f"{W}val")) if ilvl is not None else None)


def paragraph_numbering(paragraph, numbering: Numbering) -> tuple[str, int] | None:
    """(numId, ilvl) that numbers a paragraph, directly or through its style chain."""
    num_id, ilvl = _num_pr(paragraph._p.pPr)
    style = paragraph.style
    while num_id is None and style is not None:
        style_num, style_lvl = _num_pr(style.element.pPr)
        if style_num is not None:
            num_id = style_num
            if ilvl is None:
                linked = numbering.style_levels.get(style.style_id)
                ilvl = style_lvl if style_lvl is not None else (linked[1] if linked else 0)
        style = style.base_style
    if num_id is None or num_id == "0":  # numId 0 switches numbering off
        return None
    return num_id, ilvl or 0


def heading_level(paragraph) -> int | None:
    """N for a paragraph in a Heading N style (or one based on it), else None."""
    style = paragraph.style
    while style is not None:
        match = _HEADING.match(style.name or "")
        if match:
            return int(match.group(1))
        style = style.base_style
    return None


def _is_section(line: str) -> bool:
    return any(pattern.match(line) for pattern in SECTION_STYLES.values())


def _is_item(line: str) -> bool:
    return any(pattern.match(line) for pattern in ITEM_STYLES.values())


@dataclass(frozen=True)
class _Paragraph:
    text: str
    numbered: tuple[str, int] | None
    heading: int | None


def docx_lines(document) -> tuple[list[str], list[str]]:
    """The paragraphs as lines with Word's numbers drawn, and notes on what was added."""
    try:
        root = document.part.numbering_part.element
    except (KeyError, NotImplementedError, ValueError):
        root = None
    numbering = Numbering.from_element(root)
    paragraphs = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        paragraphs.append(_Paragraph(
            text, paragraph_numbering(paragraph, numbering) if text else None,
            heading_level(paragraph) if text else None))
    # Drawn once as Word draws it, to see which paragraphs head sections; then again with the
    # items' counts starting afresh in every section.
    as_word = _draw(paragraphs, Numbering.from_element(root), sections=set())
    level = _section_heading_level(paragraphs, as_word)
    sections = {row for row, line in enumerate(as_word) if line and _is_section(line)}
    from_headings = {row for row, p in enumerate(paragraphs)
                     if level is not None and p.heading == level and row not in sections}
    lines = _draw(paragraphs, Numbering.from_element(root), sections=sections | from_headings)
    for number, row in enumerate(sorted(from_headings), start=1):
        lines[row] = f"{chinese_ordinal(number)}、{lines[row]}"
    drawn = sum(1 for p in paragraphs if p.numbered and p.text)
    notes = [f"drew {drawn} numbers from Word's automatic numbering"] if drawn else []
    if _counts_ran_on(as_word, lines, from_headings):
        notes.append("Word's item numbering ran on across sections; items are numbered from "
                     "1 in each section")
    if from_headings:
        notes.append(f"took {len(from_headings)} paragraphs in a Heading style as section "
                     f"headings")
    return lines, notes


def _draw(paragraphs: list[_Paragraph], numbering: Numbering, sections: set[int]) -> list[str]:
    lines = []
    for row, paragraph in enumerate(paragraphs):
        owner = numbering.owner_of(paragraph.numbered[0]) if paragraph.numbered else None
        if row in sections:
            numbering.restart_items(owner)
        prefix = numbering.draw(*paragraph.numbered) if paragraph.numbered else ""
        lines.append(prefix + paragraph.text)
    return lines


def _counts_ran_on(as_word: list[str], lines: list[str], from_headings: set[int]) -> bool:
    return any(a != b for row, (a, b) in enumerate(zip(as_word, lines, strict=True))
               if row not in from_headings)


def _section_heading_level(paragraphs: list[_Paragraph], lines: list[str]) -> int | None:
    """The Heading level that heads the numbered items (the level most often followed by an
    item), if unnumbered headings head them at all."""
    followed: Counter[int] = Counter()
    for row, paragraph in enumerate(paragraphs):
        if paragraph.heading is None or _is_section(lines[row]):
            continue
        following = next((line for line in lines[row + 1:] if line), None)
        if following is not None and _is_item(following):
            followed[paragraph.heading] += 1
    return followed.most_common(1)[0][0] if followed else None

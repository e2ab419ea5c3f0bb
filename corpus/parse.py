"""Parse a "typical work cases" text into titled sections of numbered items.

The layout read here (see corpus/data/README.md):

    附件
    <title line>
    一、<section name, a city>     or  （一）济南市 / 第一部分 济南 — with or without 市
    1.<item, one paragraph>         or  1、 / （1） / ①
    2.<item>                        (a paragraph may wrap over several lines)
    二、<next section>              (may follow an item with no blank line)

A document's first heading fixes its section style and its first item fixes its item style;
a line in another numbering style inside an item (a "①" sub-point) stays part of that item.
Every line is accounted for: a line the parser cannot place is a `CorpusFormatError` naming it,
and each section's items must run 1..n without gaps, so nothing is dropped silently. Control
characters are taken out of the text first (see `corpus.text.clean_text`), and counted in the
warnings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.errors import CorpusFormatError, CorpusNumberingError
from corpus.text import clean_text, cleaning_notes

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100}

CHINESE_NUMERALS = "一二三四五六七八九十百〇零两"  # the characters of a numbered heading
SECTION_STYLES = {
    "一、": re.compile(rf"^([{CHINESE_NUMERALS}]+)\s*[、，,]\s*(\S.*?)$"),
    "（一）": re.compile(rf"^[（(]([{CHINESE_NUMERALS}]+)[）)]\s*[、，,:：]?\s*(\S.*?)$"),
    "第一部分": re.compile(rf"^第\s*([{CHINESE_NUMERALS}\d]+)\s*(?:部分|章|节|篇)\s*[、，,:：]?\s*"
                       rf"(\S.*?)$"),
}
ITEM_STYLES = {
    # "1." "2．" "3、" — but not "2.5亿元", a paragraph that merely starts with a decimal number.
    "1.": re.compile(r"^(\d{1,3})\s*[.．、](?!\d)\s*(.*?)$"),
    "（1）": re.compile(r"^[（(](\d{1,3})[）)]\s*[、.．]?\s*(.*?)$"),
    "①": re.compile(r"^([\u2460-\u2473])\s*[、.．]?\s*(.*?)$"),
}
SECTION_RE = SECTION_STYLES["一、"]
ITEM_RE = ITEM_STYLES["1."]
PREFACE_RE = re.compile(r"^\s*附\s*件\s*\d*\s*$")
SHORT_ITEM = 8  # an item this short is reported: a heading or a page number taken for an item?


@dataclass(frozen=True)
class Item:
    """A numbered paragraph: its number in the section, its text, and the line it starts on."""

    seq: int
    text: str
    line: int


@dataclass(frozen=True)
class Section:
    """A heading such as `一、济南市` and the items under it."""

    ordinal: int
    name: str
    line: int
    items: tuple[Item, ...]


@dataclass(frozen=True)
class ParsedText:
    """The title line (if the text has one), the sections in document order, the numbering
    styles found, and warnings worth a look before the document is added."""

    title: str | None
    sections: tuple[Section, ...]
    section_style: str = "一、"
    item_style: str = "1."
    warnings: tuple[str, ...] = ()

    def report(self) -> str:
        """A readable parse report: sections, items per section, styles, warnings."""
        items = sum(len(section.items) for section in self.sections)
        lines = [f"title: {self.title or '(none in the text)'}",
                 f"{len(self.sections)} sections, {items} items "
                 f"(headings '{self.section_style}', items '{self.item_style}')"]
        lines += [f"  {s.ordinal:>2}. {s.name}: {len(s.items)} items (line {s.line})"
                  for s in self.sections]
        lines += [f"warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)


def chinese_numeral(text: str) -> int:
    """Value of a Chinese numeral such as `十二` or `二十三` (1..999); digits pass through."""
    if text.isdecimal():
        return int(text)
    total, digit = 0, None
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + (digit or 0)


def chinese_ordinal(value: int) -> str:
    """`12` → `十二`, `23` → `二十三`, `105` → `一百零五` (1..999), as headings are numbered."""
    digits = "零一二三四五六七八九"
    if not 0 < value < 1000:
        return str(value)
    hundreds, tens, ones = value // 100, value // 10 % 10, value % 10
    text = f"{digits[hundreds]}百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else digits[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    return text + (digits[ones] if ones else "")


class _Builder:
    """Accumulates sections and items line by line, checking numbering as it goes."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.title: str | None = None
        self.sections: list[Section] = []
        self.heading: tuple[int, str, int] | None = None
        self.items: list[Item] = []
        self.open_item: tuple[int, list[str], int] | None = None
        self.blank_since_item = False
        self.section_style: str | None = None
        self.item_style: str | None = None
        self.warnings: list[str] = []

    def match_section(self, line: str) -> re.Match | None:
        styles = [self.section_style] if self.section_style else list(SECTION_STYLES)
        for style in styles:
            if (match := SECTION_STYLES[style].match(line)) is not None:
                self.section_style = style
                return match
        return None

    def match_item(self, line: str) -> re.Match | None:
        styles = [self.item_style] if self.item_style else list(ITEM_STYLES)
        for style in styles:
            if (match := ITEM_STYLES[style].match(line)) is not None:
                if self.heading is not None:  # the first item under a heading fixes the style
                    self.item_style = style
                return match
        return None

    def fail(self, message: str, line: int) -> CorpusFormatError:
        return CorpusFormatError(message, line=line, source=self.source)

    def misnumbered(self, message: str, line: int) -> CorpusNumberingError:
        return CorpusNumberingError(message, line=line, source=self.source)

    def close_item(self) -> None:
        if self.open_item is not None:
            seq, parts, line = self.open_item
            text = "".join(parts)
            if len(text) < SHORT_ITEM:
                self.warnings.append(f"line {line}: item {seq} has only {len(text)} characters")
            self.items.append(Item(seq=seq, text=text, line=line))
            self.open_item = None

    def close_section(self) -> None:
        self.close_item()
        if self.heading is None:
            return
        ordinal, name, line = self.heading
        if not self.items:
            raise self.misnumbered(f"section {name!r} has no numbered items", line)
        self.sections.append(Section(ordinal, name, line, tuple(self.items)))
        self.heading, self.items = None, []

    def start_section(self, numeral: str, name: str, line: int) -> None:
        self.close_section()
        try:
            ordinal = chinese_numeral(numeral)
        except ValueError:  # "第3一部分", or more digits than Python reads as a number
            raise self.fail(f"section heading numbered {numeral[:20]!r}, which is not a "
                            f"number", line) from None
        expected = len(self.sections) + 1
        if ordinal != expected:
            raise self.misnumbered(f"section heading numbered {numeral} ({ordinal}); expected "
                                   f"{expected}", line)
        self.heading = (ordinal, name, line)

    def start_item(self, seq: int, text: str, line: int) -> None:
        if self.heading is None:
            raise self.fail(f"item {seq}. appears before any section heading", line)
        self.close_item()
        expected = len(self.items) + 1
        if seq != expected:
            section = self.heading[1]
            raise self.misnumbered(f"item numbered {seq} in section {section!r}; expected "
                                   f"{expected}", line)
        if not text:
            raise self.fail(f"item {seq}. has no text", line)
        self.open_item = (seq, [text], line)
        self.blank_since_item = False

    def add_line(self, text: str, line: int) -> None:
        if self.open_item is not None and not self.blank_since_item:
            self.open_item[1].append(text)  # a paragraph wrapped over several lines
        elif self.heading is None and not self.sections and self.title is None:
            self.title = text
        else:
            raise self.fail(f"paragraph outside a numbered item: {text[:30]!r}", line)


def parse_text(text: str, *, source: str = "<text>") -> ParsedText:
    """Read the title, sections and items of a document's text.

    Args:
        text: the whole document, already decoded.
        source: a name for the document used in error messages.

    Returns:
        The title line (or None) and the sections with their items, in order; no field holds
        a control character (they are removed, and counted in the warnings).

    Raises:
        CorpusFormatError: a line that fits no part of the layout, numbering that skips or
            repeats, a section without items, or a text without any section.
    """
    builder = _Builder(source)
    text, changed = clean_text(text)
    # Lines as editors count them: str.splitlines() would also split at \x1c-\x1e, \x85, \u2028.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            builder.blank_since_item = True
            continue
        if PREFACE_RE.match(line) and builder.title is None and not builder.sections:
            continue
        if (match := builder.match_section(line)) is not None:
            builder.start_section(match.group(1), match.group(2), number)
        elif (match := builder.match_item(line)) is not None:
            builder.start_item(_item_number(match.group(1)), match.group(2), number)
        else:
            builder.add_line(line, number)
    builder.close_section()
    if not builder.sections:
        raise CorpusFormatError("no section heading such as '一、济南市', '（一）济南市' or "
                                "'第一部分 济南市' found", line=1, source=source)
    return ParsedText(title=builder.title, sections=tuple(builder.sections),
                      section_style=builder.section_style or "一、",
                      item_style=builder.item_style or "1.",
                      warnings=(*cleaning_notes(changed), *builder.warnings))


def _item_number(token: str) -> int:
    """`3` → 3, `③` → 3."""
    return int(token) if token.isdecimal() else ord(token) - 0x2460 + 1

"""Parse a "typical work cases" text into titled sections of numbered items.

The layout read here (see corpus/data/README.md):

    附件
    <title line>
    一、<section name, a city>
    1.<item, one paragraph>
    2.<item>
    二、<next section>            (may follow an item with no blank line)

Every line is accounted for: a line the parser cannot place is a `CorpusFormatError` naming it,
and each section's items must run 1..n without gaps, so nothing is dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.errors import CorpusFormatError

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100}

SECTION_RE = re.compile(r"^\s*([一二三四五六七八九十百〇零两]+)\s*[、，,]\s*(\S.*?)\s*$")
# "1." "2．" "3、" — but not "2.5亿元", a paragraph that merely starts with a decimal number.
ITEM_RE = re.compile(r"^\s*(\d{1,3})\s*[.．、](?!\d)\s*(.*?)\s*$")
PREFACE_RE = re.compile(r"^\s*附\s*件\s*\d*\s*$")


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
    """The title line (if the text has one) and the sections in document order."""

    title: str | None
    sections: tuple[Section, ...]


def chinese_numeral(text: str) -> int:
    """Value of a Chinese numeral such as `十二` or `二十三` (1..999)."""
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

    def fail(self, message: str, line: int) -> CorpusFormatError:
        return CorpusFormatError(message, line=line, source=self.source)

    def close_item(self) -> None:
        if self.open_item is not None:
            seq, parts, line = self.open_item
            self.items.append(Item(seq=seq, text="".join(parts), line=line))
            self.open_item = None

    def close_section(self) -> None:
        self.close_item()
        if self.heading is None:
            return
        ordinal, name, line = self.heading
        if not self.items:
            raise self.fail(f"section {name!r} has no numbered items", line)
        self.sections.append(Section(ordinal, name, line, tuple(self.items)))
        self.heading, self.items = None, []

    def start_section(self, numeral: str, name: str, line: int) -> None:
        self.close_section()
        ordinal = chinese_numeral(numeral)
        expected = len(self.sections) + 1
        if ordinal != expected:
            raise self.fail(f"section heading numbered {numeral} ({ordinal}); expected {expected}",
                            line)
        self.heading = (ordinal, name, line)

    def start_item(self, seq: int, text: str, line: int) -> None:
        if self.heading is None:
            raise self.fail(f"item {seq}. appears before any section heading", line)
        self.close_item()
        expected = len(self.items) + 1
        if seq != expected:
            section = self.heading[1]
            raise self.fail(f"item numbered {seq} in section {section!r}; expected {expected}",
                            line)
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
        The title line (or None) and the sections with their items, in order.

    Raises:
        CorpusFormatError: a line that fits no part of the layout, numbering that skips or
            repeats, a section without items, or a text without any section.
    """
    builder = _Builder(source)
    # Lines as editors count them: str.splitlines() would also split at \x1c-\x1e, \x85, \u2028.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            builder.blank_since_item = True
            continue
        if PREFACE_RE.match(line) and builder.title is None and not builder.sections:
            continue
        if (match := SECTION_RE.match(line)) is not None:
            builder.start_section(match.group(1), match.group(2), number)
        elif (match := ITEM_RE.match(line)) is not None:
            builder.start_item(int(match.group(1)), match.group(2), number)
        else:
            builder.add_line(line, number)
    builder.close_section()
    if not builder.sections:
        raise CorpusFormatError("no section heading such as '一、济南市' found", line=1,
                                source=source)
    return ParsedText(title=builder.title, sections=tuple(builder.sections))

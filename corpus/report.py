"""The dry run's account of a document: the outline found, the level taken as cases and why,
each case's place and where it was read, the lines that are not cases, and warnings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from corpus.cases import Reading
from corpus.models import Case
from corpus.outline import Outline
from corpus.text import shortened

LEVEL_NAMES = {"province": "province", "city": "city", "county": "county/district"}
SHOWN = 60  # characters of a line shown in the report


def describe(reading: Reading, cases: Sequence[Case], notes: Sequence[str] = (),
             found: Sequence[str] = ()) -> str:
    """A readable report of how a document was read (see the module docstring)."""
    lines = [f"title: {reading.title or '(none in the text)'}"]
    lines += [f"document: {line}" for line in found]
    lines += [f"read: {note}" for note in (*notes, *reading.outline.notes)]
    lines += outline_lines(reading.outline)
    lines.append(f"cases: {reading.layout} — {reading.why}")
    if reading.sections:
        items = sum(len(section.items) for section in reading.sections)
        styles = reading.outline.styles_in_order()
        lines.append(f"{len(reading.sections)} sections, {items} items "
                     f"(headings '{styles[0] if styles else '一、'}', items "
                     f"'{styles[1] if len(styles) > 1 else '1.'}')")
    places = Counter(case.city for case in cases)
    lines.append(f"{len(cases)} cases, {len(places)} places")
    lines += [f"  {case_line(case)}" for case in cases]
    if reading.other:
        lines.append(f"not cases ({len(reading.other)} lines, kept out of the index):")
        lines += [f"  line {block.line}: {short(block.text)}" for block in reading.other]
    lines += [f"warning: {warning}" for warning in reading.warnings]
    return "\n".join(lines)


def outline_lines(outline: Outline) -> list[str]:
    """One line per heading level: its style, how many headings, the first of them."""
    if not outline.blocks:
        return []
    headings = [block for block in outline.blocks if block.kind == "heading"]
    counts = Counter(block.style for block in headings)
    first = {}
    for block in headings:
        first.setdefault(block.style, block)
    lines = ["outline:"]
    for style in outline.styles_in_order():
        if style in first:
            example = first[style]
            lines.append(f"  level {outline.levels[style]} '{style}': {counts[style]} "
                         f"headings, first line {example.line}: {short(example.raw)}")
    paragraphs = sum(1 for block in outline.blocks if block.kind == "paragraph")
    rows = sum(1 for block in outline.blocks if block.kind == "row")
    lines.append(f"  {paragraphs} paragraphs" + (f", {rows} table rows" if rows else ""))
    return lines


def case_line(case: Case) -> str:
    """`sd2020-jinan-1  济南市 (city: 山东省 › 济南市; heading)  line 6  认真落实…`"""
    place = case.city or "(no place)"
    if case.places:
        level = LEVEL_NAMES.get(case.place_level, case.place_level)
        place += f" ({level}: {' › '.join(case.places)}; {case.place_from})"
    elif case.city:
        place += f" (not a known division; {case.place_from})"
    title = f"《{short(case.case_title, 30)}》 " if case.case_title else ""
    return (f"{case.id}  {place}  line {case.line}  {title}{short(case.text, 30)} "
            f"({len(case.text)} characters)")


def short(text: str, limit: int = SHOWN) -> str:
    """The start of a text on one line."""
    return shortened(text, limit)

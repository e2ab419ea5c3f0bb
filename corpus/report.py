"""The dry run's account of a document: the outline found, the level taken as cases and why,
each case's place and where it was read, the lines that are not cases, and warnings.

`report_data` makes it once, as JSON-ready data (the API's and the page's preview);
`describe` writes the same data as the lines the command line prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from corpus.cases import Reading
from corpus.models import Case
from corpus.outline import Outline
from corpus.text import shortened

LEVEL_NAMES = {"province": "province", "city": "city", "county": "county/district"}
SHOWN = 60  # characters of a line shown in the report


def report_data(reading: Reading, cases: Sequence[Case], notes: Sequence[str] = (),
                found: Sequence[str] = ()) -> dict[str, Any]:
    """How a document was read, as data: its title, where its year and province came from,
    the outline's levels, the layout taken and why, each case (its place, level, chain and
    where the place was read, its title and start), the lines that are not cases, and the
    warnings (reading notes first)."""
    sections = None
    if reading.sections:
        styles = reading.outline.styles_in_order()
        sections = {"count": len(reading.sections),
                    "items": sum(len(section.items) for section in reading.sections),
                    "heading_style": styles[0] if styles else "一、",
                    "item_style": styles[1] if len(styles) > 1 else "1."}
    return {
        "title": reading.title or "",
        "found": list(found),
        "outline": outline_data(reading.outline),
        "layout": reading.layout,
        "level": reading.level,
        "why": reading.why,
        "sections": sections,
        "places": len({case.city for case in cases}),
        "cases": [case_data(case) for case in cases],
        "not_cases": [{"line": block.line, "text": short(block.text)} for block in reading.other],
        "warnings": [*notes, *reading.outline.notes, *reading.warnings],
        "notes": len(notes) + len(reading.outline.notes),
    }


def outline_data(outline: Outline) -> dict[str, Any]:
    """The outline's heading levels (style, count, first heading), paragraphs and rows."""
    headings = [block for block in outline.blocks if block.kind == "heading"]
    counts = Counter(block.style for block in headings)
    first = {}
    for block in headings:
        first.setdefault(block.style, block)
    return {
        "levels": [{"level": outline.levels[style], "style": style, "headings": counts[style],
                    "first_line": first[style].line, "first": short(first[style].raw)}
                   for style in outline.styles_in_order() if style in first],
        "paragraphs": sum(1 for block in outline.blocks if block.kind == "paragraph"),
        "rows": sum(1 for block in outline.blocks if block.kind == "row"),
        "blocks": len(outline.blocks),
    }


def case_data(case: Case) -> dict[str, Any]:
    """One case as the report shows it."""
    return {"id": case.id, "place": case.city, "place_level": case.place_level,
            "places": list(case.places), "place_from": case.place_from,
            "case_title": case.case_title, "line": case.line, "start": short(case.text, 80),
            "characters": len(case.text)}


def describe(reading: Reading, cases: Sequence[Case], notes: Sequence[str] = (),
             found: Sequence[str] = ()) -> str:
    """A readable report of how a document was read (see the module docstring)."""
    return render(report_data(reading, cases, notes, found))


def render(data: dict[str, Any]) -> str:
    """`report_data` as the command line's lines."""
    lines = [f"title: {data['title'] or '(none in the text)'}"]
    lines += [f"document: {line}" for line in data["found"]]
    lines += [f"read: {note}" for note in data["warnings"][:data["notes"]]]
    lines += outline_lines(data["outline"])
    lines.append(f"cases: {data['layout']} — {data['why']}")
    if data["sections"]:
        sections = data["sections"]
        lines.append(f"{sections['count']} sections, {sections['items']} items (headings "
                     f"'{sections['heading_style']}', items '{sections['item_style']}')")
    lines.append(f"{len(data['cases'])} cases, {data['places']} places")
    lines += [f"  {case_line(case)}" for case in data["cases"]]
    if data["not_cases"]:
        lines.append(f"not cases ({len(data['not_cases'])} lines, kept out of the index):")
        lines += [f"  line {block['line']}: {block['text']}" for block in data["not_cases"]]
    lines += [f"warning: {warning}" for warning in data["warnings"][data["notes"]:]]
    return "\n".join(lines)


def outline_lines(outline: dict[str, Any]) -> list[str]:
    """One line per heading level: its style, how many headings, the first of them."""
    if not outline["blocks"]:
        return []
    lines = ["outline:"]
    for level in outline["levels"]:
        lines.append(f"  level {level['level']} '{level['style']}': {level['headings']} "
                     f"headings, first line {level['first_line']}: {level['first']}")
    lines.append(f"  {outline['paragraphs']} paragraphs"
                 + (f", {outline['rows']} table rows" if outline["rows"] else ""))
    return lines


def case_line(case: dict[str, Any]) -> str:
    """`sd2020-jinan-1  济南市 (city: 山东省 › 济南市; heading)  line 6  认真落实…`"""
    place = case["place"] or "(no place)"
    if case["places"]:
        level = LEVEL_NAMES.get(case["place_level"], case["place_level"])
        place += f" ({level}: {' › '.join(case['places'])}; {case['place_from']})"
    elif case["place"]:
        place += f" (not a known division; {case['place_from']})"
    title = f"《{short(case['case_title'], 30)}》 " if case["case_title"] else ""
    return (f"{case['id']}  {place}  line {case['line']}  {title}{short(case['start'], 30)} "
            f"({case['characters']} characters)")


def short(text: str, limit: int = SHOWN) -> str:
    """The start of a text on one line."""
    return shortened(text, limit)

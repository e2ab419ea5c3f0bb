"""A brief to take away: chosen practices, and a figure compared across cities, as a Word
document or Markdown.

Each practice comes whole, with what a reader needs to cite it: place, case number and title,
its full text, the source document, the year, the line, the place's level and chain, and the
case's address; a figures table gives every value with the sentence it comes from, a table
for each place level (a district's figure is never set beside a province's). Nothing here
imports Flask.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from corpus.models import Case
from index.retrieval.search import Hit, SearchEngine
from service.figures import KIND_LABELS, by_level, every_figure, near_group
from service.figures import comparison as figure_comparison
from service.places import chain_text, level_heading, level_label
from service.problems import ApiError
from service.records import LEVEL_WORDS
from service.schema import MAX_BRIEF_CASES

DEFAULT_TITLE = "典型案例简报"
MEDIA_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "md": "text/markdown; charset=utf-8"}
MATCH_WORDS = {level: f"{chinese} · {meaning}" for level, (chinese, _, meaning)
               in LEVEL_WORDS.items()}


@dataclass(frozen=True)
class Practice:
    """One practice of a brief: the case, and how it matched the question (if one was asked)."""

    case: Case
    match: str | None = None
    url: str = ""


@dataclass(frozen=True)
class Brief:
    """What a brief holds, whatever its format."""

    title: str
    query: str | None
    practices: tuple[Practice, ...]
    figures: dict[str, Any] | None = None  # a comparison (service.figures.comparison)
    made_on: str = field(default_factory=lambda: date.today().isoformat())
    corpus: str = ""


def make_brief(engine: SearchEngine, *, ids: list[str] | None = None, query: str | None = None,
               k: int = 5, figures: str | None = None, title: str | None = None,
               base_url: str = "", corpus: str = "") -> Brief:
    """Gather a brief: the practices with these ids (in order), or else the question's `k`
    best, or else those a figures table cites; and the figures table asked for.

    Raises:
        ApiError: 422 with neither ids nor a question, too many ids, or a metric no figure
            group measures closely enough (service.figures.near_group); 404 when a figure is
            asked for and the corpus holds none.
        UnknownCaseError: an id no case has (404, as from the API).
        InvalidRequestError: a question or a metric without words.
    """
    if not ids and not query and not figures:
        raise ApiError(422, "say what goes into the brief: case ids (id=…), a question (q=…) "
                            "whose best practices it takes, or a figure to compare "
                            "(figures=…)")
    if ids and len(ids) > MAX_BRIEF_CASES:
        raise ApiError(422, f"a brief holds at most {MAX_BRIEF_CASES} practices; got {len(ids)}")
    table = _figures_table(engine, figures) if figures else None
    if ids:
        practices = _chosen(engine, ids, query, base_url)
    elif query:
        practices = [_practice(hit.case, hit, base_url) for hit in engine.search(query, k=k)]
    else:  # a comparison alone: the practices its figures come from
        cited = dict.fromkeys(item["case_id"] for item in every_figure(table))
        practices = [_practice(engine.case(case_id), None, base_url)
                     for case_id in list(cited)[:MAX_BRIEF_CASES]]
    default = query or (f"{table['metric']} · 各市对比" if table and not ids else DEFAULT_TITLE)
    return Brief(title=title or default, query=query, practices=tuple(practices), figures=table,
                 corpus=corpus)


def _figures_table(engine: SearchEngine, wanted: str) -> dict[str, Any]:
    """The comparison of the group asked for; chosen by a metric, it says which and how near
    (`asked`, `similarity`, `threshold`)."""
    group, similarity = near_group(engine, wanted)
    table = figure_comparison(engine, group)
    if similarity is not None:
        table.update(asked=wanted, similarity=similarity, threshold=engine.figures.threshold)
    return table


def _chosen(engine: SearchEngine, ids: list[str], query: str | None,
            base_url: str) -> list[Practice]:
    cases = [engine.case(case_id) for case_id in dict.fromkeys(ids)]
    matched: dict[str, Hit] = {}
    if query:  # how each chosen practice matches the question, when it is among the best
        matched = {hit.case.id: hit for hit in engine.search(query, k=50)}
    return [_practice(case, matched.get(case.id), base_url) for case in cases]


def _practice(case: Case, hit: Hit | None, base_url: str) -> Practice:
    url = f"{base_url.rstrip('/')}/cases/{quote(case.id, safe='')}" if base_url else ""
    return Practice(case, hit.match if hit is not None else None, url)


def file_name(brief: Brief, extension: str) -> str:
    """A download name: `brief-<date>.<extension>` (ASCII, so every browser keeps it)."""
    return f"brief-{brief.made_on}.{extension}"


# What a brief says, whatever its format: each piece of text as written, before it is made safe
# for the format (`plain_text` for Word, `md_text` for Markdown).

def _made(brief: Brief) -> str:
    return (f"{brief.made_on} · {len(brief.practices)} 个做法 · practices"
            + (f" · {brief.corpus}" if brief.corpus else ""))


def _heading(case: Case) -> str:
    """`崂山区 · 案例 2：打造…`: the place as written, the number, the case's own title."""
    title = f"：{case.case_title}" if case.case_title else ""
    return f"{case.city} · 案例 {case.seq}{title}"


def _source(case: Case) -> str:
    return (f"{case.province}《{case.title}》（{case.year}），第 {case.line} 行{_place(case)} · "
            f"id {case.id}")


def _place(case: Case) -> str:
    """` · 地点 · Place: 山东省 / 青岛市 / 崂山区（区县 / district）`, when the place is known."""
    if not case.places:
        return ""
    return (f" · 地点 · Place: {chain_text(case.places)}"
            f"（{level_label(case.place_level, case.places[-1])}）")


def _figures_heading(table: dict[str, Any]) -> str:
    return f"各市数据对比 · {table['metric']} ({table['unit']}, {KIND_LABELS[table['kind']]})"


def _group_chosen(table: dict[str, Any]) -> str:
    """Which group a metric chose, and how near it is (empty for a group asked for by id)."""
    if "similarity" not in table:
        return ""
    return (f"所用数据组 · Figures group: {table['metric']} (id {table['id']}), the nearest to "
            f"“{table['asked']}”: similarity {table['similarity']:.2f} "
            f"({table['threshold']:.2f} or more counts as the same measure)")


def _figure_cells(item: dict[str, Any]) -> tuple[str, ...]:
    return (_figure_place(item), str(item["year"]), item["shown"], item["as_written"],
            item["case_id"])


def _figure_note(item: dict[str, Any]) -> str:
    return f"{item['city']}, {item['case_id']}: {item['text']}"


def _figure_place(item: dict[str, Any]) -> str:
    """A row's place, with the part of it the figure is about: 枣庄市（市中区）."""
    return f"{item['city']}（{item['scope']}）" if item["scope"] else item["city"]


def _figure_sections(table: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The table's figures by place level: each level's heading and figures (rows with their
    `also`), a table of its own."""
    return [(level_heading(level), [item for row in rows for item in (row, *row["also"])])
            for level, rows in by_level(table["figures"])]


FIGURE_COLUMNS = ("地方 · Place", "年份 · Year", "数值 · Value", "原文 · As written",
                  "案例 · Case")


# Text, whatever the corpus holds

# Characters no document should carry: C0 controls but tab and line ends, DEL, C1 controls,
# lone surrogates, U+FFFE/U+FFFF. XML 1.0 cannot hold most of them (python-docx refuses a
# string with one), a terminal obeys some when the Markdown is printed, and none means anything
# in a brief.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")


def plain_text(value: object) -> str:
    """Any value as text a document can hold: without the characters above."""
    return _UNPRINTABLE.sub("", str(value))


def one_line(value: object) -> str:
    """Plain text on one line: each line break (with the spaces around it) one space."""
    return _LINE_BREAKS.sub(" ", plain_text(value)).strip()


# What CommonMark (with tables) reads as markup anywhere: emphasis, code, links and images,
# HTML tags and entities, table cells, strikethrough, heading marks; and at the start of a
# block: quotes, list items, setext underlines, ordered-list numbers. A backslash makes any
# ASCII punctuation literal, so one escape too many costs only a backslash in the file.
_MARKUP = re.compile(r"([\\`*_\[\]<>&|~#])")
_BLOCK_START = re.compile(r"^(?:([>+\-=])|(\d{1,9})([.)])(?=\s|\Z))")


def md_text(value: object) -> str:
    """Any value as Markdown that reads as the text itself, on one line: no markup, no HTML,
    no link or image, nothing that starts a heading, list or quote or ends a table cell."""
    escaped = _MARKUP.sub(r"\\\1", one_line(value))
    return _BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", escaped)


def md_paragraphs(value: object) -> list[str]:
    """A text of several lines as Markdown paragraphs, one a line of the text."""
    lines = _LINE_BREAKS.split(plain_text(value).strip())
    return [part for line in lines if (text := md_text(line)) for part in (text, "")]


# Markdown

def brief_markdown(brief: Brief) -> str:
    """The brief as Markdown; every text in it goes through `md_text`."""
    lines = [f"# {md_text(brief.title)}", ""]
    if brief.query:
        lines += [f"**问题 · Question:** {md_text(brief.query)}", ""]
    lines += [md_text(_made(brief)), ""]
    for number, practice in enumerate(brief.practices, start=1):
        case = practice.case
        lines += [f"## {number}. {md_text(_heading(case))}", ""]
        if practice.match:
            lines += [f"*{md_text(MATCH_WORDS[practice.match])}*", ""]
        lines += md_paragraphs(case.text)
        lines += [md_text(f"来源 · Source: {_source(case)}") + _md_link(practice.url), ""]
    if brief.figures:
        lines += _figures_markdown(brief.figures)
    return "\n".join(lines).rstrip() + "\n"


_SAFE_URL = re.compile(r"https?://[^\s<>\\\x00-\x1f\x7f-\x9f]+\Z")


def _md_link(url: str) -> str:
    """The practice's address as a link: only an http(s) address the service made."""
    if not url:
        return ""
    return f" · <{url}>" if _SAFE_URL.match(url) else f" · {md_text(url)}"


def _figures_markdown(table: dict[str, Any]) -> list[str]:
    items = every_figure(table)
    chosen = _group_chosen(table)
    lines = [f"## {md_text(_figures_heading(table))}", "",
             *([f"*{md_text(chosen)}*", ""] if chosen else [])]
    for heading, section in _figure_sections(table):
        lines += [f"### {md_text(heading)}", "",
                  "| " + " | ".join(md_text(name) for name in FIGURE_COLUMNS) + " |",
                  "|---" * len(FIGURE_COLUMNS) + "|"]
        lines += ["| " + " | ".join(md_text(cell) for cell in _figure_cells(item)) + " |"
                  for item in section]
        lines.append("")
    lines += ["出处 · Sources:", ""]
    lines += [f"- {md_text(_figure_note(item))}" for item in items]
    return [*lines, ""]


# Word

class _Word:
    """A Word document that every text enters through `plain_text` (python-docx refuses the
    characters it removes): the only way `brief_docx` writes one."""

    def __init__(self) -> None:
        from docx import Document
        from docx.oxml.ns import qn
        from docx.shared import Pt

        self.document = Document()
        style = self.document.styles["Normal"]
        style.font.size = Pt(11)
        # CJK text in a CJK font (Word otherwise picks one per script that may lack the glyphs).
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")

    def title(self, text: str) -> None:
        self.document.core_properties.title = one_line(text)[:255]
        self.document.add_heading(one_line(text), level=0)

    def heading(self, text: str, level: int = 1) -> None:
        self.document.add_heading(one_line(text), level=level)

    def paragraph(self, text: str, *, lead: str = "", italic: bool = False,
                  size: float | None = None, style: str | None = None) -> None:
        """A paragraph: `lead` in bold, then `text` (in `size` points, italic)."""
        from docx.shared import Pt

        paragraph = self.document.add_paragraph(style=style)
        if lead:
            paragraph.add_run(plain_text(lead)).bold = True
        run = paragraph.add_run(plain_text(text))
        run.italic = italic or None
        if size is not None:
            run.font.size = Pt(size)

    def table(self, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        grid = self.document.add_table(rows=1, cols=len(header))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, header, strict=True):
            cell.text = one_line(text)
            cell.paragraphs[0].runs[0].bold = True
        for row in rows:
            for cell, text in zip(grid.add_row().cells, row, strict=True):
                cell.text = one_line(text)

    def saved(self) -> bytes:
        out = io.BytesIO()
        self.document.save(out)
        return out.getvalue()


def brief_docx(brief: Brief) -> bytes:
    """The brief as a Word document (.docx)."""
    word = _Word()
    word.title(brief.title)
    if brief.query:
        word.paragraph(brief.query, lead="问题 · Question: ")
    word.paragraph(_made(brief))
    for number, practice in enumerate(brief.practices, start=1):
        case = practice.case
        word.heading(f"{number}. {_heading(case)}")
        if practice.match:
            word.paragraph(MATCH_WORDS[practice.match], italic=True)
        word.paragraph(case.text)
        word.paragraph(f"来源 · Source: {_source(case)}"
                       + (f" · {practice.url}" if practice.url else ""), size=9)
    if brief.figures:
        items = every_figure(brief.figures)
        word.heading(_figures_heading(brief.figures))
        if chosen := _group_chosen(brief.figures):
            word.paragraph(chosen, italic=True, size=9)
        for heading, section in _figure_sections(brief.figures):
            word.heading(heading, level=2)
            word.table(FIGURE_COLUMNS, [_figure_cells(item) for item in section])
        word.paragraph("出处 · Sources:")
        for item in items:
            word.paragraph(_figure_note(item), size=9, style="List Bullet")
    return word.saved()


def render_brief(brief: Brief, form: str) -> bytes:
    """The brief in a format: `docx` or `md` (UTF-8)."""
    if form == "docx":
        return brief_docx(brief)
    if form == "md":
        return brief_markdown(brief).encode("utf-8")
    raise ApiError(422, f"format must be docx or md; got {form[:20]!r}")

"""A brief to take away: chosen practices, and a figure compared across cities, as a Word
document or Markdown.

Each practice comes whole, with what a reader needs to cite it: city, case number, its full
text, the source document, the year, the line and the case's address; a figures table gives
every value with the sentence it comes from. Nothing here imports Flask.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from corpus.models import Case
from index.errors import InvalidRequestError
from index.retrieval.search import Hit, SearchEngine
from service.figures import KIND_LABELS, every_figure, resolve_group
from service.figures import comparison as figure_comparison
from service.problems import ApiError
from service.schema import MAX_BRIEF_CASES

DEFAULT_TITLE = "典型案例简报"
MEDIA_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "md": "text/markdown; charset=utf-8"}
MATCH_WORDS = {"strong": "回答问题 · answers it", "partial": "部分回答 · answers part of it",
               "weak": "相关 · related"}


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
        ApiError: 422 with neither ids nor a question, too many ids, or an unknown id; 404
            when a figure is asked for and the corpus holds none.
    """
    if not ids and not query and not figures:
        raise ApiError(422, "say what goes into the brief: case ids (id=…), a question (q=…) "
                            "whose best practices it takes, or a figure to compare "
                            "(figures=…)")
    if ids and len(ids) > MAX_BRIEF_CASES:
        raise ApiError(422, f"a brief holds at most {MAX_BRIEF_CASES} practices; got {len(ids)}")
    table = figure_comparison(engine, resolve_group(engine, figures)[0]) if figures else None
    if ids:
        practices = _chosen(engine, ids, query, base_url)
    elif query:
        try:
            hits = engine.search(query, k=k)
        except InvalidRequestError as exc:
            raise ApiError(422, str(exc)) from None
        practices = [_practice(hit.case, hit, base_url) for hit in hits]
    else:  # a comparison alone: the practices its figures come from
        cited = dict.fromkeys(item["case_id"] for item in every_figure(table))
        practices = [_practice(engine.case(case_id), None, base_url)
                     for case_id in list(cited)[:MAX_BRIEF_CASES]]
    default = query or (f"{table['metric']} · 各市对比" if table and not ids else DEFAULT_TITLE)
    return Brief(title=title or default, query=query, practices=tuple(practices), figures=table,
                 corpus=corpus)


def _chosen(engine: SearchEngine, ids: list[str], query: str | None,
            base_url: str) -> list[Practice]:
    wanted = list(dict.fromkeys(ids))
    unknown = [case_id for case_id in wanted if case_id not in engine.rows]
    if unknown:
        shown = ", ".join(repr(case_id[:40]) for case_id in unknown[:5])
        raise ApiError(422, f"no case has id {shown}; use ids from search results or "
                            f"GET /api/cases")
    matched: dict[str, Hit] = {}
    if query:  # how each chosen practice matches the question, when it is among the best
        try:
            matched = {hit.case.id: hit for hit in engine.search(query, k=50)}
        except InvalidRequestError as exc:
            raise ApiError(422, str(exc)) from None
    return [_practice(engine.case(case_id), matched.get(case_id), base_url)
            for case_id in wanted]


def _practice(case: Case, hit: Hit | None, base_url: str) -> Practice:
    url = f"{base_url.rstrip('/')}/cases/{case.id}" if base_url else ""
    return Practice(case, hit.match if hit is not None else None, url)


def file_name(brief: Brief, extension: str) -> str:
    """A download name: `brief-<date>.<extension>` (ASCII, so every browser keeps it)."""
    return f"brief-{brief.made_on}.{extension}"


def _source(case: Case) -> str:
    return (f"{case.province}《{case.title}》（{case.year}），第 {case.line} 行 · "
            f"id {case.id}")


# Markdown

def brief_markdown(brief: Brief) -> str:
    """The brief as Markdown."""
    lines = [f"# {brief.title}", ""]
    if brief.query:
        lines += [f"**问题 · Question:** {brief.query}", ""]
    lines += [f"{brief.made_on} · {len(brief.practices)} 个做法 · practices"
              + (f" · {brief.corpus}" if brief.corpus else ""), ""]
    for number, practice in enumerate(brief.practices, start=1):
        case = practice.case
        lines += [f"## {number}. {case.city} · 案例 {case.seq}", ""]
        if practice.match:
            lines += [f"*{MATCH_WORDS[practice.match]}*", ""]
        lines += [case.text, "", f"来源 · Source: {_source(case)}"
                  + (f" · <{practice.url}>" if practice.url else ""), ""]
    if brief.figures:
        lines += _figures_markdown(brief.figures)
    return "\n".join(lines).rstrip() + "\n"


def _figures_markdown(table: dict[str, Any]) -> list[str]:
    lines = [f"## 各市数据对比 · {table['metric']} ({table['unit']}, "
             f"{KIND_LABELS[table['kind']]})", "",
             "| 城市 · City | 年份 · Year | 数值 · Value | 原文 · As written | 案例 · Case |",
             "|---|---|---|---|---|"]
    for item in every_figure(table):
        lines.append(f"| {_place(item)} | {item['year']} | {item['shown']} | "
                     f"{_cell(item['as_written'])} | {item['case_id']} |")
    lines += ["", "出处 · Sources:", ""]
    lines += [f"- {item['city']}, {item['case_id']}: {item['text']}"
              for item in every_figure(table)]
    return [*lines, ""]


def _place(item: dict[str, Any]) -> str:
    """A row's city, with the part of it the figure is about: 枣庄市（市中区）."""
    return f"{item['city']}（{item['scope']}）" if item["scope"] else item["city"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


# Word

# Characters XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF): a
# question or title may carry them; a .docx must not.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Text without the characters a Word document cannot hold."""
    return _NOT_XML.sub("", text)


def brief_docx(brief: Brief) -> bytes:
    """The brief as a Word document (.docx)."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.size = Pt(11)
    # CJK text in a CJK font (Word otherwise picks one per script that may lack the glyphs).
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
    document.core_properties.title = xml_safe(brief.title)[:255]
    document.add_heading(xml_safe(brief.title), level=0)
    if brief.query:
        paragraph = document.add_paragraph()
        paragraph.add_run("问题 · Question: ").bold = True
        paragraph.add_run(xml_safe(brief.query))
    document.add_paragraph(f"{brief.made_on} · {len(brief.practices)} 个做法 · practices"
                           + (f" · {brief.corpus}" if brief.corpus else ""))
    for number, practice in enumerate(brief.practices, start=1):
        case = practice.case
        document.add_heading(f"{number}. {case.city} · 案例 {case.seq}", level=1)
        if practice.match:
            document.add_paragraph(MATCH_WORDS[practice.match]).runs[0].italic = True
        document.add_paragraph(xml_safe(case.text))
        source = document.add_paragraph(f"来源 · Source: {_source(case)}"
                                        + (f" · {practice.url}" if practice.url else ""))
        source.runs[0].font.size = Pt(9)
    if brief.figures:
        _figures_docx(document, brief.figures)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _figures_docx(document: Any, table: dict[str, Any]) -> None:
    from docx.shared import Pt

    document.add_heading(f"各市数据对比 · {table['metric']} ({table['unit']}, "
                         f"{KIND_LABELS[table['kind']]})", level=1)
    items = every_figure(table)
    grid = document.add_table(rows=1, cols=5)
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, ("城市 · City", "年份 · Year", "数值 · Value",
                                               "原文 · As written", "案例 · Case"),
                          strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for item in items:
        for cell, text in zip(grid.add_row().cells, (_place(item), str(item["year"]),
                                                      item["shown"], item["as_written"],
                                                      item["case_id"]), strict=True):
            cell.text = xml_safe(text)
    document.add_paragraph("出处 · Sources:")
    for item in items:
        note = document.add_paragraph(xml_safe(f"{item['city']}, {item['case_id']}: "
                                               f"{item['text']}"),
                                      style="List Bullet")
        note.runs[0].font.size = Pt(9)


def render_brief(brief: Brief, form: str) -> bytes:
    """The brief in a format: `docx` or `md` (UTF-8)."""
    if form == "docx":
        return brief_docx(brief)
    if form == "md":
        return brief_markdown(brief).encode("utf-8")
    raise ApiError(422, f"format must be docx or md; got {form[:20]!r}")

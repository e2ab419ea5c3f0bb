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
from index.retrieval.match import LEVELS
from index.retrieval.search import Hit, SearchEngine
from service.figures import KIND_LABELS, by_level, every_figure, near_group, related_groups
from service.figures import comparison as figure_comparison
from service.places import chain_text, level_heading, level_label
from service.problems import ApiError
from service.records import LEVEL_WORDS
from service.schema import BRIEF, MAX_BRIEF_CASES
from service.validate import shown

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
    chosen_by: str = ""  # how its practices were chosen, said in the brief (`selection_note`)


DEFAULT_MIN_MATCH = BRIEF.field("min_match").default


def make_brief(engine: SearchEngine, *, ids: list[str] | None = None, query: str | None = None,
               k: int = 5, figures: str | None = None, title: str | None = None,
               min_match: str = DEFAULT_MIN_MATCH, base_url: str = "", corpus: str = "",
               **search: Any) -> Brief:
    """Gather a brief: the practices with these ids (in order), or else those among the
    question's `k` best that answer it (`min_match` or better: never padded with weaker ones;
    searched with `search`'s filters and mode, service.schema.BRIEF_SEARCH_FIELDS), or else
    those a figures table cites; and the figures table asked for. `base_url` is where readers
    reach the service: each practice links there (no link without it).

    Raises:
        ApiError: 422 with neither ids nor a question, too many ids, or a metric no figure
            group measures closely enough (service.figures.near_group); 404 when a figure is
            asked for and the corpus holds none, or when no practice answers the question
            and nothing else would go into the brief.
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
        chosen_by = "ids and query" if query else "ids"
    elif query:
        hits = engine.search(query, k=k, min_match=min_match, **search)
        if not hits and table is None:
            raise ApiError(404, f"no practice answers {shown(query)} closely enough for a "
                                f"brief (none is a {' or '.join(_levels_from(min_match))} "
                                f"match): ask in other words, choose practices by id, or "
                                f"lower min_match")
        practices, chosen_by = [_practice(hit.case, hit, base_url) for hit in hits], min_match
    else:  # a comparison alone: the practices its figures come from
        cited = dict.fromkeys(item["case_id"] for item in _all_figures(table))
        practices = [_practice(engine.case(case_id), None, base_url)
                     for case_id in list(cited)[:MAX_BRIEF_CASES]]
        chosen_by = "figures"
    default = query or (f"{table['metric']} · 各市对比" if table and not ids else DEFAULT_TITLE)
    return Brief(title=title or default, query=query, practices=tuple(practices), figures=table,
                 corpus=corpus, chosen_by=chosen_by)


def brief_request(args: dict[str, Any]) -> dict[str, Any]:
    """`make_brief`'s arguments from a BRIEF request (its format is how it is written)."""
    return {name: value for name, value in args.items() if name != "format"}


def _levels_from(min_match: str) -> tuple[str, ...]:
    """The match levels at `min_match` or better: (`strong`, `partial`)."""
    return LEVELS[:LEVELS.index(min_match) + 1]


def _figures_table(engine: SearchEngine, wanted: str) -> dict[str, Any]:
    """The comparison of the group asked for; chosen by a metric, it says which and how near
    (`asked`, `similarity`, `threshold`), and brings the groups gathered with it (`related`,
    service.figures.related_groups), each a table of its own."""
    group, similarity = near_group(engine, wanted)
    table = figure_comparison(engine, group)
    if similarity is not None:  # near_group applied related_to's test: the words measure it
        table.update(asked=wanted, similarity=similarity, threshold=engine.figures.threshold,
                     related=[figure_comparison(engine, other)
                              for other in related_groups(engine, group, wanted)])
    return table


def _all_figures(table: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure of a figures table and of the groups gathered with it."""
    return [item for each in (table, *table.get("related", ())) for item in every_figure(each)]


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


_CHOSEN_WORDS = {"ids": "所选做法 · The practices chosen",
                 "ids and query": "所选做法，各注明与问题的匹配程度 · The practices chosen, each "
                                  "with how it matches the question",
                 "figures": "下表数据所出自的做法 · The practices the figures below come from"}


def selection_note(brief: Brief) -> str:
    """How the brief's practices were chosen, said in it: those chosen, those the figures come
    from, or those that answer the question (`strong`, `partial`: none weaker)."""
    if brief.chosen_by in _CHOSEN_WORDS:
        return _CHOSEN_WORDS[brief.chosen_by]
    levels = _levels_from(brief.chosen_by)
    chinese = "、".join(LEVEL_WORDS[level][0] for level in levels)
    matches = f"{' or '.join(levels)} matches"
    if not brief.practices:
        return (f"没有做法回答这个问题（{chinese}） · No practice in the corpus answers the "
                f"question ({matches})")
    if "weak" in levels:
        return (f"问题的最佳做法，含仅相关的（{chinese}） · The question's best practices, "
                f"{matches} included")
    return (f"只收回答这个问题的做法（{chinese}） · Only the practices that answer the question "
            f"({matches}); weaker ones are left out")


def _page_header(brief: Brief) -> str:
    """Each page's header: the title, the date, and where the practices come from."""
    return " · ".join(part for part in (brief.title, brief.made_on,
                                        f"casesearch: {brief.corpus}" if brief.corpus else "")
                      if part)


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


def _figure_notes(table: dict[str, Any]) -> list[str]:
    """Where the table's figures come from: each sentence once, with its place and case."""
    return list(dict.fromkeys(f"{item['city']}, {item['case_id']}: {item['text']}"
                              for item in _all_figures(table)))


def _figure_place(item: dict[str, Any]) -> str:
    """A row's place, with the part of it the figure is about: 枣庄市（市中区）."""
    return f"{item['city']}（{item['scope']}）" if item["scope"] else item["city"]


def _figure_blocks(table: dict[str, Any]) -> list[tuple[str, int, list[tuple[str, list]]]]:
    """A figures table as the brief shows it: its heading (depth 0) and level sections, then
    each group gathered with it under a heading of its own (depth 1), never in its ranking."""
    blocks = [(_figures_heading(table), 0, _figure_sections(table))]
    for other in table.get("related", ()):
        blocks.append((f"相关数据组 · Also about “{table['asked']}”: {other['metric']} "
                       f"({other['unit']}, {KIND_LABELS[other['kind']]})", 1,
                       _figure_sections(other)))
    return blocks


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
    if brief.chosen_by:
        lines += [f"*{md_text(selection_note(brief))}*", ""]
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
    chosen = _group_chosen(table)
    lines: list[str] = []
    for heading, depth, sections in _figure_blocks(table):
        lines += [f"{'#' * (2 + depth)} {md_text(heading)}", ""]
        if depth == 0 and chosen:
            lines += [f"*{md_text(chosen)}*", ""]
        for level, section in sections:
            lines += [f"{'#' * (3 + depth)} {md_text(level)}", "",
                      "| " + " | ".join(md_text(name) for name in FIGURE_COLUMNS) + " |",
                      "|---" * len(FIGURE_COLUMNS) + "|"]
            lines += ["| " + " | ".join(md_text(cell) for cell in _figure_cells(item)) + " |"
                      for item in section]
            lines.append("")
    lines += ["出处 · Sources:", ""]
    lines += [f"- {md_text(note)}" for note in _figure_notes(table)]
    return [*lines, ""]


# Word

# One sans-serif look, as offices send: Latin text in Arial (Liberation Sans where it is
# missing), Chinese in Microsoft YaHei (where that is missing, the system's CJK sans), black
# headings; A4 with 2.5 cm margins; a header with the title, the date and the source; numbered
# pages.
LATIN_FONT, CJK_FONT = "Arial", "Microsoft YaHei"
TEXT_WIDTH_CM = 16.0
# The figures table's columns, in cm (TEXT_WIDTH_CM in all): a case id fits on one line.
FIGURE_WIDTHS_CM = (3.4, 1.8, 2.6, 4.0, 4.2)


class _Word:
    """A Word document that every text enters through `plain_text` (python-docx refuses the
    characters it removes): the only way `brief_docx` writes one."""

    def __init__(self, header: str) -> None:
        from docx import Document
        from docx.shared import Cm, Pt

        self.document = Document()
        section = self.document.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(2.5))
        self._one_look()
        self.document.styles["Normal"].font.size = Pt(11)
        self._header_and_page_numbers(section, header)

    def _one_look(self) -> None:
        """Every style in the two fonts (a theme font would win over them), headings black."""
        from docx.oxml.ns import qn

        styles = self.document.styles.element
        for fonts in styles.iter(qn("w:rFonts")):
            for name in list(fonts.attrib):
                if name.endswith("Theme") or name.endswith("theme"):
                    del fonts.attrib[name]
            for script, font in (("w:ascii", LATIN_FONT), ("w:hAnsi", LATIN_FONT),
                                 ("w:cs", LATIN_FONT), ("w:eastAsia", CJK_FONT)):
                fonts.set(qn(script), font)
        for color in styles.iter(qn("w:color")):
            for name in ("w:themeColor", "w:themeShade", "w:themeTint"):
                color.attrib.pop(qn(name), None)
            color.set(qn("w:val"), "000000")
        for border in list(styles.iter(qn("w:pBdr"))):  # the Title's blue rule
            border.getparent().remove(border)

    def _header_and_page_numbers(self, section: Any, header: str) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Pt

        top = section.header.paragraphs[0]
        top.add_run(one_line(header)).font.size = Pt(8)
        bottom = section.footer.paragraphs[0]
        bottom.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = bottom.add_run()
        run.font.size = Pt(8)
        for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
            if kind:
                part = OxmlElement("w:fldChar")
                part.set(qn("w:fldCharType"), kind)
            else:
                part = OxmlElement("w:instrText")
                part.set(qn("xml:space"), "preserve")
                part.text = text
            run._r.append(part)

    def title(self, text: str) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        self.document.core_properties.title = one_line(text)[:255]
        heading = self.document.add_heading(one_line(text), level=0)
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for run in heading.runs:
            run.font.size = Pt(20)

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

    def table(self, header: tuple[str, ...], rows: list[tuple[str, ...]],
              widths_cm: tuple[float, ...]) -> None:
        """A table of fixed column widths (Word otherwise squeezes a column of ids), its
        header row in bold and repeated on every page."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Cm, Pt

        grid = self.document.add_table(rows=1, cols=len(header))
        grid.style = "Table Grid"
        grid.autofit = False
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        grid.rows[0]._tr.get_or_add_trPr().append(repeat)
        for row_cells, texts in ((grid.rows[0].cells, header),
                                 *((grid.add_row().cells, row) for row in rows)):
            for cell, text, width in zip(row_cells, texts, widths_cm, strict=True):
                cell.width = Cm(width)
                run = cell.paragraphs[0].add_run(one_line(text))
                run.font.size = Pt(9)
                run.bold = texts is header or None
        for column, width in zip(grid.columns, widths_cm, strict=True):
            column.width = Cm(width)

    def saved(self) -> bytes:
        out = io.BytesIO()
        self.document.save(out)
        return out.getvalue()


def brief_docx(brief: Brief) -> bytes:
    """The brief as a Word document (.docx)."""
    word = _Word(_page_header(brief))
    word.title(brief.title)
    if brief.query:
        word.paragraph(brief.query, lead="问题 · Question: ")
    word.paragraph(_made(brief))
    if brief.chosen_by:
        word.paragraph(selection_note(brief), italic=True)
    for number, practice in enumerate(brief.practices, start=1):
        case = practice.case
        word.heading(f"{number}. {_heading(case)}")
        if practice.match:
            word.paragraph(MATCH_WORDS[practice.match], italic=True)
        word.paragraph(case.text)
        word.paragraph(f"来源 · Source: {_source(case)}"
                       + (f" · {practice.url}" if practice.url else ""), size=9)
    if brief.figures:
        chosen = _group_chosen(brief.figures)
        for heading, depth, sections in _figure_blocks(brief.figures):
            word.heading(heading, level=1 + depth)
            if depth == 0 and chosen:
                word.paragraph(chosen, italic=True, size=9)
            for level, section in sections:
                word.heading(level, level=2 + depth)
                word.table(FIGURE_COLUMNS, [_figure_cells(item) for item in section],
                           FIGURE_WIDTHS_CM)
        word.paragraph("出处 · Sources:")
        for note in _figure_notes(brief.figures):
            word.paragraph(note, size=9, style="List Bullet")
    return word.saved()


def render_brief(brief: Brief, form: str) -> bytes:
    """The brief in a format: `docx` or `md` (UTF-8)."""
    if form == "docx":
        return brief_docx(brief)
    if form == "md":
        return brief_markdown(brief).encode("utf-8")
    raise ApiError(422, f"format must be docx or md; got {form[:20]!r}")

"""Results for spreadsheets: a table (columns, then one row per hit or figure), written as CSV
or as an Excel workbook (.xlsx), the same columns either way.

Every table the project writes goes through `Table` and `render_table`: CSV is UTF-8 with a
byte order mark (without one, Excel and LibreOffice's defaults read UTF-8 as a legacy code page
and show 日照市 as `æ—¥ç…§å¸‚`), numbers are numbers, and a text cell a spreadsheet would run
as a formula is kept as text (`spreadsheet_cell` in CSV; in a workbook every text is a string
cell, never a formula).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from index.retrieval.search import Hit
from service.records import Result

# A result's fields but the snippet (HTML, and its sentence is in the text), after its rank.
CSV_COLUMNS = ("rank", *(name for name in Result.model_fields if name != "snippet"))
# A batch's: each row led by its question.
BATCH_COLUMNS = ("query", *CSV_COLUMNS)
# The columns of long text: wide and wrapped in a workbook.
LONG_TEXT = frozenset({"text", "query"})

# The first characters that make a spreadsheet read a cell as a formula (OWASP, "CSV
# injection"): = + - @, tab, carriage return; NUL, which some readers drop before looking; and
# the full-width ＝＋－＠, which input methods and some East Asian spreadsheet set-ups turn into
# their ASCII forms. Chinese text can hold those, and quoting one costs only a visible `'`.
FORMULA_STARTS = frozenset("=+-@\t\r\0＝＋－＠")

LIST_SEPARATOR = " / "  # a list in one cell: a place's chain, 山东省 / 青岛市 / 崂山区
BOM = "\ufeff"
# How a table is written, and what it is served as.
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
TABLE_FORMATS = tuple(MEDIA_TYPES)


@dataclass(frozen=True)
class Table:
    """One sheet: its name, its columns, and its rows (values as the API's JSON gives them)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    long_text: frozenset[str] = field(default=LONG_TEXT)


def spreadsheet_cell(value: object) -> object:
    """A CSV cell: a number as it is (-3.5 stays a number), nothing for None, a list as its
    items joined by LIST_SEPARATOR, and text that begins (after spaces) with a formula start
    behind a `'`, which spreadsheets show as text."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = _as_text(value)
    if text[:1] in FORMULA_STARTS or text.lstrip()[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def _as_text(value: object) -> str:
    return LIST_SEPARATOR.join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def csv_text(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """CSV with a byte order mark and a header, every cell through `spreadsheet_cell`; CRLF
    line ends, as spreadsheets expect. (Read it in Python with encoding="utf-8-sig".)"""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(name) for name in columns])
    writer.writerows([spreadsheet_cell(value) for value in row] for row in rows)
    return out.getvalue()


# Characters a workbook's XML cannot hold (C0 controls but tab and line ends, lone surrogates,
# U+FFFE/U+FFFF); none means anything in a cell.
_UNHOLDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_NAME_UNSAFE = re.compile(r"[\[\]:*?/\\\x00-\x1f']")
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
MAX_WIDTH = 60  # characters: wider columns wrap


def workbook(tables: Sequence[Table]) -> bytes:
    """The tables as an Excel workbook, a sheet each: a bold header row that stays in view and
    filters, numbers as numbers, every text a string cell (never a formula or a link), long
    texts wrapped in a wide column."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    header = book.add_format({"bold": True, "bg_color": "#EEEEEE", "border": 1})
    wrapped = book.add_format({"text_wrap": True, "valign": "top"})
    top = book.add_format({"valign": "top"})
    names: set[str] = set()
    for table in tables or (Table("results", (), ()),):
        sheet = book.add_worksheet(_sheet_name(table.name, names))
        for column, name in enumerate(table.columns):
            sheet.write_string(0, column, name, header)
            long = name in table.long_text
            sheet.set_column(column, column, MAX_WIDTH if long else _width(table, column, name),
                             wrapped if long else top)
        for row_number, row in enumerate(table.rows, start=1):
            for column, value in enumerate(row):
                _write(sheet, row_number, column, value)
        sheet.freeze_panes(1, 0)
        if table.columns:
            sheet.autofilter(0, 0, max(len(table.rows), 1), len(table.columns) - 1)
    book.close()
    return out.getvalue()


def _write(sheet: object, row: int, column: int, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, column, value)
    else:
        sheet.write_string(row, column, _within(_holdable(_as_text(value)), MAX_CELL_CHARS))


def _holdable(text: str) -> str:
    return _UNHOLDABLE.sub("", text)


def _within(text: str, units: int) -> str:
    """The longest start of `text` of at most `units` UTF-16 code units (how Excel counts:
    a character past U+FFFF, an emoji, is two)."""
    if len(text.encode("utf-16-le")) <= 2 * units:
        return text
    kept, used = [], 0
    for char in text:
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            break
        kept.append(char)
    return "".join(kept)


def _width(table: Table, column: int, name: str) -> float:
    """A column's width in characters: its longest value (a CJK character counts two)."""
    def chars(value: object) -> int:
        text = "" if value is None else _as_text(value)
        return sum(2 if ord(char) > 0x2E7F else 1 for char in text)
    longest = max([chars(name), *(chars(row[column]) for row in table.rows[:500])])
    return min(MAX_WIDTH, longest + 2)


RESERVED_SHEET_NAMES = frozenset({"history"})  # Excel keeps it for its change tracking


def _sheet_name(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: 31 UTF-16 units at most, none of []:*?/\\' or of what XML
    cannot hold, not `History`, and unique."""
    base = _SHEET_NAME_UNSAFE.sub(" ", _holdable(name)).strip() or "sheet"
    candidate, number = _within(base, 31), 2
    while candidate.lower() in taken | RESERVED_SHEET_NAMES:
        suffix = f" ({number})"
        candidate, number = _within(base, 31 - len(suffix)) + suffix, number + 1
    taken.add(candidate.lower())
    return candidate


def render_table(tables: Sequence[Table], form: str) -> bytes:
    """Tables as a file: `csv` (UTF-8 with a BOM; several tables one after another, which
    only a batch makes: its rows are led by their question) or `xlsx` (a sheet each)."""
    if form == "xlsx":
        return workbook(tables)
    if form == "csv":
        first = tables[0] if tables else Table("results", CSV_COLUMNS, ())
        return csv_text(first.columns, [row for table in tables for row in table.rows]
                        ).encode("utf-8")
    raise ValueError(f"a table is written as {' or '.join(TABLE_FORMATS)}, not {form!r}")


def hit_rows(hits: Sequence[Hit], first_rank: int = 1) -> tuple[tuple, ...]:
    """One CSV_COLUMNS row per hit, its values as the API's JSON gives them; ranks count from
    `first_rank` (e.g. offset + 1)."""
    rows = [hit.to_dict() for hit in hits]
    return tuple((rank, *(row[name] for name in CSV_COLUMNS[1:]))
                 for rank, row in enumerate(rows, start=first_rank))


def hits_table(hits: Sequence[Hit], first_rank: int = 1, name: str = "results") -> Table:
    """The hits of one question as a table."""
    return Table(name, CSV_COLUMNS, hit_rows(hits, first_rank))


def batch_tables(answers: Sequence[tuple[str, Sequence[Hit]]]) -> list[Table]:
    """The hits of several questions: a table per question (a sheet in a workbook, named by
    its number and question), each row led by its question (so that the CSV, one table after
    another, keeps which question a row answers)."""
    return [Table(f"{number} {query}", BATCH_COLUMNS,
                  tuple((query, *row) for row in hit_rows(hits)))
            for number, (query, hits) in enumerate(answers, start=1)]

"""Results as CSV for spreadsheets: one row per hit, in rank order, UTF-8 without a BOM.

Every CSV the project writes goes through `csv_text`, which writes numbers as numbers and
quotes a text cell a spreadsheet would otherwise run as a formula (`spreadsheet_cell`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from index.retrieval.search import Hit
from service.records import Result

# A result's fields but the snippet (HTML, and its sentence is in the text), after its rank.
CSV_COLUMNS = ("rank", *(name for name in Result.model_fields if name != "snippet"))

# The first characters that make a spreadsheet read a cell as a formula (OWASP, "CSV
# injection"): = + - @, tab, carriage return; NUL, which some readers drop before looking; and
# the full-width ＝＋－＠, which input methods and some East Asian spreadsheet set-ups turn into
# their ASCII forms. Chinese text can hold those, and quoting one costs only a visible `'`.
FORMULA_STARTS = frozenset("=+-@\t\r\0＝＋－＠")


LIST_SEPARATOR = " / "  # a list in one cell: a place's chain, 山东省 / 青岛市 / 崂山区


def spreadsheet_cell(value: object) -> object:
    """A CSV cell: a number as it is (-3.5 stays a number), nothing for None, a list as its
    items joined by LIST_SEPARATOR, and text that begins (after spaces) with a formula start
    behind a `'`, which spreadsheets show as text."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = LIST_SEPARATOR.join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    if text[:1] in FORMULA_STARTS or text.lstrip()[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def csv_text(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """CSV with a header, every cell through `spreadsheet_cell`; CRLF line ends, as
    spreadsheets expect."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(name) for name in columns])
    writer.writerows([spreadsheet_cell(value) for value in row] for row in rows)
    return out.getvalue()


def hit_rows(hits: Sequence[Hit], first_rank: int = 1) -> list[tuple]:
    """One CSV_COLUMNS row per hit, its values as the API's JSON gives them; ranks count from
    `first_rank` (e.g. offset + 1)."""
    rows = [hit.to_dict() for hit in hits]
    return [(rank, *(row[name] for name in CSV_COLUMNS[1:]))
            for rank, row in enumerate(rows, start=first_rank)]


def hits_csv(hits: Sequence[Hit], first_rank: int = 1) -> str:
    """The hits of one question as CSV text."""
    return csv_text(CSV_COLUMNS, hit_rows(hits, first_rank))


def batch_csv(answers: Sequence[tuple[str, Sequence[Hit]]]) -> str:
    """The hits of several questions as CSV text, each row led by its question."""
    return csv_text(("query", *CSV_COLUMNS),
                    [(query, *row) for query, hits in answers for row in hit_rows(hits)])

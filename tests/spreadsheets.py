"""Reading back what the service writes for spreadsheets: CSV (it must start with the byte
order mark Excel needs) and workbooks."""

from __future__ import annotations

import io

BOM = "\ufeff"


def csv_file(text: str | bytes) -> io.StringIO:
    """A CSV answer as a file to read with `csv`, once its byte order mark is checked and
    taken off."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    assert text.startswith(BOM), f"no byte order mark: {text[:40]!r}"
    return io.StringIO(text[len(BOM):])


def xlsx_sheets(data: bytes) -> dict[str, list[list[object]]]:
    """A workbook's sheets, each as its rows of values (None for an empty cell)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets}

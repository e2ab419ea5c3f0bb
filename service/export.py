"""Results as CSV for spreadsheets: one row per hit, in rank order, UTF-8 without a BOM."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from index.retrieval.search import Hit

CSV_COLUMNS = ("rank", "id", "city", "seq", "year", "province", "score", "match", "text")


def hit_rows(hits: Sequence[Hit], first_rank: int = 1) -> list[tuple]:
    """One CSV_COLUMNS row per hit; ranks count from `first_rank` (e.g. offset + 1)."""
    return [(rank, hit.case.id, hit.case.city, hit.case.seq, hit.case.year, hit.case.province,
             f"{hit.score:.4f}", hit.match, hit.case.text)
            for rank, hit in enumerate(hits, start=first_rank)]


def csv_text(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """CSV with a header; CRLF line ends, as spreadsheets expect."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def hits_csv(hits: Sequence[Hit], first_rank: int = 1) -> str:
    """The hits of one question as CSV text."""
    return csv_text(CSV_COLUMNS, hit_rows(hits, first_rank))


def batch_csv(answers: Sequence[tuple[str, Sequence[Hit]]]) -> str:
    """The hits of several questions as CSV text, each row led by its question."""
    return csv_text(("query", *CSV_COLUMNS),
                    [(query, *row) for query, hits in answers for row in hit_rows(hits)])

"""Figures compared across cities, as every surface shows them (API, CLI, MCP, page, brief).

A comparison is one figure group: one row per city and year (index.figures.FigureTable.rows),
each row tracing back to its case and sentence. Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from index.errors import InvalidRequestError, UnknownGroupError
from index.figures import CaseFigure, FigureGroup
from index.retrieval.search import SearchEngine
from service.export import csv_text
from service.problems import ApiError

KIND_LABELS = {"level": "水平 · level", "change": "变化 · change", "rank": "排名 · rank"}
CSV_COLUMNS = ("metric", "city", "year", "value", "high", "unit", "shown", "kind", "as_written",
               "scope", "case_id", "sentence")


def group_summary(engine: SearchEngine, group: FigureGroup) -> dict[str, Any]:
    """A group as listed: what it measures, in which unit, and how many cities report it."""
    table = engine.figures
    return {"id": group.id, "metric": group.metric, "unit": group.unit, "kind": group.kind,
            "cities": table.cities(group), "count": len(group.members)}


def figure_row(engine: SearchEngine, item: CaseFigure) -> dict[str, Any]:
    """One figure as a row of a comparison: its value, and the sentence it comes from."""
    figure = item.figure
    text = engine.case(item.case_id).text
    start, end = figure.sentence
    return {"city": item.city, "case_id": item.case_id, "year": item.year,
            "value": figure.value, "high": figure.high, "unit": figure.unit,
            "shown": item.display, "kind": figure.kind, "as_written": figure.text,
            "approx": figure.approx, "metric": figure.metric, "scope": figure.scope,
            "text": text[start:end].strip(), "span": [figure.start, figure.end]}


def comparison(engine: SearchEngine, group: FigureGroup) -> dict[str, Any]:
    """The group's figures, one row per city and year, largest first; a city's other figures
    of that year in the group (its districts, say) come with its row under `also`."""
    rows = []
    for first, others in engine.figures.rows(group):
        row = figure_row(engine, first)
        row["also"] = [figure_row(engine, other) for other in others]
        rows.append(row)
    return {**group_summary(engine, group), "figures": rows}


def resolve_group(engine: SearchEngine, wanted: str) -> tuple[FigureGroup, float | None,
                                                               list[tuple[FigureGroup, float]]]:
    """A group from its id, or the group nearest a free-text metric (with its similarity and
    the next nearest groups).

    Raises:
        ApiError: 404 when the corpus holds no figure at all; 422 for a metric without words.
    """
    table = engine.figures
    try:
        return table.group(wanted), None, []
    except UnknownGroupError:
        pass
    try:
        nearest = engine.figure_groups(wanted, limit=5)
    except InvalidRequestError as exc:
        raise ApiError(422, str(exc)) from None
    if not nearest:
        raise ApiError(404, "the corpus holds no figures to compare")
    (group, similarity), others = nearest[0], nearest[1:]
    return group, similarity, others


def metric_comparison(engine: SearchEngine, metric: str) -> dict[str, Any]:
    """`GET /api/figures?metric=…`: the nearest group's comparison, how near it is, and the
    next nearest groups to try instead."""
    group, similarity, others = resolve_group(engine, metric)
    answer = comparison(engine, group)
    answer["query"] = metric
    if similarity is not None:
        answer["similarity"] = similarity
    answer["other_groups"] = [{**group_summary(engine, other), "similarity": score}
                              for other, score in others]
    return answer


def every_figure(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """A comparison's figures one by one: each row, then its `also` figures."""
    return [item for row in answer["figures"] for item in (row, *row["also"])]


def comparison_csv(answer: dict[str, Any]) -> str:
    """A comparison as CSV: one line per figure (a row's `also` figures follow it)."""
    lines: list[Sequence[object]] = []
    for item in every_figure(answer):
        lines.append((answer["metric"], item["city"], item["year"], _number(item["value"]),
                      _number(item["high"]), item["unit"], item["shown"], item["kind"],
                      item["as_written"], item["scope"], item["case_id"], item["text"]))
    return csv_text(CSV_COLUMNS, lines)


def _number(value: float | None) -> int | float | None:
    """A value for a spreadsheet, as a number: `178000`, `93.37`; None when there is none."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def groups_listing(engine: SearchEngine) -> dict[str, Any]:
    """`GET /api/figures`: every group, those reported by the most cities first."""
    groups = [group_summary(engine, group) for group in engine.figures.groups]
    return {"total": len(groups), "groups": groups}

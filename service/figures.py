"""Figures compared across cities, as every surface shows them (API, CLI, MCP, page, brief).

A comparison is one figure group: one row per place and year (index.figures.FigureTable.rows),
each row tracing back to its case and sentence, rows of one place level ranked together (a
district's figure never against a province's). Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from index.errors import UnknownGroupError
from index.figures import (
    VAGUE_CHARS,
    CaseFigure,
    FigureGroup,
    embed_metrics,
    metric_key,
    similarity,
)
from index.retrieval.glosses import english_words, glosses_of
from index.retrieval.lexical import tokenize, written_in_han
from index.retrieval.search import SearchEngine
from service import records
from service.export import Table
from service.problems import ApiError
from service.validate import shown

KIND_LABELS = {"level": "水平 · level", "change": "变化 · change", "rank": "排名 · rank"}
# A figure's fields but its span (two numbers, not a cell), one line a figure: the place, the
# value, and the sentence it comes from beside it, then what qualifies it; the place level last.
CSV_COLUMNS = ("metric", "city", "scope", "year", "value", "high", "unit", "shown",
               "as_written", "text", "approx", "kind", "case_id", "place_level")


def group_summary(engine: SearchEngine, group: FigureGroup) -> dict[str, Any]:
    """A group as listed: what it measures, in which unit, and how many cities report it."""
    table = engine.figures
    return records.shaped(records.FigureGroup, id=group.id, metric=group.metric,
                          unit=group.unit, kind=group.kind, cities=table.cities(group),
                          count=len(group.members))


def figure_row(engine: SearchEngine, item: CaseFigure) -> dict[str, Any]:
    """One figure as a row of a comparison: its value, and the sentence it comes from."""
    figure = item.figure
    return records.shaped(records.FigureRow, metric=figure.metric, city=item.city,
                          year=item.year, value=figure.value, high=figure.high,
                          unit=figure.unit, shown=item.display, kind=figure.kind,
                          as_written=figure.text, approx=figure.approx, scope=figure.scope,
                          case_id=item.case_id, text=figure_sentence(engine, item),
                          span=[figure.start, figure.end], place_level=item.place_level)


def figure_sentence(engine: SearchEngine, item: CaseFigure) -> str:
    """The sentence a figure comes from, in its case's text."""
    start, end = item.figure.sentence
    return engine.case(item.case_id).text[start:end].strip()


def comparison(engine: SearchEngine, group: FigureGroup) -> dict[str, Any]:
    """The group's figures, one row per city and year, largest first; a city's other figures
    of that year in the group (its districts, say) come with its row under `also`."""
    rows = [records.shaped(records.ComparedFigure, **figure_row(engine, first),
                           also=[figure_row(engine, other) for other in others])
            for first, others in engine.figures.rows(group)]
    return records.shaped(records.FigureComparison, **group_summary(engine, group),
                          levels=list(dict.fromkeys(row["place_level"] for row in rows)),
                          figures=rows)


def by_level(rows: Sequence[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """A comparison's rows in sections of one place level each, in their order (they come
    sorted by level: `index.figures.FigureTable.rows`)."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        sections.setdefault(row["place_level"], []).append(row)
    return list(sections.items())


def resolve_group(engine: SearchEngine, wanted: str) -> tuple[FigureGroup, float | None,
                                                               list[tuple[FigureGroup, float]]]:
    """A group from its id, or the group nearest a free-text metric (with its similarity and
    the next nearest groups).

    Raises:
        ApiError: 404 when the corpus holds no figure at all.
        InvalidRequestError: a metric without words.
    """
    table = engine.figures
    try:
        return table.group(wanted), None, []
    except UnknownGroupError:
        pass
    nearest = engine.figure_groups(wanted, limit=5)
    if not nearest:
        raise ApiError(404, "the corpus holds no figures to compare")
    (group, similarity), others = nearest[0], nearest[1:]
    return group, similarity, others


def near_group(engine: SearchEngine, wanted: str) -> tuple[FigureGroup, float | None]:
    """A group from its id, or the group nearest a free-text metric when it measures the same
    thing (`measure_similarities` at the grouping threshold or above), with that similarity.

    Raises:
        ApiError: 422 when the nearest group is not near enough, naming the nearest to try
            (`nearest_groups`); as `resolve_group` otherwise.
    """
    group, score, others = resolve_group(engine, wanted)
    if score is None:
        return group, None
    threshold = engine.figures.threshold
    candidates = [group, *(other for other, _ in others)]
    scores = measure_similarities(engine, wanted, candidates)
    if scores[0] >= threshold:
        return group, scores[0]
    nearest = [_near(engine, each, near) for each, near in zip(candidates, scores, strict=True)]
    listed = "; ".join(f"{g['metric']} ({g['unit']}, id {g['id']}, similarity "
                       f"{g['similarity']:.2f})" for g in nearest)
    raise ApiError(422, f"no figure group measures {shown(wanted)} closely enough: the nearest "
                        f"are {listed}, below the {threshold:.2f} at which two phrases count "
                        f"as the same measure. Give one of their ids instead, or see every "
                        f"group (GET /api/figures, `casesearch figures`)",
                   nearest_groups=nearest)


def measure_similarities(engine: SearchEngine, metric: str,
                         groups: Sequence[FigureGroup]) -> list[float]:
    """How alike a free-text metric is to each group's phrases, on the scale the grouping
    threshold was calibrated on (`index.figures.similarity`: each embedder's cosine and the
    characters in common, averaged), averaged over a group's phrases as the grouping's average
    linkage does. A metric in another script shares no characters with the phrases: the share
    of its words among their glosses stands in (as in `FigureTable.nearest`)."""
    phrases_of = [_phrases(engine, group) for group in groups]
    phrases = list(dict.fromkeys(phrase for each in phrases_of for phrase in each))
    keys = [metric_key(metric), *phrases]
    embedders = [engine.embedder, *([engine.second] if engine.second is not None else [])]
    vector_sets = [embed_metrics(keys, embedder) for embedder in embedders]
    if written_in_han(metric):
        alike = similarity(keys, vector_sets)[0, 1:]
    else:
        cosines = similarity(keys, vector_sets, characters=False)[0, 1:]
        shares = np.array(_gloss_shares(list(dict.fromkeys(english_words(metric))), phrases))
        alike = (cosines * len(embedders) + shares) / (len(embedders) + 1)
    row = {phrase: float(value) for phrase, value in zip(phrases, alike, strict=True)}
    return [round(float(np.mean([row[phrase] for phrase in each])), 4) for each in phrases_of]


def _gloss_shares(words: list[str], phrases: list[str]) -> list[float]:
    """For each phrase, the share of `words` found among the glosses of its terms."""
    terms = {phrase: tokenize(phrase) for phrase in phrases}
    # one pass over the dictionary for every term not looked up yet
    glosses = glosses_of(term for each in terms.values() for term in each)
    shares = []
    for phrase in phrases:
        glossed = {word for term in terms[phrase] for word in glosses[term]}
        shares.append(sum(word in glossed for word in words) / len(words) if words else 0.0)
    return shares


def _near(engine: SearchEngine, group: FigureGroup, score: float) -> dict[str, Any]:
    return records.shaped(records.NearGroup, **group_summary(engine, group), similarity=score)


def metric_comparison(engine: SearchEngine, metric: str) -> dict[str, Any]:
    """`GET /api/figures?metric=…`: the nearest group's comparison, how near it is (1 for a
    group's own id), the groups gathered with it (`gathered`), and the next nearest groups to
    try instead."""
    group, similarity, related, others = gathered(engine, metric)
    return records.shaped(records.MetricComparison, **comparison(engine, group), query=metric,
                          similarity=1.0 if similarity is None else similarity,
                          related=[comparison(engine, each) for each in related],
                          other_groups=[_near(engine, other, score) for other, score in others])


def gathered(engine: SearchEngine, metric: str) -> tuple[
        FigureGroup, float | None, list[FigureGroup], list[tuple[FigureGroup, float]]]:
    """What a metric brings, on every surface: the group it names or is nearest
    (`resolve_group`, with its similarity), the groups gathered with it (`related_to`), and
    the next nearest groups, but those already shown."""
    group, similarity, others = resolve_group(engine, metric)
    related = [] if similarity is None else related_to(engine, group, metric)
    shown = {group.id, *(each.id for each in related)}
    return group, similarity, related, [(other, score) for other, score in others
                                        if other.id not in shown]


MAX_RELATED = 6


def related_to(engine: SearchEngine, group: FigureGroup, asked: str) -> list[FigureGroup]:
    """The groups gathered with `group` for a metric asked in words: none unless those words
    measure `group` closely enough (`measure_similarities` at the grouping threshold: the test
    `near_group` applies to a brief's metric), else `related_groups`."""
    if measure_similarities(engine, asked, [group])[0] < engine.figures.threshold:
        return []
    return related_groups(engine, group, asked)


def related_groups(engine: SearchEngine, group: FigureGroup, asked: str) -> list[FigureGroup]:
    """The other groups an analyst asking `asked` means as well, in `group`'s unit:
    - those whose measure names what was asked or `group`'s own phrase (校车 →
      购置新国标校车), a phrase of two characters or more;
    - when that is a thing rather than a measure (a phrase of VAGUE_CHARS: 校车, 教师), those
      with a figure in a sentence that names it, whose own measure holds the thing's head (a
      Chinese compound's last character: 车 of 校车 in 运营车辆, 师 of 教师 in 招考教师), so
      that a figure that only shares a sentence (运动员 beside 教师) is not taken.
    At most MAX_RELATED, those reported by the most cities first."""
    table = engine.figures
    anchors = {phrase for phrase in _phrases(engine, group) if len(phrase) >= 2}
    if written_in_han(asked) and len(metric_key(asked)) >= 2:
        anchors.add(metric_key(asked))
    things = {anchor for anchor in anchors if len(anchor) <= VAGUE_CHARS}
    found = []
    for other in table.groups:
        if other.id == group.id or other.unit != group.unit:
            continue
        phrases = _phrases(engine, other)
        if any(anchor in phrase for anchor in anchors for phrase in phrases) or any(
                any(thing[-1] in phrase for phrase in phrases)
                and any(thing in figure_sentence(engine, table.figures[member])
                        for member in other.members)
                for thing in things):
            found.append(other)
    found.sort(key=lambda each: (-table.cities(each), -len(each.members), each.metric))
    return found[:MAX_RELATED]


def _phrases(engine: SearchEngine, group: FigureGroup) -> list[str]:
    return list(dict.fromkeys(metric_key(engine.figures.figures[member].figure.metric)
                              for member in group.members))


def every_figure(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """A comparison's figures one by one: each row, then its `also` figures."""
    return [item for row in answer["figures"] for item in (row, *row["also"])]


def comparison_tables(answer: dict[str, Any], form: str) -> list[Table]:
    """A comparison as tables, one line per figure (a row's `also` figures follow it), the
    values as numbers: in a workbook (`xlsx`) a sheet for its group and one for each group
    gathered with it (`related`); in CSV, one table, its group's figures only (another
    measure's values in the same column would be summed with them)."""
    numbers = {"value", "high"}
    groups = (answer, *answer.get("related", ())) if form == "xlsx" else (answer,)
    return [Table(each["metric"], CSV_COLUMNS,
                  tuple(tuple(_number(item[name]) if name in numbers else item[name]
                              for name in CSV_COLUMNS) for item in every_figure(each)))
            for each in groups]


def _number(value: float | None) -> int | float | None:
    """A value for a spreadsheet, as a number: `178000`, `93.37`; None when there is none."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def groups_listing(engine: SearchEngine) -> dict[str, Any]:
    """`GET /api/figures`: every group, those reported by the most cities first."""
    groups = [group_summary(engine, group) for group in engine.figures.groups]
    return records.shaped(records.FigureGroups, total=len(groups), groups=groups)

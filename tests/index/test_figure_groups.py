"""Figures grouped across cities: same measure, same unit, same kind; one row per city-year."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.figures import Figure
from corpus.models import Case
from index.errors import UnknownGroupError
from index.figures import (
    UNCALIBRATED_THRESHOLD,
    CaseFigure,
    FigureTable,
    build_figure_table,
    calibrated_threshold,
    group_figures,
    similarity,
)


def _item(city: str, metric: str, value: float, unit: str = "%", kind: str = "level",
          scope: str = "", year: int = 2020, level: str = "",
          places: tuple[str, ...] = ()) -> CaseFigure:
    figure = Figure(metric=metric, text=f"{value}{unit}", start=0, end=3, value=value,
                    unit=unit, kind=kind, sentence=(0, 10), scope=scope)
    return CaseFigure(f"x-{city}-{metric}-{value}", city, year, figure, level, places)


def _vectors(keys: list[str], same: list[set[str]]) -> np.ndarray:
    """Unit vectors where the phrases of each set point the same way, others apart."""
    rng = np.random.default_rng(3)
    base = {key: rng.standard_normal(64) for key in keys}
    for members in same:
        shared = rng.standard_normal(64)
        for key in members:
            base[key] = shared + 0.01 * rng.standard_normal(64)
    rows = np.array([base[key] for key in keys], np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _groups(items: list[CaseFigure], same: list[set[str]], threshold: float = 0.6):
    keys = list(dict.fromkeys(item.figure.metric for item in items))
    alike = similarity(keys, [_vectors(keys, same)])
    return group_figures(items, keys, alike, threshold)


def test_phrases_that_mean_the_same_group_together_and_others_do_not():
    items = [_item("青岛市", "普惠性幼儿园覆盖率", 90), _item("东营市", "普惠幼儿园覆盖率", 93.37),
             _item("东营市", "学前教育公办率", 77.54)]
    groups = _groups(items, [{"普惠性幼儿园覆盖率", "普惠幼儿园覆盖率"}])
    assert sorted(len(g.members) for g in groups) == [1, 2]
    assert groups[0].metric in ("普惠性幼儿园覆盖率", "普惠幼儿园覆盖率")  # most cities first


def test_units_and_kinds_never_mix():
    items = [_item("济南市", "教育支出", 2.1e10, unit="元"), _item("滨州市", "教育支出", 10.4),
             _item("济南市", "教育支出", 14.8, kind="change")]
    assert len(_groups(items, [])) == 3


def test_a_vague_phrase_is_compared_only_with_itself():
    items = [_item("甲市", "学校", 17, unit="所"), _item("乙市", "服务学校", 202, unit="所")]
    assert len(_groups(items, [{"学校", "服务学校"}])) == 2


def _table(items: list[CaseFigure]) -> FigureTable:
    keys = tuple(dict.fromkeys(item.figure.metric for item in items))
    vectors = _vectors(list(keys), [])
    groups = tuple(group_figures(items, keys, similarity(keys, [vectors]), 0.6))
    return FigureTable(tuple(items), groups, keys, vectors, 0.6)


def test_one_row_per_city_and_year_the_whole_city_first_largest_first():
    items = [_item("枣庄市", "拨付经费", 355e4, unit="元", scope="市本级"),
             _item("枣庄市", "拨付经费", 3700e4, unit="元", scope="市中区"),
             _item("济南市", "拨付经费", 500e4, unit="元"),
             _item("济南市", "拨付经费", 800e4, unit="元", year=2021)]
    table = _table(items)
    rows = table.rows(table.groups[0])
    assert [(row.city, row.year, row.figure.value) for row, _ in rows] == [
        ("济南市", 2021, 800e4), ("济南市", 2020, 500e4), ("枣庄市", 2020, 355e4)]
    assert [other.figure.scope for other in rows[-1][1]] == ["市中区"]


def test_rows_are_ranked_within_their_places_level_only():
    items = [_item("崂山区", "覆盖率", 97, level="county", places=("山东省", "青岛市", "崂山区")),
             _item("山东省", "覆盖率", 85, level="province", places=("山东省",)),
             _item("某地", "覆盖率", 99),
             _item("青岛市", "覆盖率", 90, level="city", places=("山东省", "青岛市")),
             _item("杭州市", "覆盖率", 95, level="city", places=("浙江省", "杭州市")),
             _item("龙口市", "覆盖率", 88, level="county", places=("山东省", "烟台市", "龙口市"))]
    table = _table(items)
    rows = table.rows(table.groups[0])
    assert [(row.place_level, row.city) for row, _ in rows] == [
        ("province", "山东省"), ("city", "杭州市"), ("city", "青岛市"), ("county", "崂山区"),
        ("county", "龙口市"), ("", "某地")]


def test_two_places_of_one_name_are_two_rows():
    items = [_item("市中区", "覆盖率", 90, level="county", places=("山东省", "济南市", "市中区")),
             _item("市中区", "覆盖率", 80, level="county", places=("山东省", "枣庄市", "市中区"))]
    table = _table(items)
    assert [row.figure.value for row, _ in table.rows(table.groups[0])] == [90, 80]


def test_the_table_survives_its_json_and_names_unknown_groups():
    table = _table([_item("青岛市", "普惠性幼儿园覆盖率", 90, level="city",
                          places=("山东省", "青岛市"))])
    again = FigureTable.from_json(table.to_json(), table.vectors)
    assert again.groups == table.groups and again.figures == table.figures
    with pytest.raises(UnknownGroupError, match="GET /api/figures"):
        again.group("nope")


def test_nearest_weighs_shared_characters_and_glosses():
    table = _table([_item("青岛市", "普惠性幼儿园覆盖率", 90),
                    _item("德州市", "新增学位", 26700, unit="个")])
    assert table.nearest("幼儿园覆盖", None)[0][0].metric == "普惠性幼儿园覆盖率"
    assert table.nearest("new school places", None)[0][0].metric == "新增学位"
    assert all(0 <= score <= 1 for _, score in table.nearest("学位", None))


def test_a_model_without_calibration_groups_only_near_identical_phrases():
    assert calibrated_threshold("some/other-model") == UNCALIBRATED_THRESHOLD >= 0.9


def test_built_from_cases_with_the_fake_embedder(fake_embedder):
    cases = [Case("a-1", "甲市", 1, "普惠性幼儿园覆盖率提高至90%。", "t", 2020, "省", "a", 1),
             Case("a-2", "乙市", 1, "普惠性幼儿园覆盖率达到93.37%，新增学位2.67万个。", "t",
                  2021, "省", "a", 2)]
    table = build_figure_table(cases, fake_embedder)
    coverage = next(g for g in table.groups if g.metric == "普惠性幼儿园覆盖率")
    assert table.cities(coverage) == 2
    assert [item.year for item in table.figures] == [2020, 2021, 2021]
    assert [(item.case_id, group.metric) for item, group in table.of_case("a-2")] == [
        ("a-2", "普惠性幼儿园覆盖率"), ("a-2", "新增学位")]

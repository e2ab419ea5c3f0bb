"""Cases of places at every level: the place filter, the places listed, a named place's cases
first, and similar cases among places of the same level (tests/index/places_corpus.py)."""

from __future__ import annotations

import pytest

from index.errors import InvalidRequestError


def _ids(hits) -> set[str]:
    return {hit.case.id for hit in hits}


def _in(engine, places) -> set[str]:
    return _ids(engine.search("教育", k=50, places=places))


SHANDONG = {"mix2021-shandong-1", "mix2021-qingdao-1", "mix2021-laoshan-1",
            "mix2021-laoshan-2", "mix2021-longkou-1", "mix2021-shizhong-1",
            "mix2021-shizhong-2"}


@pytest.mark.parametrize("wanted", ["山东省", "山东"])
def test_a_province_takes_in_its_cities_and_counties(places_engine, wanted):
    assert _in(places_engine, [wanted]) == SHANDONG


@pytest.mark.parametrize("wanted", ["青岛", "青岛市"])
def test_a_city_takes_in_its_districts(places_engine, wanted):
    assert _in(places_engine, [wanted]) == {"mix2021-qingdao-1", "mix2021-laoshan-1",
                                            "mix2021-laoshan-2"}


def test_a_district_is_only_itself(places_engine):
    assert _in(places_engine, ["崂山区"]) == {"mix2021-laoshan-1", "mix2021-laoshan-2"}


def test_a_name_two_districts_share_takes_in_both(places_engine):
    assert _in(places_engine, ["市中区"]) == {"mix2021-shizhong-1", "mix2021-shizhong-2"}


def test_a_place_no_division_resolves_is_matched_as_written(places_engine):
    assert _in(places_engine, ["高新开发区"]) == {"mix2021-gaoxin-1"}


def test_several_places_add_up_and_other_filters_still_apply(places_engine):
    assert _in(places_engine, ["崂山区", "西湖区"]) == {"mix2021-laoshan-1", "mix2021-laoshan-2",
                                                    "mix2021-xihu-1"}
    hits = places_engine.search("教育", k=50, places=["山东"], cities=["崂山区"])
    assert _ids(hits) == {"mix2021-laoshan-1", "mix2021-laoshan-2"}


def test_an_unknown_place_is_refused_saying_where_places_are_listed(places_engine):
    with pytest.raises(InvalidRequestError, match=r"unknown places \['北京市'\].*"
                                                  r"崂山区.*GET /api/places"):
        places_engine.search("教育", places=["北京市"])


@pytest.mark.parametrize("wanted", ["浙江省", "浙江"])
def test_a_province_filter_takes_the_province_of_the_place(places_engine, wanted):
    hits = places_engine.search("教育", k=50, provinces=[wanted])
    assert _ids(hits) == {"mix2021-zhejiang-1", "mix2021-hangzhou-1", "mix2021-xihu-1"}


def test_the_places_are_listed_with_level_chain_and_count(places_engine):
    listed = {place.chain: place for place in places_engine.places()}
    assert listed[("山东省",)].level == "province" and listed[("山东省",)].count == 7
    assert listed[("山东省", "青岛市")].count == 3
    laoshan = listed[("山东省", "青岛市", "崂山区")]
    assert (laoshan.name, laoshan.level, laoshan.count) == ("崂山区", "county", 2)
    assert listed[("山东省", "烟台市")].level == "city"  # above a case, not a case's own
    unresolved = [place for place in places_engine.places() if not place.chain]
    assert [(p.name, p.level, p.count) for p in unresolved] == [("高新开发区", "", 1)]
    names = [place.chain for place in places_engine.places() if place.chain]
    assert all(chain[:-1] in names[:at] for at, chain in enumerate(names) if len(chain) > 1)


def _first(engine, question: str, n: int) -> set[str]:
    return _ids(engine.search(question, k=10)[:n])


def test_naming_a_city_puts_its_and_its_districts_cases_first(places_engine):
    query = places_engine.reader.read("青岛 普惠性幼儿园覆盖率", "hybrid")
    assert "青岛市" in query.cities and "青岛" not in query.topic
    assert _first(places_engine, "青岛 普惠性幼儿园覆盖率", 2) == {"mix2021-qingdao-1",
                                                            "mix2021-laoshan-1"}


def test_naming_a_district_by_its_short_name_puts_its_cases_first(places_engine):
    assert places_engine.reader.read("崂山的校车", "hybrid").cities == ("崂山区",)
    assert _first(places_engine, "崂山 校车", 1) == {"mix2021-laoshan-2"}


def test_naming_a_province_puts_its_cases_first(places_engine):
    hits = places_engine.search("浙江 普惠性幼儿园覆盖率", k=10)
    assert {hit.case.province for hit in hits[:2]} == {"浙江省"}


@pytest.mark.parametrize("question", ["新建学校有哪些做法", "市中心的学校课后服务", "西湖边的学校"])
def test_a_county_short_name_that_is_a_common_word_is_not_a_place(places_engine, question):
    assert places_engine.reader.read(question, "hybrid").cities == ()


def test_similar_cases_are_of_other_places_at_the_same_level(places_engine):
    hits = places_engine.similar("mix2021-laoshan-1", k=50)
    assert {hit.case.place_level for hit in hits} == {"county"}
    assert "崂山区" not in {hit.case.city for hit in hits}
    with_own = places_engine.similar("mix2021-laoshan-1", k=50, same_city=True)
    assert "mix2021-laoshan-2" in _ids(with_own)
    assert {hit.case.place_level for hit in with_own} == {"county"}


def test_a_provinces_similar_cases_are_provinces(places_engine):
    assert _ids(places_engine.similar("mix2021-shandong-1", k=50)) == {"mix2021-zhejiang-1"}


def test_two_districts_of_one_name_are_two_places(places_engine):
    assert "mix2021-shizhong-2" in _ids(places_engine.similar("mix2021-shizhong-1", k=50))


def test_a_case_of_unknown_level_is_compared_with_every_other_place(places_engine):
    hits = places_engine.similar("mix2021-gaoxin-1", k=50)
    assert {hit.case.place_level for hit in hits} == {"province", "city", "county"}


def test_a_province_takes_in_its_cases_that_no_division_placed():
    from dataclasses import replace

    from index.retrieval.places import CasePlaces
    from tests.index.places_corpus import places_corpus

    placed = places_corpus().cases[0]
    xiongan = replace(placed, id="x-xiongan-1", city="雄安新区", province="河北省", places=(),
                      place_level="", place_code="")
    shijiazhuang = replace(placed, id="x-sjz-1", city="石家庄市", province="河北省",
                           places=("河北省", "石家庄市"), place_level="city")
    rows = CasePlaces([xiongan, shijiazhuang]).rows_of("河北省")
    assert rows == {0, 1}

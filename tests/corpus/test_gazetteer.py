"""The divisions gazetteer: names as headings and cells write them, places in running text, and
the filter that matches a place at any level of its chain.

Measured on the shipped corpus (48 cases, each read with its document's province and its
section's city as hints): the finder reports 16 mentions, all right when checked by hand (14
plain ones; 山东 and 日照 in the app name “爱山东日照通” do name the two places); the one
place it misses is 聊城 in 聊城职院 (a short name with no cue). On the 16 layout fixtures of
tests/corpus (8 provinces; .txt, .md, .docx, .pdf) it reports 151 mentions, all right.
`python -m scripts.gazetteer_check [FILE ...]` lists them again.
"""

from __future__ import annotations

import sys
import zipfile

import pytest

from corpus.errors import CorpusError
from corpus.places import Gazetteer, gazetteer, matches

SHANDONG_CITIES = ["济南", "青岛", "淄博", "枣庄", "东营", "烟台", "潍坊", "济宁", "泰安", "威海",
                   "日照", "临沂", "德州", "聊城", "滨州", "菏泽"]


@pytest.fixture(scope="module")
def places() -> Gazetteer:
    return gazetteer()


def written(mentions) -> list[tuple[str, str]]:
    return [(mention.written, mention.place.code) for mention in mentions]


# Loading


def test_the_data_loads_once_without_importing_jionlp(places):
    assert gazetteer() is places
    assert sum(place.level == "province" for place in places.places) == 34
    assert "jionlp" not in sys.modules  # its import prints banners and loads models


def test_a_missing_data_file_asks_for_the_pinned_jionlp(tmp_path):
    with pytest.raises(CorpusError, match="jionlp==1.5.31"):
        Gazetteer.load(tmp_path)


def test_a_data_file_of_another_shape_asks_for_the_pinned_jionlp(tmp_path):
    with zipfile.ZipFile(tmp_path / "china_location.zip", "w") as archive:
        archive.writestr("china_location.txt", "北京\n\t朝阳\n")
    with pytest.raises(CorpusError, match="jionlp==1.5.31"):
        Gazetteer.load(tmp_path)


# Names as headings and cells write them


@pytest.mark.parametrize("city", SHANDONG_CITIES)
@pytest.mark.parametrize("suffix", ["市", ""])
def test_the_sixteen_shandong_cities_resolve_with_and_without_their_suffix(places, city, suffix):
    place = places.resolve(city + suffix)
    assert (place.level, place.chain) == ("city", ("山东省", city + "市"))


def test_a_district_resolves_with_its_chain_code_and_short_name(places):
    place = places.resolve("崂山区")
    assert (place.level, place.code, place.short) == ("county", "370212", "崂山")
    assert place.chain == ("山东省", "青岛市", "崂山区")


def test_a_county_level_city_lies_under_its_city(places):
    place = places.resolve("龙口市")
    assert (place.level, place.chain) == ("county", ("山东省", "烟台市", "龙口市"))


@pytest.mark.parametrize("name, full", [
    ("广西", "广西壮族自治区"), ("广西壮族自治区", "广西壮族自治区"), ("内蒙古", "内蒙古自治区"),
    ("新疆", "新疆维吾尔自治区"), ("香港", "香港特别行政区"),
])
def test_a_province_resolves_from_its_full_or_short_name(places, name, full):
    place = places.resolve(name)
    assert (place.level, place.chain) == ("province", (full,))


def test_a_municipality_is_a_province_whose_districts_hang_from_it(places):
    assert places.resolve("北京市").level == "province"
    assert places.resolve("东城区").chain == ("北京市", "东城区")


def test_a_city_under_the_province_directly_has_no_city_above_it(places):
    assert places.resolve("济源市").chain == ("河南省", "济源市")  # under 省直辖行政区划


@pytest.mark.parametrize("name", ["朝阳区", "市中区", "鼓楼区", "城区", "东区"])
def test_a_name_several_divisions_bear_is_none_without_a_hint(places, name):
    assert places.resolve(name) is None


@pytest.mark.parametrize("name, within, code", [
    ("朝阳区", ("北京市",), "110105"),
    ("朝阳区", ("吉林省", "长春市"), "220104"),
    ("市中区", ("山东省", "枣庄市"), "370402"),
    ("市中区", ("济南",), "370103"),
    ("鼓楼区", ("福建省",), "350102"),
])
def test_a_hint_chooses_between_namesakes(places, name, within, code):
    assert places.resolve(name, within=within).code == code


def test_a_hint_that_leaves_two_namesakes_chooses_none(places):
    assert places.resolve("市中区", within=("山东省",)) is None  # 济南's and 枣庄's


def test_a_short_name_of_a_province_and_a_city_is_the_province(places):
    assert places.resolve("吉林").level == "province"
    assert places.resolve("吉林市").chain == ("吉林省", "吉林市")


def test_a_short_name_of_a_city_and_two_districts_is_the_city(places):
    assert places.resolve("朝阳").chain == ("辽宁省", "朝阳市")  # the only city of the three


@pytest.mark.parametrize("old, new, renamed_from", [
    ("襄樊市", "襄阳市", "襄樊市"), ("襄樊", "襄阳市", "襄樊市"), ("蓬莱市", "蓬莱区", "蓬莱市"),
    ("长岛县", "蓬莱区", "长岛县"), ("平泉县", "平泉市", "平泉县"),  # 长岛县 merged into 蓬莱区
])
def test_a_former_name_resolves_to_the_current_place_and_says_so(places, old, new, renamed_from):
    place = places.resolve(old)
    assert (place.name, place.renamed_from) == (new, renamed_from)


def test_a_former_name_a_hint_places_is_resolved_where_it_was(places):
    place = places.resolve("城区", within=("山西省", "大同市"))  # 大同's 城区 became 平城区
    assert (place.name, place.renamed_from) == ("平城区", "城区")


def test_a_current_name_is_not_marked_renamed(places):
    assert places.resolve("襄阳市").renamed_from == ""


@pytest.mark.parametrize("name, within, expected", [
    ("青岛市教育局", (), "青岛市"), ("龙口市人民政府", (), "龙口市"),
    ("山东省教育厅", (), "山东省"), ("市中区教体局", ("枣庄市",), "市中区"),
    ("崂山区教育和体育局", (), "崂山区"),
])
def test_a_department_of_a_place_resolves_to_the_place(places, name, within, expected):
    assert places.resolve(name, within=within).name == expected


@pytest.mark.parametrize("name", [" 青岛　市 ", "崂 山 区", "\u200b济南市\n", "济南市："])
def test_spaces_of_any_width_do_not_matter(places, name):
    assert places.resolve(name) is not None


@pytest.mark.parametrize("name", [
    "市本级", "全市", "某市", "各区县", "全省", "高新区", "开发区管委会", "", "   ",
    "新疆生产建设兵团", "新疆生产建设兵团教育局",  # not a division: see corpus.places
])
def test_what_is_not_a_division_is_none(places, name):
    assert places.resolve(name) is None


def test_the_cities_of_the_production_corps_resolve_under_xinjiang(places):
    assert places.resolve("石河子市").chain == ("新疆维吾尔自治区", "石河子市")


@pytest.mark.parametrize("name, code", [
    ("枣庄市市中区", "370402"), ("济南市中区", "370103"), ("山东省青岛市崂山区", "370212"),
    ("吉林省吉林市", "220200"),
])
def test_a_name_written_as_a_chain_resolves_to_its_last_place(places, name, code):
    assert places.resolve(name).code == code


def test_an_autonomous_division_resolves_from_its_usual_short_form(places):
    assert places.resolve("恩施州").name == "恩施土家族苗族自治州"


# Places in running text


def test_a_county_right_after_its_city_is_the_place_a_text_is_about(places):
    text = "烟台市福山区推行“县管校聘”"
    assert written(places.mentions_in(text)) == [("烟台市", "370600"), ("福山区", "370611")]
    assert places.place_of(text).name == "福山区"


def test_a_mention_gives_its_span(places):
    mention = places.first_in("2020年，枣庄市市中区特殊教育学校")
    assert (mention.start, mention.end, mention.written) == (6, 9, "枣庄市")


def test_the_place_of_a_text_stops_where_mentions_stop_nesting(places):
    assert places.place_of("山东省教育厅组织青岛市、济南市学校") is not None
    assert places.place_of("山东省教育厅组织青岛市、济南市学校").name == "山东省"


@pytest.mark.parametrize("text", [
    "某市新建学校12所",          # 新建 is 南昌市新建区's short name
    "新建区域内学校",            # 新建区 followed by 域: the word 区域
    "永安市场监管局",            # 永安市 followed by 场: the word 市场
    "涌现出以泰山助人5少年为代表",  # 泰山 is 泰安市泰山区's short name
    "维护和平区域稳定",           # 和平区 (沈阳, 天津) + 域
    "城区学校和郊区学校",         # 城区 and 郊区 are divisions of several cities, and words
    "山东城区学校",              # 东城区 (北京) starts inside 山东
    "全省各市、县（市、区）", "我省本市全市各区县", "长安街", "开发区和高新区", "平安校园安全团结",
    "江南水乡", "市中心学校", "上海南站", "黄河南岸", "中山大学", "日照时间", "朝阳产业",
    "省、市和县三级",             # 和县 (马鞍山) inside 市和县
    "县和县级", "简单县", "湖南县域", "新县城建设", "新疆生产建设兵团",
])
def test_words_that_hold_a_place_name_are_not_places(places, text):
    assert places.mentions_in(text) == ()


def test_a_full_name_a_word_continues_is_not_read(places):
    text = "南昌市新建区新建区域学校"
    assert written(places.mentions_in(text)) == [("南昌市", "360100"), ("新建区", "360112")]


def test_a_citys_suffix_may_begin_its_countys_name(places):
    assert written(places.mentions_in("济南市中区")) == [("济南", "370100"), ("市中区", "370103")]


def test_a_hint_resolves_an_ambiguous_district_in_text(places):
    text = "2020年市本级拨付经费355万元，市中区拨付3700万元，峄城区拨付536万元。"
    hinted = places.mentions_in(text, within=("山东省", "枣庄市"))
    assert written(hinted) == [("市中区", "370402"), ("峄城区", "370404")]
    assert written(places.mentions_in(text)) == [("峄城区", "370404")]  # 市中区: four cities'


def test_an_earlier_mention_resolves_a_later_namesake(places):
    mentions = places.mentions_in("枣庄市推进集团化办学，市中区组建教育集团")
    assert written(mentions) == [("枣庄市", "370400"), ("市中区", "370402")]


def test_a_district_named_like_a_word_is_read_right_after_its_city(places):
    assert places.place_of("阳泉市城区教育局").code == "140302"
    assert places.mentions_in("城区教育局") == ()


def test_a_one_character_county_is_read_at_a_word_boundary(places):
    assert written(places.mentions_in("2020年莒县新建学校")) == [("莒县", "371122")]
    assert places.place_of("菏泽市单县").name == "单县"
    assert places.mentions_in("简单县") == ()


@pytest.mark.parametrize("text, names", [
    ("济南、青岛、淄博等16市", ["济南", "青岛", "淄博"]),   # a count of cities follows
    ("山东青岛", ["山东", "青岛"]),                       # a city right after its province
    ("烟台福山区", ["烟台", "福山区"]),                   # a district right after its city
    ("济南、青岛市", ["济南", "青岛市"]),                 # listed with a full name
])
def test_a_short_name_is_read_where_a_cue_shows_it_is_a_place(places, text, names):
    assert [mention.written for mention in places.mentions_in(text)] == names


def test_a_short_name_alone_is_not_read(places):
    assert places.mentions_in("青岛教育系统") == ()


@pytest.mark.parametrize("text, name", [("商河县城区学校", "商河县"), ("龙口市民办学校", "龙口市"),
                                        ("青岛市区学校", "青岛市"), ("山东省级示范", "山东省")])
def test_a_place_followed_by_its_own_area_is_read(places, text, name):
    assert places.first_in(text).place.name == name


def test_a_former_name_in_text_is_the_current_place(places):
    assert places.place_of("襄樊市樊城区").chain == ("湖北省", "襄阳市", "樊城区")


def test_the_shipped_corpus_names_these_places_and_no_others(places, corpus):
    found = [(case.id, mention.written, mention.place.code) for case in corpus.cases
             for mention in places.mentions_in(case.text, within=(case.province, case.city))]
    assert found == [
        ("sd2020-jinan-3", "商河县", "370126"),
        ("sd2020-zaozhuang-1", "市中区", "370402"), ("sd2020-zaozhuang-1", "峄城区", "370404"),
        ("sd2020-zaozhuang-2", "枣庄市", "370400"), ("sd2020-zaozhuang-2", "市中区", "370402"),
        ("sd2020-zaozhuang-2", "山东省", "370000"),
        ("sd2020-dongying-2", "东营市", "370500"), ("sd2020-dongying-2", "广饶县", "370523"),
        ("sd2020-weifang-1", "潍坊市", "370700"), ("sd2020-weifang-2", "潍坊市", "370700"),
        ("sd2020-weifang-2", "潍坊市", "370700"), ("sd2020-weifang-2", "坊子区", "370704"),
        ("sd2020-weifang-2", "诸城市", "370782"), ("sd2020-jining-2", "邹城市", "370883"),
        ("sd2020-rizhao-1", "山东", "370000"),  # 爱山东日照通, an app named after both
        ("sd2020-rizhao-1", "日照", "371100"),
    ]


# Filters


@pytest.mark.parametrize("wanted", [
    "山东", "山东省", "青岛", "青岛市", "崂山区", "崂山", " 青岛 市",
])
def test_a_filter_matches_a_place_at_any_level_by_full_or_short_name(wanted):
    assert matches(("山东省", "青岛市", "崂山区"), wanted)


@pytest.mark.parametrize("wanted", ["济南", "市南区", "北京", "", "全省"])
def test_a_filter_on_another_place_does_not_match(wanted):
    assert not matches(("山东省", "青岛市", "崂山区"), wanted)


def test_a_filter_on_a_former_name_matches_the_current_place():
    assert matches(("湖北省", "襄阳市", "樊城区"), "襄樊")


def test_the_places_under_a_province_are_its_cities_and_counties(places):
    under = places.places_under("山东")
    assert sum(place.level == "city" for place in under) == 16
    assert places.resolve("崂山区") in under
    assert places.places_under("市本级") == ()

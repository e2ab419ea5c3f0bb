"""Recognizing places named in questions: cities as written, and places at every level."""

from __future__ import annotations

import pytest

from index.retrieval.cities import CityMatcher, PlaceName

CITIES = ["济南市", "青岛市", "济宁市", "泰安市", "日照市"]


@pytest.fixture(scope="module")
def matcher():
    return CityMatcher(CITIES)


@pytest.mark.parametrize(("query", "cities", "remainder"), [
    ("青岛市的幼儿园", ("青岛市",), "的幼儿园"),
    ("青岛幼儿园", ("青岛市",), "幼儿园"),
    ("What did Qingdao do for teachers?", ("青岛市",), "What did do for teachers?"),
    ("jinan city school buses", ("济南市",), "school buses"),
    ("Jining and Jinan", ("济宁市", "济南市"), "and"),
    ("泰安和济南的做法", ("泰安市", "济南市"), "和 的做法"),
    ("幼儿园学位不够", (), "幼儿园学位不够"),
    ("maintaining schools", (), "maintaining schools"),
])
def test_mentions(matcher, query, cities, remainder):
    mention = matcher.find(query)
    assert mention.cities == cities
    assert mention.remainder == remainder


PLACES = [PlaceName("山东省", "province", ("山东",)), PlaceName("青岛市", "city", ("青岛",)),
          PlaceName("崂山区", "county", ("崂山",)), PlaceName("新建区", "county", ("新建",)),
          PlaceName("市中区", "county", ("市中",)), PlaceName("城中区", "county", ("城中",)),
          PlaceName("香格里拉市", "county", ("香格里拉",)),
          PlaceName("吉林省", "province", ("吉林",)), PlaceName("吉林市", "city", ("吉林",))]


@pytest.fixture(scope="module")
def places():
    return CityMatcher([], PLACES, texts=["全市中小学推进课后服务。"])


@pytest.mark.parametrize(("query", "named", "remainder"), [
    ("山东的校车", ("山东省",), "的校车"),
    ("Shandong province school buses", ("山东省",), "school buses"),
    ("崂山区的学校", ("崂山区",), "的学校"),
    ("崂山的学校", ("崂山区",), "的学校"),  # a word of its own, and rare
    ("香格里拉 教育", ("香格里拉市",), "教育"),  # a short name of 3+ characters
    ("新建学校", (), "新建学校"),  # a common word
    ("城中村学校", (), "城中村学校"),  # not a word of the question
    ("市中心学校", (), "市中心学校"),
    ("市中的学校", (), "市中的学校"),  # the cases use it as a word: 全市中小学
    ("市中区的学校", ("市中区",), "的学校"),
    ("吉林的学校", ("吉林省", "吉林市"), "的学校"),  # a name two places share names both
    ("laoshan schools", (), "laoshan schools"),  # no pinyin for counties
])
def test_places_at_every_level(places, query, named, remainder):
    mention = places.find(query)
    assert (mention.cities, mention.remainder) == (named, remainder)


def test_a_city_as_written_that_looks_like_a_county_keeps_to_the_county_rules():
    matcher = CityMatcher(["高新区", "开发区"])
    assert matcher.find("高新区的学校").cities == ("高新区",)
    assert matcher.find("开发学校").cities == ()  # 开发 is a common word, not 开发区

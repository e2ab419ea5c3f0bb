"""Recognizing cities named in questions."""

from __future__ import annotations

import pytest

from index.retrieval.cities import CityMatcher

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

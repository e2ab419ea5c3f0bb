"""Reading a question once into a `Query`, and filters into rows."""

from __future__ import annotations

import pytest

from index.errors import InvalidRequestError
from index.retrieval.lexical import tokenize
from index.retrieval.query import CaseFilter


def test_a_named_city_is_taken_out_of_what_is_ranked(engine):
    query = engine.reader.read("青岛 教师奖励性补贴", "hybrid")
    assert query.cities == ("青岛市",) and not query.bare_city
    assert "青岛" not in query.topic and "教师" in query.terms


def test_a_bare_city_name_is_kept_as_the_question(engine):
    query = engine.reader.read("日照", "hybrid")
    assert query.cities == ("日照市",) and query.bare_city and query.topic == "日照"


def test_bm25_asks_only_with_terms_the_corpus_uses_once_each(engine):
    query = engine.reader.read("校车 校车 zzyzx 校车安全", "hybrid")
    assert query.terms == tuple(dict.fromkeys(query.terms))
    assert "zzyzx" not in query.terms and "校车" in query.terms
    assert all(term in engine.lexical.vocabulary for term in query.terms)


def test_everyday_words_bring_the_official_terms_they_stand_for(engine):
    query = engine.reader.read("孩子放学没人管", "hybrid")
    assert "课后服务" in query.terms or "托管" in query.terms
    assert "课后服务" not in tokenize("孩子放学没人管")


def test_a_question_in_the_corpus_script_is_not_cross_lingual(engine):
    query = engine.reader.read("老师住宿困难怎么解决", "hybrid")
    assert not query.cross_lingual and query.glosses == ()
    assert set(query.words) <= set(tokenize("老师住宿困难怎么解决"))


def test_an_english_question_looks_up_the_cases_glosses(engine):
    query = engine.reader.read("school bus safety", "hybrid")
    assert query.cross_lingual and "bus" in query.glosses
    assert "bus" in query.words  # coverage counts its English words among the glosses
    assert query.marked and all(term in engine.lexical.vocabulary for term in query.marked)


def test_the_request_fields_are_carried_as_given(engine):
    query = engine.reader.read("校车", "lexical", k=3, offset=6, min_match="partial")
    assert (query.mode, query.k, query.offset, query.min_match) == ("lexical", 3, 6, "partial")
    assert query.vector is None and query.allowed is None


@pytest.fixture(scope="module")
def case_filter(corpus):
    return CaseFilter(corpus.cases)


def test_no_filter_allows_every_row(case_filter):
    assert case_filter.allowed() is None


def test_filters_together_allow_only_rows_passing_each(case_filter, corpus):
    rows = case_filter.allowed(cities=["青岛市", "济南市"], years=[2020])
    assert {corpus.cases[row].city for row in rows} == {"青岛市", "济南市"}
    assert all(corpus.cases[row].year == 2020 for row in rows)


def test_an_unknown_filter_value_is_refused_with_the_known_ones(case_filter):
    with pytest.raises(InvalidRequestError, match="unknown years \\[1999\\]; known years: 2020"):
        case_filter.allowed(years=[1999])

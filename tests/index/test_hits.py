"""Building the hits of a ranking: the page, snippets, coverage and match levels."""

from __future__ import annotations

import html
from dataclasses import replace

import pytest

from index.retrieval.match import LEVELS, level_at_least


@pytest.fixture(scope="module")
def ranked(engine):
    query = engine._embedded(engine.reader.read("购置新国标校车", "hybrid", k=50))
    return query, engine.ranker.rank(query)


def test_a_page_is_the_slice_of_the_ranking_it_asks_for(engine, ranked):
    query, ranking = ranked
    page = engine.hit_builder.hits(ranking, replace(query, k=5, offset=10))
    assert [hit.case for hit in page] == [engine.cases[row] for row in ranking.rows[10:15]]


def test_a_page_past_the_ranking_is_empty(engine, ranked):
    query, ranking = ranked
    assert engine.hit_builder.hits(ranking, replace(query, offset=ranking.rows.size)) == []


def test_hits_below_min_match_are_left_out(engine, ranked):
    query, ranking = ranked
    every = engine.hit_builder.hits(ranking, query)
    for floor in LEVELS:
        kept = engine.hit_builder.hits(ranking, replace(query, min_match=floor))
        assert kept == [hit for hit in every if level_at_least(hit.match, floor)]


def test_the_snippet_is_the_marked_sentence_at_its_span(engine, ranked):
    query, ranking = ranked
    hit = engine.hit_builder.hits(ranking, query)[0]
    start, end = hit.span
    assert html.unescape(hit.snippet.replace("<mark>", "").replace("</mark>", "")) == (
        hit.case.text[start:end])
    assert "<mark>" in hit.snippet


def test_coverage_is_the_share_of_the_questions_weight_a_case_holds(engine):
    row = engine.rows["sd2020-linyi-3"]
    held = engine.lexical.document_terms[row]
    builder = engine.hit_builder
    assert builder.coverage(row, [held[0]], cross_lingual=False) == 1.0
    assert builder.coverage(row, ["zzyzx"], cross_lingual=False) == 0.0
    assert 0 < builder.coverage(row, [held[0], "zzyzx"], cross_lingual=False) < 1
    assert builder.coverage(row, [], cross_lingual=False) == 0.0


def test_an_everyday_word_counts_as_held_when_its_official_term_is(engine):
    row = next(row for row, terms in enumerate(engine.lexical.document_terms)
               if "溺水" in terms)
    assert engine.hit_builder.coverage(row, ["玩水"], cross_lingual=False) == 1.0


def test_similar_cases_mark_the_rarest_terms_they_share(engine):
    source = set(engine.lexical.document_terms[engine.rows["sd2020-rizhao-3"]])
    shared = engine.hit_builder.shared_terms(source, engine.rows["sd2020-jinan-3"])
    assert "校车" in shared and len(shared) <= 6
    idf = [engine.lexical.idf[engine.lexical.vocabulary[t]] for t in shared]
    assert idf == sorted(idf, reverse=True)


def test_a_hits_match_features_are_the_ones_calibrated(engine, ranked):
    from index.retrieval.match import FEATURES

    query, ranking = ranked
    hit = engine.hit_builder.hits(ranking, query)[0]
    assert set(hit.features) == set(FEATURES)
    assert hit.features["second"] == 0.0  # a Chinese question: the second is not asked
    assert hit.features["top"] == 1.0 and hit.features["rank"] == 0.0
    # the question's best signals are the same for every hit of it
    others = engine.hit_builder.hits(ranking, query)[1:]
    assert {h.features["q_dense"] for h in others} == {hit.features["q_dense"]}
    assert hit.features["q_dense"] == max(h.features["dense"] for h in [hit, *others])


def test_a_question_the_corpus_never_speaks_of_is_unknown_to_it(engine):
    builder = engine.hit_builder
    assert builder.unknown_share(["暖气"], cross_lingual=False) == 1.0
    assert builder.unknown_share(["校车"], cross_lingual=False) == 0.0
    # an everyday word counts as known when an official term it stands for is
    assert builder.unknown_share(["玩水"], cross_lingual=False) == 0.0
    assert 0.0 < builder.unknown_share(["校车", "暖气"], cross_lingual=False) < 1.0


def test_a_hit_serializes_to_the_api_result():
    from corpus.models import Case
    from index.retrieval.search import Hit

    case = Case(id="x-1", city="崂山区", seq=1, text="校车安全。", title="", year=2020,
                province="山东省", doc_id="x", line=1, case_title="校车安全",
                place_level="county", place_code="370212",
                places=("山东省", "青岛市", "崂山区"), place_from="heading")
    assert Hit(case, 0.123456, "<mark>校车</mark>安全。", (0, 5), "strong").to_dict() == {
        "id": "x-1", "city": "崂山区", "seq": 1, "text": "校车安全。", "score": 0.1235,
        "match": "strong", "snippet": "<mark>校车</mark>安全。", "year": 2020,
        "province": "山东省", "case_title": "校车安全", "place_level": "county",
        "places": ["山东省", "青岛市", "崂山区"]}

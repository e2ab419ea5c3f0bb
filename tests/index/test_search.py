"""Search and "similar practices" over an index built with the fake embedder."""

from __future__ import annotations

import html
from dataclasses import replace

import pytest

from index.errors import InvalidRequestError, UnknownCaseError
from index.retrieval.limits import MAX_K
from index.retrieval.search import SearchEngine


def test_the_case_sharing_the_question_words_ranks_first(engine):
    hits = engine.search("购置新国标校车，开通线路", k=5)
    assert hits[0].case.id == "sd2020-jinan-3"


def test_results_are_sorted_and_at_most_k(engine):
    hits = engine.search("教师", k=7)
    assert len(hits) == 7
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)


def test_k_larger_than_the_corpus_returns_every_case_once(engine):
    hits = engine.search("教育", k=MAX_K)
    assert len(hits) == 48 and len({hit.case.id for hit in hits}) == 48


def test_city_filter_keeps_only_those_cities(engine):
    hits = engine.search("教师", k=10, cities=["青岛市", "济南市"])
    assert len(hits) == 6
    assert {hit.case.city for hit in hits} == {"青岛市", "济南市"}


def test_an_unknown_city_is_refused_with_the_known_ones(engine):
    with pytest.raises(InvalidRequestError, match="济南市"):
        engine.search("教师", cities=["北京市"])


def _plain(snippet: str) -> str:
    return html.unescape(snippet.replace("<mark>", "").replace("</mark>", ""))


def test_the_snippet_is_a_sentence_of_the_case(engine):
    for hit in engine.search("招聘教师，班主任津贴", k=5):
        start, end = hit.span
        assert _plain(hit.snippet) == hit.case.text[start:end].strip()


def test_the_snippet_marks_the_question_terms(engine):
    hit = next(h for h in engine.search("班主任津贴", k=5) if h.case.id == "sd2020-dezhou-1")
    assert "<mark>班主任津贴</mark>" in hit.snippet


def test_the_snippet_is_html_safe(engine):
    for hit in engine.search("<b>教师</b> & 招聘", k=3):
        assert "<b>" not in hit.snippet
        assert hit.snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_the_snippet_picks_the_matching_sentence(engine):
    hit = engine.search("班主任津贴提高到每月600元至1000元", k=1)[0]
    assert hit.case.id == "sd2020-dezhou-1"
    assert "班主任津贴" in _plain(hit.snippet)


@pytest.mark.parametrize("k", [0, -1, MAX_K + 1, 2.5, "3", True])
def test_k_out_of_range_is_refused(engine, k):
    with pytest.raises(InvalidRequestError, match="k must be"):
        engine.search("教师", k=k)


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_an_empty_question_is_refused(engine, query):
    with pytest.raises(InvalidRequestError, match="empty"):
        engine.search(query)


def test_similar_never_returns_the_case_or_its_city(engine):
    hits = engine.similar("sd2020-jinan-3", k=MAX_K)
    assert len(hits) == 45
    assert all(hit.case.city != "济南市" for hit in hits)


def test_similar_with_same_city_may_include_the_city_but_not_the_case(engine):
    hits = engine.similar("sd2020-jinan-3", k=MAX_K, same_city=True)
    ids = {hit.case.id for hit in hits}
    assert len(hits) == 47 and "sd2020-jinan-3" not in ids
    assert {"sd2020-jinan-1", "sd2020-jinan-2"} <= ids


def test_similar_of_an_unknown_case(engine):
    with pytest.raises(UnknownCaseError, match="nope"):
        engine.similar("nope")


def test_cities_are_listed_in_document_order_with_counts(engine):
    cities = engine.cities()
    assert cities[0] == ("济南市", 3) and len(cities) == 16


def test_the_engine_uses_the_second_embedder_the_index_holds(engine, fake_index_path,
                                                             fake_embedder, fake_second):
    assert engine.second is fake_second
    from index.artifact.store import load_index

    without = SearchEngine(load_index(fake_index_path), fake_embedder, second=fake_second)
    assert without.second is None  # that index was built without second vectors
    assert without.search("校车", k=3)


def test_lexical_mode_returns_only_cases_sharing_a_term(engine):
    hits = engine.search("防溺水", k=10, mode="lexical")
    assert [hit.case.id for hit in hits] == ["sd2020-linyi-3"]


def test_hybrid_puts_the_exact_term_match_first(engine):
    assert engine.search("防溺水", k=3)[0].case.id == "sd2020-linyi-3"


def test_an_unknown_mode_is_refused(engine):
    with pytest.raises(InvalidRequestError, match="mode"):
        engine.search("校车", mode="magic")


def test_a_named_city_ranks_its_relevant_cases_first(engine):
    hits = engine.search("青岛 教师奖励性补贴", k=5)
    assert hits[0].case.id == "sd2020-qingdao-3"


def test_a_named_city_in_pinyin_works_too(engine):
    assert engine.search("Qingdao 教师奖励性补贴", k=5)[0].case.city == "青岛市"


def test_a_bare_city_name_lists_that_citys_cases_first(engine):
    hits = engine.search("日照", k=5)
    assert {hit.case.city for hit in hits[:3]} == {"日照市"}


@pytest.mark.parametrize(("ratio", "first_city"), [(0.0, "青岛市"), (1.01, "临沂市")])
def test_a_named_citys_cases_go_first_only_when_they_score_near_the_top(engine, ratio,
                                                                        first_city):
    strict = SearchEngine(engine.index, engine.embedder, replace(engine.config,
                                                                 city_promote_ratio=ratio),
                          second=engine.second)
    assert strict.search("青岛 防溺水智能化系统", k=5)[0].case.city == first_city


def test_similar_marks_terms_the_two_cases_share(engine):
    hits = engine.similar("sd2020-rizhao-3", k=5)
    jinan = next(hit for hit in hits if hit.case.id == "sd2020-jinan-3")
    assert "<mark>校车</mark>" in jinan.snippet


def test_a_search_counts_as_running_while_it_embeds_and_not_after(engine, monkeypatch):
    # The embedder spreads a query over every core only while one search runs (index.models.lanes).
    from index.retrieval.in_flight import SEARCHES

    seen = []
    embed = engine.embedder.embed_query
    monkeypatch.setattr(engine.embedder, "embed_query",
                        lambda text: seen.append(SEARCHES.count) or embed(text))
    engine.search("校车安全", k=3)
    with pytest.raises(InvalidRequestError):
        engine.search("   ")
    assert seen == [1] and SEARCHES.count == 0


def test_the_second_embedder_is_asked_only_across_languages(engine, fake_second):
    # Over a Chinese corpus, USE is there for English questions; a Chinese one skips it.
    assert engine.corpus_in_han
    fake_second.calls.clear()
    engine.search("老师住宿困难怎么解决")
    assert fake_second.calls == []
    engine.search("teacher housing")
    engine.search("青岛 school buses")  # a city, then English: the question is English
    assert fake_second.calls == [("query", 1), ("query", 1)]


def test_the_second_embedder_can_be_asked_for_every_question(engine, fake_second):
    from index.retrieval.search import SearchConfig

    always = SearchEngine(engine.index, engine.embedder, SearchConfig(second_for="always"),
                          second=fake_second)
    fake_second.calls.clear()
    always.search("老师住宿困难怎么解决")
    assert fake_second.calls == [("query", 1)]
    with pytest.raises(ValueError, match="second_for"):
        SearchEngine(engine.index, engine.embedder, SearchConfig(second_for="sometimes"))


@pytest.mark.parametrize(("text", "han"), [
    ("老师住宿困难怎么解决", True), ("2020年义务教育", True),
    ("how do cities run school buses", False), ("校车 safety first", False), ("12345", False),
    ("", False)])
def test_a_text_is_written_in_han_when_most_of_its_letters_are(text, han):
    from index.retrieval.search import written_in_han

    assert written_in_han(text) is han


def test_every_hit_has_a_match_level_and_min_match_filters(engine):
    from index.retrieval.match import LEVELS, level_at_least

    every = engine.search("购置新国标校车", k=20)
    assert {hit.match for hit in every} <= set(LEVELS)
    assert [hit.match for hit in every] != ["weak"] * 20
    for floor in LEVELS:
        kept = engine.search("购置新国标校车", k=20, min_match=floor)
        assert [h.case.id for h in kept] == [h.case.id for h in every
                                             if level_at_least(h.match, floor)]
    similar = engine.similar("sd2020-jinan-3", k=10, min_match="partial")
    assert all(hit.match in ("strong", "partial") for hit in similar)


def test_an_unknown_match_level_is_refused(engine):
    import pytest

    from index.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="min_match must be one of"):
        engine.search("校车", min_match="excellent")


def test_the_calibration_matches_the_features_the_engine_computes():
    import json

    from index.retrieval.match import CALIBRATION, FEATURES, match_models

    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    assert tuple(data["features"]) == FEATURES  # else: python -m scripts.calibrate_match
    assert set(data["families"]) == {"base", "tuned"}  # the bundled model, and tuned
    for family in ("base", "tuned"):
        models = match_models(family)
        assert set(models) == {"search", "search-cross", "similar"}
        for model in models.values():
            assert 0 < model.partial <= 1 and 0 < model.strong <= 1
            assert model.level({name: 0.0 for name in FEATURES}) in ("weak", "partial",
                                                                    "strong")
    assert match_models("tuned") != match_models("base")


def test_the_probability_of_an_answer_is_what_decides_strong():
    import numpy as np

    from index.retrieval.match import FEATURES, match_models

    model = match_models()["search"]
    rng = np.random.default_rng(7)
    for _ in range(200):
        features = dict(zip(FEATURES, rng.uniform(-0.5, 1.5, len(FEATURES)), strict=True))
        probability = model.probability_of_answer(features)
        assert 0 <= probability <= 1
        assert (model.level(features) == "strong") == (probability >= model.strong)


def test_a_reconfigured_engine_shares_the_index_and_changes_only_what_is_asked(engine):
    same = engine.reconfigured()
    assert same.index is engine.index and same.config == engine.config
    assert [h.case.id for h in same.search("校车安全")] == [
        h.case.id for h in engine.search("校车安全")]
    assert engine.reconfigured(second=False).second is None and engine.second is not None
    lexical = engine.reconfigured(replace(engine.config, mode="lexical"))
    assert lexical.config.mode == "lexical" and engine.config.mode == "hybrid"


def test_a_similar_case_lookup_counts_as_a_search_running(engine, monkeypatch):
    from index.retrieval.in_flight import SEARCHES

    seen = []
    rank = engine.ranker.rank
    monkeypatch.setattr(engine.ranker, "rank",
                        lambda *args: seen.append(SEARCHES.count) or rank(*args))
    engine.similar("sd2020-jinan-3", k=3)
    assert seen == [1] and SEARCHES.count == 0


class _Stages:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def stage(self, name: str, seconds: float) -> None:
        assert seconds >= 0
        self.seen.append(name)


def test_an_observer_is_told_each_stage_of_a_search_once(engine):
    stages = _Stages()
    watched = engine.reconfigured().observe(stages)
    watched.search("校车安全", k=3)
    assert stages.seen == ["embedding", "ranking", "snippets"]
    with pytest.raises(InvalidRequestError):
        watched.search("校车", k=0)
    assert len(stages.seen) == 3  # a refused search reports nothing
    stages.seen.clear()
    watched.search_batch(["校车", "教师"], k=3)
    assert stages.seen == ["embedding", "ranking", "snippets", "ranking", "snippets"]
    assert engine.observer is not stages  # observing one engine leaves the others alone


def test_a_batch_answers_each_question_like_a_single_search(engine):
    questions = ["购置新国标校车", "青岛 教师", "school bus safety"]
    batch = engine.search_batch(questions, k=5, min_match="weak")
    assert [[h.case.id for h in hits] for hits in batch] == [
        [h.case.id for h in engine.search(q, k=5)] for q in questions]


def test_a_batch_is_checked_before_anything_is_embedded(engine, fake_embedder):
    fake_embedder.calls.clear()
    with pytest.raises(InvalidRequestError, match="k must be"):
        engine.search_batch(["校车", "教师"], k=0)
    assert fake_embedder.calls == []

"""English questions over Chinese cases (dictionary glosses), and everyday words."""

from __future__ import annotations

from index.retrieval.everyday import EVERYDAY, official_terms
from index.retrieval.glosses import english_words, gloss_words, glosses_of, stem


def test_inflections_meet_their_dictionary_forms():
    assert stem("buses") == stem("bus")
    assert stem("living") == stem("live") == stem("lives")
    assert stem("teachers") == stem("teacher")
    # Words that frame any question ("how do cities keep …") are not what it is about.
    assert english_words("How do the cities keep School Buses safe?") == [
        stem("school"), stem("buses"), stem("safe")]


def test_chinese_terms_get_their_english_senses():
    assert {stem("school"), stem("bus")} <= set(gloss_words("校车"))
    assert stem("dormitory") in gloss_words("宿舍")
    assert stem("drown") in gloss_words("溺水")
    assert gloss_words("不是一个词的字串") == ()
    table = glosses_of(["幼儿园", "宿舍"])
    assert stem("kindergarten") in table["幼儿园"]


def test_an_english_question_finds_chinese_cases_by_their_glosses(engine):
    # The fake embedder knows nothing of English; only the glosses can find these.
    hits = engine.search("school bus", k=3, mode="lexical")
    assert {h.case.id for h in hits} & {"sd2020-rizhao-3", "sd2020-jinan-3"}
    first = engine.search("kindergarten", k=1)[0]
    assert "<mark>" in first.snippet  # the Chinese terms it matched are marked


def test_everyday_words_stand_for_official_terms():
    assert official_terms("老师没地方住") == ("教师", "周转宿舍", "住房")
    assert {"课后服务", "托管", "学生"} <= set(official_terms("放学了没人管孩子"))
    assert official_terms("校车安全") == ()
    assert all(terms and all(terms) for terms in EVERYDAY.values())


def test_everyday_words_reach_the_official_wording(engine):
    hits = engine.search("老师没地方住", k=3, mode="lexical")
    assert hits[0].case.id == "sd2020-liaocheng-3"
    assert "周转宿舍</mark>" in hits[0].snippet  # the official words are marked

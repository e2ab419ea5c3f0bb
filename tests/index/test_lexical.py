"""Tokenization and BM25."""

from __future__ import annotations

import numpy as np

from index.retrieval.lexical import BM25Index, tokenize


def test_chinese_is_segmented_with_search_mode_subwords():
    terms = tokenize("孩子上幼儿园难怎么办")
    assert "幼儿园" in terms and "幼儿" in terms
    assert "怎么办" not in terms and "难" not in terms


def test_english_words_are_lower_cased_without_stopwords():
    assert tokenize("How do Cities run School Buses?") == ["cities", "run", "school", "buses"]


def test_full_width_text_is_normalized():
    assert tokenize("ＡＰＰ") == ["app"]


def test_a_rare_shared_term_ranks_its_document_first():
    index = BM25Index.from_texts(["新建防溺水智能化系统", "学生体质健康管理", "校车安全管理"])
    scores = index.term_scores(tokenize("防溺水"))
    assert int(np.argmax(scores)) == 0 and scores[1] == scores[2] == 0


def test_terms_the_collection_never_uses_score_zero_everywhere():
    index = BM25Index.from_texts(["校车安全", "教师招聘"])
    assert not index.term_scores(tokenize("school bus")).any()
    assert index.term_scores(["校车", "bus"])[0] > 0


def test_key_terms_are_a_documents_characteristic_words():
    index = BM25Index.from_texts(["校车 校车 校车 公司 学校", "学校 教师", "学校 食堂"])
    assert index.key_terms(0, 1) == ["校车"]

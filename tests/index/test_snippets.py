"""Choosing and marking the answering sentence."""

from __future__ import annotations

import numpy as np

from index.retrieval.snippets import choose_span, mark_terms


def test_terms_are_marked_and_adjacent_marks_merge():
    marked = mark_terms("新建防溺水智能化系统", ["溺水", "智能化"])
    assert marked == "新建防<mark>溺水智能化</mark>系统"


def test_marking_escapes_html_and_ignores_single_characters():
    marked = mark_terms("<b>校车</b> & 车", ["校车", "车"])
    assert marked == "&lt;b&gt;<mark>校车</mark>&lt;/b&gt; &amp; 车"


def test_latin_terms_match_case_insensitively():
    assert mark_terms("接入APP报名", ["app"]) == "接入<mark>APP</mark>报名"


def test_a_very_short_best_sentence_takes_its_neighbour():
    text = "打造平安车。成立校车公司，统一管理全市校车。"
    spans = [(0, 6), (6, len(text))]
    assert choose_span(spans, np.array([0.9, 0.5]), text) == (0, len(text))


def test_the_best_sentence_wins():
    first = "第一句讲的是全市教育经费投入持续增长的情况。"
    text = first + "第二句讲的是校车公司统一运营和智慧监管的办法。"
    spans = [(0, len(first)), (len(first), len(text))]
    assert choose_span(spans, np.array([0.1, 0.8]), text) == (len(first), len(text))

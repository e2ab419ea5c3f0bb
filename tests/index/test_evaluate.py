"""Metrics, and the shipped judgment set's own consistency."""

from __future__ import annotations

from collections import Counter

import pytest

from index.evaluation import load_judgments, ndcg, recall, reciprocal_rank, score_runs


def test_perfect_and_reversed_rankings():
    relevant = {"a": 2, "b": 1}
    assert ndcg(["a", "b", "c"], relevant) == pytest.approx(1.0)
    assert ndcg(["b", "a", "c"], relevant) < 1.0
    assert ndcg(["c", "d"], relevant) == 0.0


def test_recall_and_reciprocal_rank():
    relevant = {"a": 2, "b": 1, "z": 1}
    assert recall(["x", "a", "y", "b", "q", "z"], relevant, k=5) == pytest.approx(2 / 3)
    assert reciprocal_rank(["x", "y", "b"], relevant) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"], relevant) == 0.0


def test_scores_are_averaged_per_slice():
    from index.evaluation import Judgment

    judged = [Judgment("1", {"a": 2}, query="q", lang="zh"),
              Judgment("2", {"a": 2}, query="q", lang="en")]
    report = score_runs([(judged[0], ["a"]), (judged[1], ["b"])])
    assert report["all"]["ndcg@10"] == pytest.approx(0.5)
    assert report["zh"]["mrr"] == 1.0 and report["en"]["mrr"] == 0.0


def test_the_shipped_set_is_large_and_varied_enough(corpus):
    judged = load_judgments()
    questions = [j for j in judged if j.query]
    analogous = [j for j in judged if j.case]
    assert len(questions) >= 80 and len(analogous) >= 15
    langs = Counter(j.lang for j in questions)
    assert langs["en"] >= 20
    assert sum("city" in j.tags for j in questions) >= 5
    assert len({j.id for j in judged}) == len(judged)


def test_the_shipped_set_names_real_cases_and_other_cities(corpus):
    ids = {case.id: case.city for case in corpus.cases}
    for judgment in load_judgments():
        assert set(judgment.relevant) <= set(ids), judgment.id
        assert set(judgment.relevant.values()) <= {1, 2}
        if judgment.case:
            assert all(ids[r] != ids[judgment.case] for r in judgment.relevant), judgment.id


def test_each_judgment_knows_the_file_it_came_from():
    from index.evaluation import DEFAULT_EVAL_DIR

    judged = load_judgments()
    files = {path.name for path in DEFAULT_EVAL_DIR.glob("*.jsonl")}
    assert {j.source for j in judged} == files

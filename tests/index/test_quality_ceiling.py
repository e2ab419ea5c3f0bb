"""The quality-ceiling diagnosis (scripts/quality_ceiling.py), over the fake engine."""

from __future__ import annotations

import numpy as np
import pytest

from index.evaluation import Judgment, load_judgments, ndcg
from scripts.quality_ceiling import (
    FeedbackEmbedder,
    by_fold,
    candidate_ceiling,
    compare,
    engine_like,
    folds,
    ranker,
    weightings,
)


def test_every_weighting_is_a_share_of_one_and_the_default_is_among_them():
    grid = weightings()
    assert all(min(w.values()) >= 0 and sum(w.values()) == pytest.approx(1) for w in grid)
    assert {"dense": 0.5, "second": 0.3, "lexical": 0.2} in grid
    assert all(w["dense"] > 0 or w["lexical"] > 0 for w in grid)  # USE alone has no candidates


def test_folds_keep_the_held_out_judgments_apart():
    judged = folds(load_judgments())
    assert judged["tune"] and judged["heldout"]
    assert all(j.fold == "heldout" for j in judged["heldout"])
    assert not {j.id for j in judged["tune"]} & {j.id for j in judged["heldout"]}
    assert all(j.relevant for part in judged.values() for j in part)


def test_the_default_compared_with_itself_changes_nothing(engine):
    judged = folds([j for j in load_judgments() if j.query][:40])
    row = compare(by_fold(ranker(engine), judged), ranker(engine), judged)
    assert row["wins"] == row["losses"] == 0 and row["mean_change"] == 0
    assert row["tune"] == row["tune_default"] and row["heldout"] == row["heldout_default"]


def test_the_best_order_of_the_candidates_bounds_the_engine_from_above(engine):
    questions = [j for j in load_judgments() if j.query and j.relevant][:20]
    found = candidate_ceiling(engine, questions)
    assert 0 <= found["answers_in_some_top10"] <= 1
    assert found["mean_candidates"] <= min(30, found["corpus"])
    default = np.mean([ndcg(ranker(engine)(j), j.relevant) for j in questions])
    assert found["ndcg@10_of_best_order"] >= default


def test_feedback_moves_the_question_towards_its_first_hit(engine):
    question = "校车安全"
    plain = engine.embedder.embed_query(question)
    first = engine.search(question, k=1)[0].case.id
    target = engine.index.case_vectors(np.array([engine.rows[first]]))[0]
    assert FeedbackEmbedder(engine, 0.0).embed_query(question) == pytest.approx(plain, abs=1e-6)
    moved = FeedbackEmbedder(engine, 1.0).embed_query(question)
    assert np.linalg.norm(moved) == pytest.approx(1, abs=1e-5)
    assert moved @ target > plain @ target
    passages = FeedbackEmbedder(engine, 1.0).embed_batch(["a passage"], "passage")
    assert passages == pytest.approx(engine.embedder.embed_batch(["a passage"], "passage"))
    variant = engine_like(engine, embedder=FeedbackEmbedder(engine, 0.5))
    assert variant.search(question, k=3)  # a whole engine runs on it


def test_a_judgment_without_relevant_cases_is_not_scored():
    judged = folds([Judgment("x", {}, query="q"), Judgment("y", {"a": 2}, query="q")])
    assert [j.id for j in judged["tune"]] == ["y"]

"""Ranking a query's candidates: the ANN's scores, fusion, a named city first."""

from __future__ import annotations

from dataclasses import replace

import faiss
import numpy as np
import pytest

from index.retrieval.ranking import Ranking, nearest, scores_at, scores_exactly


def _unit(rng: np.random.Generator, n: int, d: int = 32) -> np.ndarray:
    vectors = rng.normal(size=(n, d)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_an_ann_index_scores_the_rows_it_finds_exactly(kind):
    # Why the ranker may take FAISS's scores instead of recomputing them from the vectors.
    vectors = _unit(np.random.default_rng(3), 2000)
    index = {"flat": lambda: faiss.IndexFlatIP(32),
             "ivf": lambda: faiss.IndexIVFFlat(faiss.IndexFlatIP(32), 32, 16,
                                               faiss.METRIC_INNER_PRODUCT),
             "hnsw": lambda: faiss.IndexHNSWFlat(32, 16, faiss.METRIC_INNER_PRODUCT)}[kind]()
    index.train(vectors)
    index.add(vectors)
    assert scores_exactly(index)
    rows, scores = nearest(index, vectors[7], 20)
    np.testing.assert_allclose(scores, vectors[rows] @ vectors[7], rtol=0, atol=1e-5)


def test_distances_and_compressed_scores_are_not_taken_for_inner_products():
    assert not scores_exactly(faiss.IndexFlatL2(32))
    assert not scores_exactly(faiss.IndexIVFPQ(faiss.IndexFlatIP(32), 32, 4, 4, 8,
                                               faiss.METRIC_INNER_PRODUCT))


def test_nearest_keeps_to_the_allowed_rows():
    vectors = _unit(np.random.default_rng(4), 100)
    index = faiss.IndexFlatIP(32)
    index.add(vectors)
    rows, _ = nearest(index, vectors[0], 10, allowed=np.array([5, 6, 7]))
    assert sorted(rows.tolist()) == [5, 6, 7]
    assert nearest(index, vectors[0], 10, allowed=np.array([], np.int64))[0].size == 0


def test_scores_found_by_the_index_are_reused_and_only_the_rest_computed():
    asked = []

    def compute(rows):
        asked.append(rows.tolist())
        return np.full(rows.size, -1.0, np.float32)

    found = (np.array([9, 2, 5]), np.array([0.9, 0.8, 0.7], np.float32))
    scores = scores_at(np.array([2, 3, 5, 9]), found, exact=True, compute=compute)
    assert scores.tolist() == pytest.approx([0.8, -1.0, 0.7, 0.9]) and asked == [[3]]
    asked.clear()
    scores_at(np.array([2, 5]), found, exact=False, compute=compute)
    assert asked == [[2, 5]]  # an index that approximates its scores is not trusted


def test_every_candidates_dense_signal_is_its_cosine_with_the_question(engine):
    query = engine._embedded(engine.reader.read("购置新国标校车", "hybrid"))
    ranking = engine.ranker.rank(query)
    expected = engine.index.case_vectors(ranking.rows) @ query.vector
    np.testing.assert_allclose(ranking.signals["dense"], expected, atol=1e-5)
    assert ranking.scores.tolist() == sorted(ranking.scores.tolist(), reverse=True)


def test_a_filtered_query_ranks_only_allowed_rows(engine):
    allowed = engine.filter.allowed(cities=["青岛市"])
    query = engine._embedded(engine.reader.read("教师", "hybrid", allowed=allowed))
    assert set(engine.ranker.rank(query).rows.tolist()) <= set(allowed.tolist())


def test_lexical_mode_ranks_only_cases_sharing_a_term(engine):
    query = engine.reader.read("防溺水", "lexical")
    ranking = engine.ranker.rank(query)
    assert [engine.cases[row].id for row in ranking.rows] == ["sd2020-linyi-3"]


def test_the_second_embedder_takes_part_only_in_hybrid_mode(engine):
    query = engine._embedded(engine.reader.read("school bus", "hybrid"))
    assert query.second is not None and "second" in engine.ranker.rank(query).signals
    dense = replace(query, mode="dense")
    assert "second" not in engine.ranker.rank(dense).signals


def test_a_named_places_cases_near_the_top_are_moved_first():
    ranking = Ranking(np.array([0, 1, 2, 3]), np.array([1.0, 0.9, 0.5, 0.1]))
    named = np.array([False, True, True, True])
    assert ranking.promoted(named, 0.3).rows.tolist() == [1, 2, 0, 3]
    assert ranking.promoted(named, 0.0).rows.tolist() == [1, 2, 3, 0]
    assert ranking.promoted(None, 0.3) is ranking
    assert ranking.promoted(np.zeros(4, bool), 0.3) is ranking

"""scripts/scale_recall.py: the figures it reports mean what docs/PERFORMANCE.md says."""

from __future__ import annotations

import numpy as np

from scripts.scale import lists_for
from scripts.scale_recall import crowded_like, geometry, recall_at


def test_the_lists_are_as_crowded_as_at_the_size_in_question():
    assert lists_for(10_000_000, capped=True) == 4096
    assert lists_for(10_000_000, capped=False) == 12_649
    assert lists_for(1_000_000, capped=True) == lists_for(1_000_000, capped=False) == 4000
    assert crowded_like(1_000_000, 10_000_000, capped=True) == 410  # ~2,440 cases a list
    assert crowded_like(1_000_000, 10_000_000, capped=False) == 1265  # ~790


def test_geometry_tells_isotropic_vectors_from_ones_in_a_narrow_cone():
    rng = np.random.default_rng(0)
    isotropic = geometry(rng.standard_normal((600, 384)))
    cone = geometry(5 + rng.standard_normal((600, 4)) @ rng.standard_normal((4, 384)))
    assert abs(isotropic["mean_cosine"]) < 0.02 and isotropic["participation_ratio"] > 150
    assert cone["mean_cosine"] > 0.5 and cone["participation_ratio"] <= 4.01
    assert cone["nearest_cosine"] > isotropic["nearest_cosine"]


def test_recall_is_one_for_the_exact_candidates_and_falls_with_each_one_missed():
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((300, 16)).astype(np.float32)
    queries = rng.standard_normal((5, 16)).astype(np.float32)
    truth = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    padded = np.hstack([truth[:, ::-1], np.full((5, 3), -1)])  # any order, FAISS's -1 padding
    assert recall_at(padded, queries, vectors, truth) == 1.0
    assert recall_at(truth[:, :9], queries, vectors, truth) == 0.9

"""Fusing dense and lexical scores."""

from __future__ import annotations

import numpy as np
import pytest

from index.retrieval.fusion import FusionConfig, fuse, maxnorm, minmax


def test_minmax_and_maxnorm():
    assert minmax(np.array([2.0, 4.0, 3.0])).tolist() == [0.0, 1.0, 0.5]
    assert minmax(np.array([3.0, 3.0])).tolist() == [1.0, 1.0]
    assert maxnorm(np.array([0.0, 2.0, 1.0])).tolist() == [0.0, 1.0, 0.5]
    assert maxnorm(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def test_no_lexical_match_leaves_the_dense_order():
    dense = np.array([0.2, 0.9, 0.5, 0.7])
    fused = fuse({"dense": dense, "lexical": np.zeros(4)}, FusionConfig())
    assert np.argsort(-fused).tolist() == np.argsort(-dense).tolist()


def test_a_strong_lexical_match_lifts_a_case():
    dense = np.array([0.80, 0.79, 0.50])
    lexical = np.array([0.0, 9.0, 0.0])
    fused = fuse({"dense": dense, "lexical": lexical}, FusionConfig())
    assert int(np.argmax(fused)) == 1


def test_weights_of_absent_signals_are_shared_out():
    config = FusionConfig(weights={"dense": 0.5, "second": 0.3, "lexical": 0.2})
    fused = fuse({"dense": np.array([0.0, 1.0]), "lexical": np.array([0.0, 0.0])}, config)
    assert fused.tolist() == pytest.approx([0.0, 0.5 / 0.7])


def test_rrf_gives_no_lexical_credit_without_a_match():
    config = FusionConfig(method="rrf", weights={"dense": 0.5, "lexical": 0.5})
    fused = fuse({"dense": np.array([0.9, 0.1]), "lexical": np.array([0.0, 0.0])}, config)
    assert fused[0] > fused[1]


def test_unknown_method_and_no_signal_are_errors():
    with pytest.raises(ValueError, match="method"):
        fuse({"dense": np.ones(2)}, FusionConfig(method="max"))
    with pytest.raises(ValueError, match="no weighted signal"):
        fuse({"other": np.ones(2)}, FusionConfig())

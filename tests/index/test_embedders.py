"""The narrow embedder interface and the query cache."""

from __future__ import annotations

import numpy as np
import pytest

from index.models.embedders import CachedEmbedder, detect_prompts, normalize_rows
from tests.conftest import FakeEmbedder


def test_a_repeated_question_skips_the_model():
    inner = FakeEmbedder()
    cached = CachedEmbedder(inner, size=8)
    first = cached.embed_query("校车 安全")
    again = cached.embed_query("  校车   安全 ")
    assert np.array_equal(first, again)
    assert inner.calls == [("query", 1)] and (cached.hits, cached.misses) == (1, 1)


def test_the_cache_forgets_the_least_recently_used():
    inner = FakeEmbedder()
    cached = CachedEmbedder(inner, size=2)
    for question in ["a", "b", "a", "c", "b"]:
        cached.embed_query(question)
    assert len(inner.calls) == 4  # "b" was evicted by "c", then asked again


def test_cached_vectors_cannot_be_changed_by_a_caller():
    vector = CachedEmbedder(FakeEmbedder(), size=16).embed_query("校车")
    with pytest.raises(ValueError):
        vector[0] = 1.0


def test_the_cache_passes_batches_and_identity_through():
    inner = FakeEmbedder()
    cached = CachedEmbedder(inner, size=16)
    assert cached.model_id == inner.model_id and cached.dimension == inner.dimension
    assert cached.embed_passages(["a", "b"]).shape == (2, inner.dimension)


def test_rows_are_normalized():
    rows = normalize_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert np.allclose(rows, [[0.6, 0.8], [0.0, 0.0]]) and rows.dtype == np.float32


@pytest.mark.parametrize(("name", "configured", "expected"), [
    ("x/bge-m3", {}, {"query": "", "passage": ""}),
    ("intfloat/multilingual-e5-base", {}, {"query": "query: ", "passage": "passage: "}),
    ("m", {"query": "q: ", "document": "d: "}, {"query": "q: ", "passage": "d: "}),
])
def test_prompts_come_from_the_model_or_its_family(name, configured, expected):
    assert detect_prompts(name, configured) == expected

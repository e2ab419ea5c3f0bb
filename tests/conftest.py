"""Shared fixtures: a deterministic fake embedder, the real corpus, and indexes built in tmp."""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from corpus import Corpus, load_corpus
from index.artifact.store import build_index, load_index
from index.models.embedders import (
    BUILTIN_MODEL,
    USE_MODEL,
    Embedder,
    Kind,
    load_embedder,
    load_second_embedder,
    register_model,
)
from index.retrieval.search import SearchEngine

# The servers and builds the tests start serve the index they are given: no tuning started in
# the background swaps another build in mid-test. The tests of tuning turn it on in their own
# settings (tests/service/test_tuning_service.py).
os.environ["CASESEARCH_TUNE"] = "off"


class FakeEmbedder(Embedder):
    """Hashes characters and character pairs into a small vector: texts sharing words score
    high, and the same text always gives the same vector. Runs in microseconds."""

    backend = "fake"

    def __init__(self, dimension: int = 256, model_id: str = "fake/char-ngrams") -> None:
        self.dimension = dimension
        self.model_id = model_id
        self.prompts = {"query": "", "passage": ""}
        self.calls: list[tuple[str, int]] = []

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        self.calls.append((kind, len(texts)))
        out = np.zeros((len(texts), self.dimension), np.float32)
        for row, text in enumerate(texts):
            chars = [c for c in text.lower() if not c.isspace()]
            for gram in chars + [a + b for a, b in zip(chars, chars[1:], strict=False)]:
                out[row, zlib.crc32(gram.encode()) % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def register_fakes() -> None:
    """Make the fakes loadable by name (CASESEARCH_MODEL=fake/char-ngrams,
    CASESEARCH_SECOND_MODEL=fake/second), in this process and in `tests/fake_casesearch.py`."""
    register_model("fake/char-ngrams", lambda **_: FakeEmbedder())
    register_model("fake/second", lambda **_: FakeEmbedder(dimension=128, model_id="fake/second"))


register_fakes()


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_corpus()


@pytest.fixture(scope="session")
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def fake_index_path(tmp_path_factory: pytest.TempPathFactory, corpus: Corpus,
                    fake_embedder: FakeEmbedder) -> Path:
    path = tmp_path_factory.mktemp("fake-index") / "index"
    build_index(corpus, fake_embedder, path)
    return path


@pytest.fixture(scope="session")
def fake_second() -> FakeEmbedder:
    return FakeEmbedder(dimension=128, model_id="fake/second")


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory, corpus: Corpus,
           fake_embedder: FakeEmbedder, fake_second: FakeEmbedder) -> SearchEngine:
    """Hybrid engine over fake embeddings: dense, a second embedder, and BM25."""
    path = tmp_path_factory.mktemp("fake-hybrid-index") / "index"
    build_index(corpus, fake_embedder, path, second=fake_second)
    return SearchEngine(load_index(path, model_id=fake_embedder.model_id), fake_embedder,
                        second=fake_second)


# Real-model fixtures, used by the tests marked slow.

@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The set-up's cache when `make test` provides one (its model export is reused), else tmp."""
    home = os.environ.get("CASESEARCH_HOME")
    return Path(home) if home else tmp_path_factory.mktemp("casesearch-home")


@pytest.fixture(scope="session")
def st_embedder(cache_dir: Path) -> Embedder:
    return load_embedder(BUILTIN_MODEL, backend="sentence-transformers", cache_dir=cache_dir)


@pytest.fixture(scope="session")
def use_embedder(cache_dir: Path) -> Embedder:
    return load_second_embedder(USE_MODEL, cache_dir=cache_dir)


@pytest.fixture(scope="session")
def real_index_path(tmp_path_factory: pytest.TempPathFactory, corpus: Corpus,
                    st_embedder: Embedder, use_embedder: Embedder) -> Path:
    """The default index: the bundled e5 export plus USE vectors."""
    path = tmp_path_factory.mktemp("real-index") / "index"
    build_index(corpus, st_embedder, path, second=use_embedder)
    return path

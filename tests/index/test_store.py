"""The index directory: a save → load round trip, provenance, integrity and atomic replacement."""

from __future__ import annotations

import json

import numpy as np
import pytest

from corpus.models import Corpus
from index.artifact.store import FORMAT_VERSION, build_index, load_index, read_manifest
from index.errors import IndexIntegrityError, IndexMismatchError, IndexNotFoundError
from index.retrieval.search import top_k
from tests.conftest import FakeEmbedder


class RandomEmbedder(FakeEmbedder):
    """Seeded random unit vectors: the index layer tested with no model at all."""

    def embed_batch(self, texts, kind):
        seeds = [hash(text) % (2**32) for text in texts]
        rows = [np.random.default_rng(seed).standard_normal(self.dimension) for seed in seeds]
        matrix = np.array(rows, dtype=np.float32)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_round_trip_search_equals_brute_force(tmp_path, corpus):
    embedder = RandomEmbedder(dimension=32)
    build_index(corpus, embedder, tmp_path / "index")
    index = load_index(tmp_path / "index", model_id=embedder.model_id)
    vectors = embedder.embed_passages([case.text for case in corpus.cases])
    rng = np.random.default_rng(7)
    for _ in range(20):
        query = rng.standard_normal(32).astype(np.float32)
        query /= np.linalg.norm(query)
        expected = np.argsort(-(vectors @ query))[:10]
        assert [row for row, _ in top_k(index.faiss_index, query, 10)] == list(expected)
    assert [case.id for case in index.cases] == [case.id for case in corpus.cases]


def test_manifest_records_what_the_index_was_built_from(fake_index_path, corpus, fake_embedder):
    manifest = read_manifest(fake_index_path)
    assert manifest.model_id == fake_embedder.model_id
    assert manifest.dimension == fake_embedder.dimension
    assert manifest.count == 48
    assert manifest.corpus_sha256 == corpus.sha256
    assert manifest.prompts == fake_embedder.prompts
    assert {"faiss-cpu", "numpy", "python"} <= set(manifest.versions)
    assert set(manifest.files) == {"index.faiss", "cases.jsonl", "sentences.json",
                                   "sentences.npy", "figures.json", "figures.npy"}
    assert manifest.built_at


def test_loading_with_another_model_names_both(fake_index_path):
    with pytest.raises(IndexMismatchError) as info:
        load_index(fake_index_path, model_id="other/model")
    assert "fake/char-ngrams" in str(info.value) and "other/model" in str(info.value)


def test_a_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexNotFoundError, match="casesearch build"):
        load_index(tmp_path / "nothing")


@pytest.mark.parametrize("damage", ["truncate", "alter", "remove"])
def test_a_damaged_file_stops_loading(tmp_path, corpus, damage):
    path = tmp_path / "index"
    build_index(corpus, FakeEmbedder(), path)
    target = path / "cases.jsonl"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:100])
    elif damage == "alter":
        target.write_text(target.read_text(encoding="utf-8").replace("济南", "青岛"),
                          encoding="utf-8")
    else:
        target.unlink()
    with pytest.raises(IndexIntegrityError, match="casesearch build"):
        load_index(path)


class FailingEmbedder(FakeEmbedder):
    def embed_batch(self, texts, kind):
        raise RuntimeError("killed midway")


def test_a_failed_build_leaves_the_previous_index_intact(tmp_path, corpus):
    path = tmp_path / "index"
    build_index(corpus, FakeEmbedder(), path)
    before = read_manifest(path)
    with pytest.raises(RuntimeError):
        build_index(corpus, FailingEmbedder(), path)
    assert read_manifest(path) == before
    load_index(path)  # checksums still hold


def test_a_rebuild_keeps_the_previous_build_and_removes_older_ones(tmp_path, corpus):
    path = tmp_path / "index"
    build_index(corpus, FakeEmbedder(model_id="fake/one"), path)
    first = path.resolve()
    build_index(corpus, FakeEmbedder(model_id="fake/two"), path)
    second = path.resolve()
    assert read_manifest(path).model_id == "fake/two"
    assert first.exists()  # a server may be loading it right now
    build_index(corpus, FakeEmbedder(model_id="fake/three"), path)
    assert not first.exists()
    assert sorted((tmp_path / ".index.builds").iterdir()) == sorted([second, path.resolve()])


def test_a_reader_loads_every_file_from_the_build_it_resolved(tmp_path, corpus, monkeypatch):
    import index.artifact.store as store

    path = tmp_path / "index"
    build_index(corpus, FakeEmbedder(model_id="fake/one"), path)
    small = Corpus(documents=corpus.documents, cases=corpus.cases[:5])
    real_read_manifest = store.read_manifest

    def swap_mid_load(folder):  # another build lands just after the reader resolved the link
        manifest = real_read_manifest(folder)
        build_index(small, FakeEmbedder(model_id="fake/two"), path)
        return manifest

    monkeypatch.setattr(store, "read_manifest", swap_mid_load)
    loaded = load_index(path)
    assert loaded.manifest.model_id == "fake/one" and len(loaded.cases) == len(corpus.cases)
    monkeypatch.undo()
    assert len(load_index(path).cases) == 5


def test_a_subset_corpus_builds_and_counts_right(tmp_path, corpus):
    small = Corpus(documents=corpus.documents, cases=corpus.cases[:5])
    manifest = build_index(small, FakeEmbedder(), tmp_path / "index")
    assert manifest.count == 5
    assert len(load_index(tmp_path / "index").cases) == 5


def test_manifest_is_plain_json(fake_index_path):
    data = json.loads((fake_index_path / "manifest.json").read_text())
    assert data["format"] == FORMAT_VERSION and data["index_type"] == "flat"


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_indexes_find_what_exact_search_finds(tmp_path, corpus, kind):
    from corpus.models import Case, Corpus

    base = corpus.cases[0]
    cases = tuple(Case(**{**base.to_dict(), "id": f"x-{i}", "text": f"case {i} 案例",
                          "city": f"c{i % 20}"}) for i in range(3000))
    many = Corpus(documents=corpus.documents, cases=cases)
    embedder = RandomEmbedder(dimension=32)
    manifest = build_index(many, embedder, tmp_path / "exact", index_type="flat")
    approx = build_index(many, embedder, tmp_path / "approx", index_type=kind)
    assert manifest.index_type == "flat" and approx.index_type == kind and approx.index_params
    exact_index = load_index(tmp_path / "exact").faiss_index
    approx_index = load_index(tmp_path / "approx")
    rng = np.random.default_rng(3)
    found = 0
    for _ in range(20):
        query = rng.standard_normal(32).astype(np.float32)
        query /= np.linalg.norm(query)
        truth = {row for row, _ in top_k(exact_index, query, 10)}
        found += len(truth & {row for row, _ in top_k(approx_index.faiss_index, query, 10)})
    assert found / 200 >= 0.8
    allowed = np.arange(0, 3000, 7)
    filtered = top_k(approx_index.faiss_index, query, 10, allowed)
    assert filtered and all(row % 7 == 0 for row, _ in filtered)
    assert approx_index.case_vectors(np.array([5])).shape == (1, 32)


def test_auto_picks_flat_for_a_small_corpus(fake_index_path):
    assert read_manifest(fake_index_path).index_type == "flat"

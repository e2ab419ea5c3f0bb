"""The corpus folder: ids, no overwrites, the trash, crash safety, one writer at a time."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from corpus.errors import CorpusError
from corpus.ids import check_doc_id, derive_doc_id
from corpus.load import DEFAULT_DATA_DIR
from corpus.store import CorpusStore

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = "shandong-2020-education-duty-cases.txt"
HEBEI = "2021年河北省典型案例\n\n（一）石家庄\n（1）建设智慧校园，千兆光纤进校园。\n"
META = {"id": "hb2021", "title": "2021年河北省典型案例", "year": 2021, "province": "河北省"}


@pytest.fixture
def store(tmp_path) -> CorpusStore:
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    return CorpusStore(data)


@pytest.fixture
def hebei(tmp_path) -> Path:
    path = tmp_path / "hebei.txt"
    path.write_text(HEBEI, encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()
            and not p.name.startswith(".")}


@pytest.mark.parametrize("bad", ["../../../../tmp/evil", "README", "a/b", "-x", "", "x" * 65,
                                 "Hb2021", "hb 2021", "hb2021.txt", "河北", "\x00"])
def test_ids_that_are_not_slugs_are_refused_with_an_example(bad):
    with pytest.raises(CorpusError, match="for example hb2021"):
        check_doc_id(bad)


def test_ids_derived_from_file_names_are_slugs():
    assert derive_doc_id("河北 2021 典型案例") == "hebei-2021-dianxinganli"
    assert check_doc_id(derive_doc_id("../../etc/passwd")) == "etc-passwd"
    assert len(derive_doc_id("长" * 100)) <= 64


def test_a_document_is_stored_under_its_id_with_its_metadata(store, hebei):
    change = store.add(hebei, META)
    assert change.stored == store.data / "hb2021.txt" and change.trashed is None
    assert (store.data / "hb2021.txt").read_bytes() == hebei.read_bytes()
    record = json.loads((store.data / "hb2021.json").read_text())
    assert record["id"] == "hb2021" and record["received_as"] == "hebei.txt"
    assert [d.id for d in store.load().documents] == ["hb2021", "sd2020"]


@pytest.mark.parametrize(("doc_id", "holder"), [
    ("sd2020", SHIPPED + r" \(document 'sd2020'\); .* --replace sd2020"),  # its metadata id
    ("shandong-2020-education-duty-cases", SHIPPED + r" \(document 'sd2020'\)"),  # its stem
])
def test_an_id_in_use_is_refused_naming_the_holder_and_nothing_changes(store, hebei, doc_id,
                                                                       holder):
    before = snapshot(store.data)
    with pytest.raises(CorpusError, match=f"already used by {holder}"):
        store.add(hebei, {**META, "id": doc_id})
    assert snapshot(store.data) == before


def test_ids_the_folder_or_the_routes_use_are_reserved(store, hebei):
    before = snapshot(store.data)  # the folder's README.md among them
    for doc_id in ("readme", "trash"):
        with pytest.raises(CorpusError, match=f"'{doc_id}' is reserved"):
            store.add(hebei, {**META, "id": doc_id})
    assert snapshot(store.data) == before


def test_a_stray_file_with_the_target_name_is_never_overwritten(store, hebei):
    (store.data / "notes.txt.bak").write_text("mine")
    (store.data / "hb2021.json").write_text("{}")  # a metadata file with no document
    with pytest.raises(CorpusError, match="already used by hb2021.json"):
        store.add(hebei, META)
    assert (store.data / "hb2021.json").read_text() == "{}"


def test_replacing_keeps_the_previous_version_in_the_trash_and_restore_brings_it_back(store,
                                                                                    hebei):
    shipped = (store.data / SHIPPED).read_bytes()
    change = store.add(hebei, {**META, "id": "sd2020"}, replace=True)
    assert change.trashed is not None and (change.trashed / SHIPPED).read_bytes() == shipped
    assert not (store.data / SHIPPED).exists()
    assert [len(store.load().cases)] == [1]
    restored = store.restore("sd2020")
    assert restored.stored.read_bytes() == shipped
    assert len(store.load().cases) == 48
    assert [meta["id"] for _, meta in store.trashed()] == ["sd2020", "sd2020"]


def test_replace_needs_an_existing_document(store, hebei):
    with pytest.raises(CorpusError, match="no document has id .hb2021. to replace"):
        store.add(hebei, META, replace=True)


def test_remove_moves_a_document_to_the_trash(store, hebei):
    store.add(hebei, META)
    change = store.remove("hb2021")
    assert sorted(p.name for p in change.trashed.iterdir()) == ["hb2021.json", "hb2021.txt"]
    assert [d.id for d in store.load().documents] == ["sd2020"]
    with pytest.raises(CorpusError, match="no document has id 'nope'"):
        store.remove("nope")


def test_an_unreadable_document_is_reported_and_the_others_load(store):
    (store.data / "bad.txt").write_text("no structure here", encoding="utf-8")
    (store.data / "bad.json").write_text(json.dumps({"year": 2021, "province": "x"}))
    corpus, problems = store.load_readable()
    assert len(corpus.cases) == 48
    assert [p.path.name for p in problems] == ["bad.txt"] and "bad.txt" in problems[0].message
    with pytest.raises(CorpusError, match="bad.txt"):
        store.load()


# A writer killed at each step of a change: the folder shows the old state or the new one.

KILLED_WRITER = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, sys.argv[1])
    import corpus.store as store_module
    from corpus.store import CorpusStore

    calls = 0
    real_replace = os.replace
    def dying_replace(src, dst):
        global calls
        calls += 1
        if calls == int(sys.argv[4]):
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(src, dst)
    store_module.os.replace = dying_replace
    meta = {"id": "sd2020", "title": "t", "year": 2021, "province": "p"}
    CorpusStore(sys.argv[2]).add(sys.argv[3], meta, replace=True)
""")


def test_a_writer_killed_at_any_step_leaves_the_old_state_or_the_new_one(store, hebei):
    old, new = snapshot(store.data), None
    outcomes = set()
    for step in range(1, 8):
        data = store.data.parent / f"data-{step}"
        shutil.copytree(store.data, data)
        run = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(ROOT), str(data),
                              str(hebei), str(step)], capture_output=True, timeout=60)
        killed = run.returncode == -9
        reopened = CorpusStore(data)
        corpus = reopened.load()  # finishes or drops what the killed writer left
        state = snapshot(data)
        if not killed:
            new = state
            break
        assert not (data / ".pending").exists() or not any((data / ".pending").iterdir())
        outcomes.add("old" if state == old else "new")
        assert state == old or (len(corpus.cases) == 1 and "sd2020.txt" in state), step
    assert new is not None and "sd2020.txt" in new and SHIPPED not in new
    assert outcomes == {"old", "new"}  # killed both before and after the commit point


def test_a_second_writer_waits_for_the_first_and_says_so(store, hebei, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text(HEBEI.replace("石家庄", "保定"), encoding="utf-8")
    messages: list[str] = []
    held, release = threading.Event(), threading.Event()

    def first_writer():
        with store.lock.hold():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=first_writer)
    thread.start()
    held.wait(10)
    second = threading.Thread(target=lambda: store.add(other, {**META, "id": "bd2021"},
                                                       on_wait=messages.append))
    second.start()
    time.sleep(0.3)
    assert not (store.data / "bd2021.txt").exists()  # still waiting
    release.set()
    second.join(10)
    thread.join(10)
    assert (store.data / "bd2021.txt").exists()
    assert messages and "waiting for another change to the corpus" in messages[0]


def test_a_read_only_corpus_folder_can_still_be_read(store, tmp_path):
    if sys.platform != "linux" or __import__("os").geteuid() == 0:
        # root ignores permissions; check the shared-lock path directly instead
        store.lock.path = tmp_path / "missing-folder" / ".lock"
    else:
        store.data.chmod(0o555)
    assert len(store.load().cases) == 48

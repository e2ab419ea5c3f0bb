"""A running server serves each new build of the index without a restart: in process (the
watcher's decisions), and for real (gunicorn, `corpus add` and `remove` under load)."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.parse

import pytest

from corpus import Corpus
from corpus.load import DEFAULT_DATA_DIR
from index.artifact.store import build_index, load_index
from index.retrieval.search import SearchEngine
from service.http.app import create_app
from service.runtime.wiring import reopen_engine
from tests.conftest import FakeEmbedder
from tests.service.conftest import get_json as _get

HEBEI = ("2021年河北省典型案例\n\n（一）石家庄\n（1）建设乡村少年宫二百所，开展周末科技体验活动。\n"
         "（2）推进集团化办学，组建教育集团56个，带动薄弱学校提升。\n")


@pytest.fixture
def live(tmp_path, corpus):
    """An app over an index at a path it watches (checks are run by hand: interval 0)."""
    embedder = FakeEmbedder()
    path = tmp_path / "index"
    build_index(corpus, embedder, path)
    app = create_app({
        "TESTING": True, "INDEX_PATH": path, "RELOAD_SECONDS": 0,
        "ENGINE_LOADER": lambda: SearchEngine(load_index(path), embedder),
    })
    state = app.extensions["casesearch"]
    state.wait(10)
    return app, app.extensions["casesearch.watcher"], path, embedder


def test_a_new_build_is_served_without_a_restart(live, corpus):
    app, watcher, path, embedder = live
    client = app.test_client()
    first = client.get("/readyz").get_json()
    assert watcher.check_index() is False  # nothing new yet
    build_index(Corpus(corpus.documents, corpus.cases[:5]), embedder, path)
    assert watcher.check_index() is True
    ready = client.get("/readyz").get_json()
    assert ready["cases"] == 5 and ready["build"] != first["build"]
    assert client.get("/api/cases").get_json()["total"] == 5


def test_a_build_that_cannot_be_served_is_reported_and_the_old_one_stays(live, corpus):
    app, watcher, path, _ = live
    client = app.test_client()
    build_index(corpus, FakeEmbedder(model_id="fake/other"), path)
    assert watcher.check_index() is False
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["cases"] == 48
    assert "was not loaded" in ready["reload_error"] and "fake/other" in ready["reload_error"]
    assert client.get("/api/search?q=校车").status_code == 200
    assert watcher.check_index() is False  # the same broken build is not retried


def test_a_failed_build_is_named_without_server_paths_and_forgotten_once_gone(live, corpus):
    from index.artifact.store import _point_at

    app, watcher, path, embedder = live
    client = app.test_client()
    serving = app.extensions["casesearch"].engine.index.path
    build_index(corpus, FakeEmbedder(model_id="fake/other"), path)
    broken = path.resolve()
    watcher.reopen = lambda engine, build: (_ for _ in ()).throw(
        OSError(f"[Errno 2] No such file or directory: '{build}/cases.json'"))
    watcher.check_index()
    error = client.get("/readyz").get_json()["reload_error"]
    assert "cases.json" in error and str(broken.parent) not in error and "/" not in error
    _point_at(path, serving)  # the bad build is taken back
    watcher.check_index()
    assert "reload_error" not in client.get("/readyz").get_json()


def test_a_check_that_does_not_finish_is_reported_on_readyz(live, corpus, monkeypatch):
    from service.runtime import reload

    app, watcher, path, embedder = live
    monkeypatch.setattr(reload, "STUCK_SECONDS", 0.0)
    release = threading.Event()
    watcher.reopen = lambda engine, build: (release.wait(10), reopen_engine(engine, build))[1]
    build_index(Corpus(corpus.documents, corpus.cases[:5]), embedder, path)
    stuck = threading.Thread(target=watcher.check_index)
    stuck.start()
    try:
        deadline = time.monotonic() + 5
        while not watcher.stuck() and time.monotonic() < deadline:
            time.sleep(0.01)
        ready = app.test_client().get("/readyz").get_json()
        assert ready["status"] == "stale" and ready["ready"] is True
        assert "looking for a new build" in ready["reload_stuck"][0]
    finally:
        release.set()
        stuck.join(10)
    ready = app.test_client().get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["cases"] == 5


def test_documents_that_hang_never_stop_new_builds_being_served(tmp_path, corpus, monkeypatch):
    """The documents are re-read on a thread of their own: one that never returns (a hostile
    document) leaves the index thread free to serve each new build."""
    from corpus.store import CorpusStore

    hang = threading.Event()
    monkeypatch.setattr(CorpusStore, "load_readable", lambda self, **_: hang.wait(30))
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    embedder, path = FakeEmbedder(), tmp_path / "index"
    build_index(corpus, embedder, path)
    app = create_app({"TESTING": True, "INDEX_PATH": path, "DATA_DIR": data,
                      "RELOAD_SECONDS": 0.05,
                      "ENGINE_LOADER": lambda: SearchEngine(load_index(path), embedder)})
    try:
        app.extensions["casesearch"].wait(10)
        build_index(Corpus(corpus.documents, corpus.cases[:7]), embedder, path)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if app.test_client().get("/readyz").get_json()["cases"] == 7:
                break
            time.sleep(0.05)
        assert app.test_client().get("/readyz").get_json()["cases"] == 7
    finally:
        hang.set()
        app.extensions["casesearch.watcher"].stop()


def test_a_lock_held_too_long_is_no_verdict_on_the_documents(tmp_path, corpus, monkeypatch):
    from corpus.filelock import LockWaitTimeout
    from corpus.store import CorpusStore
    from service.runtime.reload import IndexWatcher, without_paths

    def stuck(self, **_):
        raise LockWaitTimeout("gave up after 120 s … (held by process 42: casesearch serve)")

    monkeypatch.setattr(CorpusStore, "load_readable", stuck)
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    state = type("State", (), {"corpus_problems": ()})()
    watcher = IndexWatcher(state, tmp_path / "index", reopen=reopen_engine, interval=0,
                           data_dir=data)
    watcher.check_corpus()
    assert state.corpus_problems == () and watcher._corpus_seen is None  # tried again later
    assert without_paths(f"{tmp_path}/case data/x.docx: bad", tmp_path / "case data") == (
        "x.docx: bad")


def test_unreadable_documents_are_named_on_readyz(tmp_path, corpus):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    embedder = FakeEmbedder()
    build_index(corpus, embedder, tmp_path / "index")
    app = create_app({"TESTING": True, "INDEX_PATH": tmp_path / "index", "DATA_DIR": data,
                      "RELOAD_SECONDS": 0,
                      "ENGINE_LOADER": lambda: SearchEngine(load_index(tmp_path / "index"),
                                                            embedder)})
    app.extensions["casesearch"].wait(10)
    watcher = app.extensions["casesearch.watcher"]
    watcher.check_corpus()
    assert "unreadable_documents" not in app.test_client().get("/readyz").get_json()
    (data / "broken.txt").write_text("（一）甲市\n（3）跳号。\n", encoding="utf-8")
    (data / "broken.json").write_text('{"year": 2021, "province": "x", "title": "t"}')
    watcher.check_corpus()
    ready = app.test_client().get("/readyz").get_json()
    assert ready["unreadable_documents"] == ["broken.txt:2: item numbered 3 in section '甲市'; "
                                             "expected 1"]
    assert str(tmp_path) not in json.dumps(ready)


def test_reopening_keeps_the_models_and_their_query_cache(engine, tmp_path, corpus):
    path = tmp_path / "index"
    build_index(corpus, engine.embedder, path, second=engine.second)
    fresh = reopen_engine(engine, path)
    assert fresh.embedder is engine.embedder and fresh.second is engine.second
    assert fresh.index.path == path.resolve()


# For real: gunicorn with the fake models, corpus changes from another process, under load.

class Load:
    """Clients asking questions in a loop until stopped (bounded: 120 s at most)."""

    def __init__(self, base: str, clients: int = 4) -> None:
        self.base, self.ok, self.failures = base, 0, []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(n,)) for n in range(clients)]

    def _client(self, n: int) -> None:
        questions = ["校车安全", "教师周转宿舍", "课后服务", "乡村少年宫", "集团化办学"]
        deadline, i = time.monotonic() + 120, n
        while not self.stop.is_set() and time.monotonic() < deadline:
            question = urllib.parse.quote(f"{questions[i % len(questions)]} {i}")
            i += 1
            try:
                status, body = _get(f"{self.base}/api/search?q={question}&k=5")
            except Exception as exc:  # any failure counts
                self.failures.append(repr(exc))
                continue
            if status == 200 and body["results"]:
                self.ok += 1
            else:
                self.failures.append(f"{status} {body}")

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


@pytest.fixture
def fake_server(serve_fake):
    return serve_fake(CASESEARCH_RELOAD_SECONDS="0.5", CASESEARCH_WORKERS="2")


def _wait_for(predicate, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _serves(base: str, cases: int) -> bool:
    # Two workers each swap on their own, and the kernel need not share requests out evenly
    # between them (a busy worker accepts fewer): ask often enough to reach both.
    return all(_get(base + "/readyz")[1].get("cases") == cases for _ in range(20))


def _finds_first(base: str, question: str, case_id: str) -> bool:
    url = base + "/api/search?q=" + urllib.parse.quote(question) + "&k=3"
    return all(_get(url)[1]["results"][0]["id"] == case_id for _ in range(10))


@pytest.mark.slow  # real server processes
def test_corpus_add_and_remove_are_served_live_under_load_with_no_failed_request(fake_server):
    base, cli, tmp_path = fake_server.base, fake_server.cli, fake_server.folder
    source = tmp_path / "hebei.md"
    source.write_text(HEBEI, encoding="utf-8")
    with Load(base) as load:
        time.sleep(0.5)
        added = cli("corpus", "add", str(source), "--year", "2021", "--province", "河北省",
                    "--id", "hb2021")
        assert added.returncode == 0, added.stdout + added.stderr
        assert _wait_for(lambda: _serves(base, 50)), "the new build was not served"
        assert _wait_for(lambda: _finds_first(base, "乡村少年宫科技体验",
                                              "hb2021-shijiazhuang-1")), \
            "a worker still answers from the old build"
        removed = cli("corpus", "remove", "hb2021")
        assert removed.returncode == 0, removed.stdout + removed.stderr
        assert _wait_for(lambda: _serves(base, 48)), "the removal was not served"
        time.sleep(0.5)
    assert load.failures == [] and load.ok > 20
    gone = _get(base + "/api/cases/hb2021-shijiazhuang-1")
    assert gone[0] == 404
